package instance

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/tempdir"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

func TestSecondStartShowsTheFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ssotray.sock")
	first, err := Claim(path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("socket %v %v", info, err)
	}
	for range 2 {
		if _, err := Claim(path); !errors.Is(err, ErrRunning) {
			t.Fatalf("second start: %v", err)
		}
		if m := next(t, first.Requests()); m != Show {
			t.Fatalf("the first instance was asked %q, want %q", m, Show)
		}
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ssotray.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	// A crashed instance leaves the file behind without anyone listening.
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	in, err := Claim(path)
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	in.Close()
}

func TestSocketPath(t *testing.T) {
	run := tempdir.New(t)
	cache, _ := os.UserCacheDir()
	own := filepath.Join(cache, "ssotray", SocketName)
	inRun := filepath.Join(run, SocketName)
	if runtime.GOOS == "windows" {
		inRun = own // no XDG_RUNTIME_DIR there: %LocalAppData% is the user's
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"with XDG_RUNTIME_DIR", map[string]string{"XDG_RUNTIME_DIR": run}, inRun},
		{"without XDG_RUNTIME_DIR", nil, own},
	}
	for _, tc := range tests {
		if got, err := SocketPath(func(k string) string { return tc.env[k] }); err != nil || got != tc.want {
			t.Errorf("%s: %s %v, want %s", tc.name, got, err, tc.want)
		}
	}
}

// TestHostileSocketIsNotUsed: another user made a directory, put a
// listening socket and a lock in it, and pointed XDG_RUNTIME_DIR at it (or
// the old fallback in /tmp would have found them there). ssotray claims its
// socket elsewhere, in a directory of its own, and starts. Runs as root
// here: the directory is given to nobody.
func TestHostileSocketIsNotUsed(t *testing.T) {
	oidctest.NeedMachine(t, runtime.GOOS != "windows" && os.Getuid() == 0, "root, to give a directory to another user")
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // not the real user's, where a real ssotray may run
	hostile := t.TempDir()
	l, err := net.Listen("unix", filepath.Join(hostile, SocketName))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // the impostor takes every request and answers as ssotray would
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("ok\n"))
			c.Close()
		}
	}()
	if err := os.WriteFile(filepath.Join(hostile, SocketName+".lock"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(hostile, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	path, err := SocketPath(func(k string) string { return map[string]string{"XDG_RUNTIME_DIR": hostile}[k] })
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(path) == hostile {
		t.Fatalf("the socket would be %s, in another user's directory", path)
	}
	in, err := Claim(path)
	if err != nil {
		t.Fatalf("Claim(%s) = %v; the impostor kept ssotray from starting", path, err)
	}
	in.Close()
}

// TestSimultaneousStartsLeaveOneInstance: the Run-at-sign-in value and a
// Start-menu click at the same moment. The stand-in's socket file shows
// the race the lock closes on every system, Windows's included.
func TestSimultaneousStartsLeaveOneInstance(t *testing.T) {
	tests := []struct {
		name   string
		socket func() socket
	}{
		{"unix", unixSocket},
		{"stand-in", func() socket { return newStandIn().socket() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.socket()
			path := filepath.Join(tempdir.New(t), "ssotray.sock")
			const starts = 8
			type result struct {
				in  *Instance
				err error
			}
			results := make(chan result, starts)
			for range starts {
				go func() {
					in, err := claim(path, s)
					results <- result{in, err}
				}()
			}
			var first []*Instance
			for range starts {
				r := <-results
				switch {
				case r.err == nil:
					first = append(first, r.in)
				case !errors.Is(r.err, ErrRunning):
					t.Errorf("a start failed: %v", r.err)
				}
			}
			for _, in := range first {
				in.Close()
			}
			if len(first) != 1 {
				t.Fatalf("%d instances claimed the socket", len(first))
			}
		})
	}
}

// next waits for the next message on ch.
func next(t *testing.T, ch <-chan Message) Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5s")
		return ""
	}
}

// TestProcessesTalk: a verb says the session changed, the window's process
// watches, and what the instance broadcasts reaches every watcher; a line
// that is no message is ignored.
func TestProcessesTalk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ssotray.sock")
	in, err := Claim(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := Tell(path, Changed); err != nil {
		t.Fatal(err)
	}
	if m := next(t, in.Requests()); m != Changed {
		t.Fatalf("request %q, want %q", m, Changed)
	}
	if err := Tell(path, "rm -rf"); err == nil {
		t.Error("an unknown message was taken")
	}
	var ws []*Watcher
	for range 2 {
		w, err := Watch(path)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		ws = append(ws, w)
	}
	in.Broadcast(Show)
	in.Broadcast(Changed)
	for i, w := range ws {
		if a, b := next(t, w.Messages()), next(t, w.Messages()); a != Show || b != Changed {
			t.Errorf("watcher %d got %q, %q; want %q, %q", i, a, b, Show, Changed)
		}
	}
	// A watcher that went away is dropped; the others still hear.
	ws[0].Close()
	in.Broadcast(Quit)
	in.Broadcast(Quit)
	if m := next(t, ws[1].Messages()); m != Quit {
		t.Errorf("after one watcher left: %q", m)
	}
	// The instance ending ends every watch.
	in.Close()
	select {
	case _, open := <-ws[1].Messages():
		for open {
			_, open = <-ws[1].Messages()
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the watch outlived the instance")
	}
	if _, err := Watch(path); err == nil {
		t.Error("watching an instance that has ended succeeded")
	}
}

// TestAPeerThatSaysNothingHoldsNobodyUp: a connection that sends nothing
// (or no end of line) does not keep the next one waiting.
func TestAPeerThatSaysNothingHoldsNobodyUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ssotray.sock")
	in, err := Claim(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	silent, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	endless, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer endless.Close()
	go endless.Write(make([]byte, 1<<20))
	start := time.Now()
	if err := Tell(path, Changed); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > ioWait/2 {
		t.Errorf("Tell waited %s behind peers that said nothing", waited)
	}
}

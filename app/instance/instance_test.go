package instance

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
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
		select {
		case <-first.ShowRequests():
		case <-time.After(5 * time.Second):
			t.Fatal("the first instance was not asked to show itself")
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
	env := map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}
	if got := SocketPath(func(k string) string { return env[k] }); got != "/run/user/1000/ssotray.sock" {
		t.Errorf("got %s", got)
	}
	cache, _ := os.UserCacheDir()
	if got := SocketPath(func(string) string { return "" }); got != filepath.Join(cache, "ssotray", "ssotray.sock") {
		t.Errorf("without XDG_RUNTIME_DIR: %s, want the user's own cache dir", got)
	}
}

func TestSimultaneousStartsLeaveOneInstance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ssotray.sock")
	const starts = 8
	type result struct {
		in  *Instance
		err error
	}
	results := make(chan result, starts)
	for range starts {
		go func() {
			in, err := Claim(path)
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
	if len(first) != 1 {
		t.Fatalf("%d instances claimed the socket", len(first))
	}
	first[0].Close()
}

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
	if got := SocketPath(func(string) string { return "" }); filepath.Dir(got) != os.TempDir() {
		t.Errorf("got %s", got)
	}
}

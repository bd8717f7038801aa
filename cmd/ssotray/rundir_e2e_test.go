package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssotray/ssotray/oidc/oidctest"
)

// TestNoPrivateDirStillShowsTheWindow: when no directory for the
// single-instance socket is private (the runtime directory is another
// user's, the cache and home directories are open to all), ssotray warns
// and shows its window without the one-window check, rather than not at
// all. As root, the runtime directory is given to nobody.
func TestNoPrivateDirStillShowsTheWindow(t *testing.T) {
	needDesktop(t)
	oidctest.NeedMachine(t, os.Getuid() == 0, "root, to give a directory to another user")
	w := newWorld(t, time.Minute)
	hostile, open := t.TempDir(), t.TempDir()
	// Another user's socket and lock wait where ssotray would have looked.
	if err := os.WriteFile(filepath.Join(hostile, "ssotray.sock.lock"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(hostile, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	g := startGUIArgs(t, w, nil, "XDG_RUNTIME_DIR="+hostile, "XDG_CACHE_HOME="+filepath.Join(open, "cache"), "HOME="+open)
	if out := g.out.String(); !strings.Contains(out, "warning: running without the check for a second window") || !strings.Contains(out, "XDG_RUNTIME_DIR") {
		t.Errorf("no warning that says what to do:\n%s", out)
	} else if n := strings.Count(out, "warning: running without the check"); n != 1 {
		t.Errorf("the warning came %d times (the tray's process and its window each said it?):\n%s", n, out)
	}
}

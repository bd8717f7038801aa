package launch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBrowserCommandGetsURLLast(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	script := filepath.Join(dir, "browser.sh")
	// The script records its arguments, then lingers like a browser would.
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > "+out+".tmp && mv "+out+".tmp "+out+"\nsleep 5\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := NewBrowser([]string{script, "--private-window"})
	start := time.Now()
	if err := b.Open(context.Background(), "http://127.0.0.1:1234/x?a=b&c=d"); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 2*time.Second {
		t.Error("Open waited for the browser to exit")
	}
	var got []byte
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, _ = os.ReadFile(out); len(got) > 0 {
			break
		}
	}
	if string(got) != "--private-window\nhttp://127.0.0.1:1234/x?a=b&c=d\n" {
		t.Errorf("browser got %q", got)
	}
	if len(b.Command) != 2 {
		t.Errorf("Open changed the configured command: %v", b.Command)
	}
}

func TestBrowserCommandMissing(t *testing.T) {
	err := NewBrowser([]string{"/nonexistent/browser"}).Open(context.Background(), "http://127.0.0.1/")
	if err == nil || !strings.Contains(err.Error(), `browser_command "/nonexistent/browser" cannot be started`) || !strings.Contains(err.Error(), "fix browser_command") {
		t.Errorf("missing browser: %v", err)
	}
}

func TestCloseAllEndsTheWholeBrowser(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	script := filepath.Join(dir, "browser.sh")
	// A browser that starts a helper process, as real browsers do, and one
	// that ignores the polite SIGTERM.
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntrap '' TERM\nsleep 60 &\necho $$ $! > "+pids+"\nwait\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := NewBrowser([]string{script})
	if err := b.Open(context.Background(), "http://127.0.0.1/"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for deadline := time.Now().Add(5 * time.Second); len(got) < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(pids)
		got = strings.Fields(string(b))
	}
	if len(got) != 2 {
		t.Fatalf("the browser did not start its helper: %q", got)
	}
	b.CloseAll()
	alive := func(pid string) bool { // a zombie has ended, it only waits to be reaped
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		return err == nil && !strings.Contains(string(stat), ") Z ")
	}
	for _, pid := range got {
		for deadline := time.Now().Add(2 * time.Second); alive(pid) && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		}
		if alive(pid) {
			t.Errorf("process %s of the browser still runs after CloseAll", pid)
		}
	}
}

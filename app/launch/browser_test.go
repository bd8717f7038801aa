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
	b := Browser{Command: []string{script, "--private-window"}}
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
	err := Browser{Command: []string{"/nonexistent/browser"}}.Open(context.Background(), "http://127.0.0.1/")
	if err == nil || !strings.Contains(err.Error(), `browser_command "/nonexistent/browser" cannot be started`) || !strings.Contains(err.Error(), "fix browser_command") {
		t.Errorf("missing browser: %v", err)
	}
}

package launch

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/proctree"
)

// A kiosk's browser whose launcher exits at once, leaving its children:
// one in its process group, one that made a session of its own. The
// Tracker still finds and ends both.
func TestCloseAllEndsOrphansOfAnExitedLauncher(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	script := filepath.Join(dir, "browser.sh")
	// The launcher exits at once; the helper that starts the second child
	// lingers a little (the Tracker looks every 20 ms), then leaves it
	// orphaned, re-parented to init: no group, no parent tells it belongs.
	// (An orphan never seen is found through the child subreaper, which
	// the kiosk end-to-end test covers.)
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep 60 & echo $! >> "+pids+"\n(setsid sh -c 'echo $$ >> "+pids+"; exec sleep 60' & sleep 0.3) &\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := NewBrowser([]string{script})
	b.Tracker = &proctree.Tracker{Table: proctree.ProcFS{}, Kill: proctree.OS{}}
	b.WatchEvery = 20 * time.Millisecond
	if err := b.Open(context.Background(), "http://127.0.0.1/"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for deadline := time.Now().Add(5 * time.Second); len(got) < 2 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		data, _ := os.ReadFile(pids)
		got = strings.Fields(string(data))
	}
	if len(got) != 2 {
		t.Fatalf("the browser did not start its children: %q", got)
	}
	t.Cleanup(func() {
		for _, p := range got {
			if pid, err := strconv.Atoi(p); err == nil && alive(p) {
				if proc, err := os.FindProcess(pid); err == nil {
					_ = proc.Kill()
				}
			}
		}
	})
	time.Sleep(time.Second) // the launcher and the helper have exited
	start := time.Now()
	if err := b.CloseAll(); err != nil {
		t.Error(err)
	}
	if took := time.Since(start); took > proctree.CloseWait {
		t.Errorf("CloseAll took %s", took)
	}
	for _, pid := range got {
		for deadline := time.Now().Add(2 * time.Second); alive(pid) && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		}
		if alive(pid) {
			t.Errorf("process %s of the browser still runs after CloseAll", pid)
		}
	}
}

package renewlock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/tempdir"
)

func TestPath(t *testing.T) {
	run := tempdir.New(t)
	env := map[string]string{"XDG_RUNTIME_DIR": run}
	cache, _ := os.UserCacheDir()
	want := filepath.Join(cache, "ssotray", FileName)
	inRun := filepath.Join(run, FileName)
	if runtime.GOOS == "windows" {
		inRun = want // no XDG_RUNTIME_DIR there: %LocalAppData% is the user's
	}
	if got, err := Path(func(k string) string { return env[k] }); err != nil || got != inRun {
		t.Errorf("with XDG_RUNTIME_DIR: %s %v, want %s", got, err, inRun)
	}
	if got, _ := Path(func(string) string { return "" }); got != want {
		t.Errorf("without XDG_RUNTIME_DIR: %s, want the user's own cache dir %s", got, want)
	}
	if runtime.GOOS == "windows" {
		return
	}
	// A runtime dir others may write to is not used.
	open := tempdir.New(t)
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if got, _ := Path(func(k string) string { return map[string]string{"XDG_RUNTIME_DIR": open}[k] }); got != want {
		t.Errorf("with a world-writable XDG_RUNTIME_DIR: %s, want %s", got, want)
	}
}

func TestOneHolderAtATime(t *testing.T) {
	path := filepath.Join(tempdir.New(t), "sub", FileName)
	a, b := New(path), New(path) // two processes, as far as the lock can tell
	unlock, err := a.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("lock file %v %v, want mode 0600", info, err)
		}
		if info, err := os.Stat(filepath.Dir(path)); err != nil || info.Mode().Perm() != 0o700 {
			t.Errorf("lock dir %v %v, want mode 0700", info, err)
		}
	}
	got := make(chan error, 1)
	go func() {
		u, err := b.Lock(context.Background())
		if err == nil {
			u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("a second holder got the lock while the first held it: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatalf("after the first let go: %v", err)
	}
}

func TestWaitEndsWithTheContextAndSaysWhy(t *testing.T) {
	path := filepath.Join(tempdir.New(t), FileName)
	unlock, err := New(path).Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = New(path).Lock(ctx)
	var busy *BusyError
	if !errors.As(err, &busy) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a *BusyError for the deadline", err)
	}
	for _, want := range []string{"waited", "renewing the session", path, "the session is kept"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	if runtime.GOOS != "windows" && !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Errorf("%q does not name the holder", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := New(path).Lock(ctx); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("cancelled: %v", err)
	}
}

// Many at once, each counting up a shared number with a read, a pause and a
// write: only one at a time keeps every increment.
func TestManyAtOnce(t *testing.T) {
	path := filepath.Join(tempdir.New(t), FileName)
	var mu sync.Mutex // only for the race detector; the lock is under test
	n, inside, most := 0, 0, 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := New(path).Lock(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			defer unlock()
			mu.Lock()
			inside++
			most = max(most, inside)
			v := n
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			n = v + 1
			inside--
			mu.Unlock()
		}()
	}
	wg.Wait()
	if n != 8 || most != 1 {
		t.Errorf("count %d (want 8), at most %d holders at once (want 1)", n, most)
	}
}

func TestStamp(t *testing.T) {
	dir := filepath.Join(tempdir.New(t), "ssotray")
	l := New(filepath.Join(dir, FileName))
	if s := l.Stamp(); s != "" {
		t.Errorf("before any change: %q", s)
	}
	a := l.Bump()
	other := New(filepath.Join(dir, FileName)) // another process
	if a == "" || other.Stamp() != a {
		t.Errorf("after a change: %q, another process reads %q", a, other.Stamp())
	}
	if b := other.Bump(); b == a || l.Stamp() != b {
		t.Errorf("a second change: %q, read %q", b, l.Stamp())
	}
	if fi, err := os.Stat(l.stampPath()); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Errorf("stamp file: %v %v", fi, err)
	}
	// A stamp that cannot be written is removed: every reader reads again.
	if runtime.GOOS != "windows" && os.Getuid() != 0 {
		_ = os.Chmod(dir, 0o500)
		defer os.Chmod(dir, 0o700)
		if s := l.Bump(); s != "" {
			t.Errorf("bump in a read-only directory: %q", s)
		}
	}
}

func TestFirstStamp(t *testing.T) {
	dir := filepath.Join(tempdir.New(t), "ssotray")
	l := New(filepath.Join(dir, FileName))
	first := l.First()
	if first == "" || l.Stamp() != first {
		t.Fatalf("with no stamp: First %q, Stamp %q", first, l.Stamp())
	}
	other := New(filepath.Join(dir, FileName)) // another process, a moment later
	if s := other.First(); s != "" || l.Stamp() != first {
		t.Errorf("First over an existing stamp: %q, the stamp is now %q (want %q kept)", s, l.Stamp(), first)
	}
	b := other.Bump()
	if s := l.First(); s != "" || l.Stamp() != b {
		t.Errorf("First after a change: %q, the stamp is now %q (want %q kept)", s, l.Stamp(), b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left in %s: %v (want the stamp alone)", dir, entries)
	}
}

// A process without XDG_RUNTIME_DIR (cron, sudo -u, env -i) keeps its lock
// and stamp in ssotray's cache directory: its changes of the stored session
// still change the stamp that the desktop's processes read.
func TestStampTakesInTheOtherDirectory(t *testing.T) {
	run := tempdir.New(t)
	t.Setenv("XDG_CACHE_HOME", tempdir.New(t))
	desktop, err := Open(func(k string) string { return map[string]string{"XDG_RUNTIME_DIR": run}[k] })
	if err != nil {
		t.Fatal(err)
	}
	cron, err := Open(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "windows" {
		// One directory for all (%LocalAppData%): the same stamp anyway.
		if desktop.Path() != cron.Path() {
			t.Errorf("two lock paths on Windows: %s, %s", desktop.Path(), cron.Path())
		}
		return
	}
	if desktop.Path() == cron.Path() {
		t.Fatalf("both use %s", desktop.Path())
	}
	first := desktop.First()
	if first == "" || desktop.Stamp() != first {
		t.Fatalf("First %q, Stamp %q", first, desktop.Stamp())
	}
	a := desktop.Bump()
	if a == "" || desktop.Stamp() != a {
		t.Fatalf("Bump %q, Stamp %q", a, desktop.Stamp())
	}
	cron.Bump() // signed out from a cron job
	if desktop.Stamp() == a {
		t.Error("a change by a process without XDG_RUNTIME_DIR left the desktop's stamp as it was")
	}
	if b := desktop.Bump(); desktop.Stamp() != b {
		t.Errorf("Bump %q, Stamp %q", b, desktop.Stamp())
	}
	if c := cron.Bump(); cron.Stamp() != c || strings.Contains(c, "+") {
		t.Errorf("the cron process's own stamp: Bump %q, Stamp %q", c, cron.Stamp())
	}
}

package filelock

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/tempdir"
)

// opened is path opened to lock, closed when the test ends.
func opened(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// Two opens in one process are two lockers: the second is kept out while
// the first holds the lock, and proceeds once it lets go, however it waits
// and however the first lets go.
func TestTwoLockersExcludeEachOther(t *testing.T) {
	waits := []struct {
		name string
		wait func(*os.File) error
	}{
		{"Lock", Lock},
		{"TryLock", func(f *os.File) error {
			for {
				if got, err := TryLock(f); got || err != nil {
					return err
				}
				time.Sleep(5 * time.Millisecond)
			}
		}},
	}
	releases := []struct {
		name    string
		release func(*os.File) error
	}{{"Unlock", Unlock}, {"Close", (*os.File).Close}}
	for _, w := range waits {
		for _, r := range releases {
			t.Run(w.name+" after "+r.name, func(t *testing.T) {
				path := filepath.Join(tempdir.New(t), "x.lock")
				first, second := opened(t, path), opened(t, path)
				if err := Lock(first); err != nil {
					t.Fatal(err)
				}
				if got, err := TryLock(second); got || err != nil {
					t.Fatalf("TryLock while another holds it = %v, %v", got, err)
				}
				done := make(chan error, 1)
				go func() { done <- w.wait(second) }()
				select {
				case err := <-done:
					t.Fatalf("the second got the lock while the first held it (%v)", err)
				case <-time.After(100 * time.Millisecond):
				}
				if err := r.release(first); err != nil {
					t.Fatal(err)
				}
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("the second still waits 5s after the first let go")
				}
				if got, err := TryLock(opened(t, path)); got || err != nil {
					t.Errorf("a third got the lock from the second: %v, %v", got, err)
				}
			})
		}
	}
}

// What a holder writes at the start of the file stays readable to others:
// on Windows the locked byte is elsewhere.
func TestHeldFileStaysReadable(t *testing.T) {
	path := filepath.Join(tempdir.New(t), "x.lock")
	holder := opened(t, path)
	if err := Lock(holder); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.WriteAt([]byte("4242\n"), 0); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 16)
	n, err := opened(t, path).ReadAt(b, 0)
	if string(b[:n]) != "4242\n" {
		t.Errorf("another reads %q, %v", b[:n], err)
	}
}

func TestOpen(t *testing.T) {
	dir := tempdir.New(t)
	f := opened(t, filepath.Join(dir, "x.lock"))
	if info, err := f.Stat(); runtime.GOOS != "windows" && (err != nil || info.Mode().Perm() != 0o600) {
		t.Errorf("lock file %v %v, want mode 0600", info, err)
	}
	if runtime.GOOS == "windows" {
		return
	}
	// Another user's link to a file of ours is not followed.
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.lock")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if f, err := Open(link); err == nil {
		f.Close()
		t.Error("opened a lock through a symbolic link")
	}
}

// The lock goes with its holder, however the holder ends: a killed one
// leaves nothing to clean up.
func TestKilledHolderLetsGo(t *testing.T) {
	if path := os.Getenv("FILELOCK_TEST_HOLD"); path != "" {
		f, err := Open(path)
		if err == nil {
			err = Lock(f)
		}
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("held\n")
		time.Sleep(time.Minute)
		return
	}
	path := filepath.Join(tempdir.New(t), "x.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledHolderLetsGo$")
	cmd.Env = append(os.Environ(), "FILELOCK_TEST_HOLD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "held\n" {
		t.Fatalf("the holder says %q, %v", line, err)
	}
	f := opened(t, path)
	if got, err := TryLock(f); got || err != nil {
		t.Fatalf("TryLock while process %d holds it = %v, %v", cmd.Process.Pid, got, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got, err := TryLock(f)
		if got || err != nil {
			if err != nil {
				t.Fatal(err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the lock outlived its killed holder by 5s")
		}
	}
}

// Package renewlock holds the per-user lock that keeps renewals of the stored
// session to one at a time across ssotray processes. Authentik rotates the
// refresh token on every use and refuses a rotated one, so two processes
// renewing with the same token at once would have the loser refused; under
// this lock a process reloads the stored session, renews only if nobody else
// has, and saves before it lets go.
//
// The lock is a file beside ssotray's instance socket (app/instance): in
// XDG_RUNTIME_DIR, else in the user's own cache directory, never in a
// directory other users can write to. It is held with app/filelock, so a
// process lets go when it ends, however it ends.
package renewlock

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ssotray/ssotray/app/filelock"
	"github.com/ssotray/ssotray/app/rundir"
)

// FileName is the lock file's name in XDG_RUNTIME_DIR; in the cache
// directory it is in ssotray's own subdirectory.
const FileName = "ssotray-renew.lock"

// Path is where the lock lives for this user: in the private directory
// app/rundir finds (XDG_RUNTIME_DIR when it is the user's alone, else
// ssotray's own directory in the user's cache or home directory). It fails
// when no private directory can be had; renewals are then coordinated
// within each process only.
func Path(getenv func(string) string) (string, error) {
	dir, err := rundir.Default(getenv).Find()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, FileName), nil
}

// Open is the lock for this user (Path). When that is in XDG_RUNTIME_DIR,
// its stamp also takes in the stamp of the directory that ssotray processes
// without XDG_RUNTIME_DIR use (cron, `sudo -u`, `env -i`: ssotray's own
// directory in the cache or home directory): a sign-in, sign-out or renewal
// there is a change of the stored session here too. (They do not take the
// same lock, nor hear each other's news.)
func Open(getenv func(string) string) (*File, error) {
	path, err := Path(getenv)
	if err != nil {
		return nil, err
	}
	l := New(path)
	if run := getenv("XDG_RUNTIME_DIR"); run != "" && filepath.Dir(path) == filepath.Clean(run) {
		l.elsewhere = func() string {
			other, err := Path(func(k string) string {
				if k == "XDG_RUNTIME_DIR" {
					return ""
				}
				return getenv(k)
			})
			if err != nil || other == path {
				return ""
			}
			return other + stampSuffix
		}
	}
	return l, nil
}

// File is the lock at one path. Each Lock opens the file afresh, so two
// Locks in one process exclude each other as two processes do.
type File struct {
	path string
	// poll is how long to wait between attempts at a held lock.
	poll time.Duration
	// elsewhere finds the stamp file of processes that use another
	// directory ("" none); asked once, at the first stamp read or written.
	elsewhere func() string
	once      sync.Once
	other     string
}

// New returns the lock at path; nothing is created until Lock.
func New(path string) *File { return &File{path: path, poll: 10 * time.Millisecond} }

// Path is the lock file.
func (l *File) Path() string { return l.path }

// Lock waits until this process holds the lock, or until ctx ends: then the
// error says who holds it (the holder's process id is in the file), for how
// long this process waited, and where the lock is. The returned func lets go.
func (l *File) Lock(ctx context.Context) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create %s for the lock that keeps ssotray's renewals to one at a time: %w", filepath.Dir(l.path), err)
	}
	f, err := filelock.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s, the lock that keeps ssotray's renewals to one at a time: %w", l.path, err)
	}
	start := time.Now()
	for {
		got, err := filelock.TryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot lock %s: %w", l.path, err)
		}
		if got {
			// Who holds it, for the message of a process that waits in vain.
			_ = f.Truncate(0)
			_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			return func() {
				_ = f.Truncate(0)
				_ = filelock.Unlock(f)
				f.Close()
			}, nil
		}
		select {
		case <-ctx.Done():
			holder := holderOf(f)
			f.Close()
			return nil, &BusyError{Path: l.path, Holder: holder, Waited: time.Since(start), Err: ctx.Err()}
		case <-time.After(l.poll):
		}
	}
}

// stampSuffix names the file beside the lock that marks changes of the
// stored session.
const stampSuffix = ".stamp"

func (l *File) stampPath() string { return l.path + stampSuffix }

// Stamp is the mark of the stored session's last change by any ssotray
// process (see Bump); "" when there is none or it cannot be read, which
// matches nothing: the reader then reads the keyring again. With a stamp
// from elsewhere (Open) it is both, so a change there changes it too.
func (l *File) Stamp() string { return l.with(readStamp(l.stampPath())) }

// with joins this directory's stamp with the one from elsewhere, if any.
func (l *File) with(own string) string {
	l.once.Do(func() {
		if l.elsewhere != nil {
			l.other = l.elsewhere()
		}
	})
	if own == "" || l.other == "" {
		return own
	}
	return own + "+" + readStamp(l.other)
}

func readStamp(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) > maxStamp {
		return ""
	}
	return string(b)
}

// maxStamp bounds what Stamp reads; a stamp is rand.Text's 26 characters.
const maxStamp = 64

// Bump marks a change of the stored session with a new random stamp and
// returns it. The stamp replaces the old one in one rename, so a reader
// sees one or the other. When it cannot be written, the old stamp is
// removed ("" then for everyone) and "" returned.
func (l *File) Bump() string {
	stamp, err := l.putStamp(os.Rename)
	if err != nil {
		_ = os.Remove(l.stampPath())
		return ""
	}
	return l.with(stamp)
}

// First sets a stamp when there is none, and returns it; "" when there is
// one already (another process set it meanwhile) or it cannot be written.
// A process that finds no stamp calls it before it reads the session: then,
// like any stamp read before the session, it is never newer than what is
// read (a change after it sets another). Without it a stamp would exist
// only after the first change since the directory was cleared (at boot,
// XDG_RUNTIME_DIR), and nobody could tell the store unchanged till then.
func (l *File) First() string {
	stamp, err := l.putStamp(os.Link) // a link never replaces an existing stamp
	if err != nil {
		return ""
	}
	return l.with(stamp)
}

// putStamp writes a new stamp beside the stamp file and puts it in place
// with put (rename or link).
func (l *File) putStamp(put func(tmp, path string) error) (string, error) {
	path := l.stampPath()
	stamp := rand.Text()
	tmp := path + "." + strconv.Itoa(os.Getpid())
	err := os.MkdirAll(filepath.Dir(path), 0o700)
	if err == nil {
		err = os.WriteFile(tmp, []byte(stamp), 0o600)
	}
	if err == nil {
		err = put(tmp, path)
	}
	_ = os.Remove(tmp)
	return stamp, err
}

// holderOf reads the process id the holder wrote, 0 if none.
func holderOf(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil {
		return 0
	}
	return pid
}

// BusyError means the lock stayed with another process for as long as this
// one could wait.
type BusyError struct {
	Path   string
	Holder int // process id, 0 when unknown
	Waited time.Duration
	Err    error // context.DeadlineExceeded or context.Canceled
}

func (e *BusyError) Error() string {
	who := "another ssotray process"
	if e.Holder > 0 {
		who = fmt.Sprintf("another ssotray process (pid %d)", e.Holder)
	}
	waited := e.Waited.Round(100 * time.Millisecond)
	if errors.Is(e.Err, context.Canceled) {
		return fmt.Sprintf("cancelled after waiting %s for %s, which is renewing the session (it holds %s)", waited, who, e.Path)
	}
	return fmt.Sprintf("waited %s for %s, which is renewing the session and still holds %s; the session is kept: try again, and if this repeats, end that process", waited, who, e.Path)
}

func (e *BusyError) Unwrap() error { return e.Err }

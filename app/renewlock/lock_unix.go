//go:build unix

package renewlock

import (
	"errors"
	"os"
	"syscall"
)

// private is true when dir belongs to this user and no one else may write
// to it, as XDG_RUNTIME_DIR must be.
func private(dir string) bool {
	info, err := os.Stat(dir)
	if err != nil {
		return os.IsNotExist(err) // created 0700 at the first Lock
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	return info.IsDir() && info.Mode().Perm()&0o022 == 0 && (!ok || int(st.Uid) == os.Getuid())
}

// openLockFile opens (or creates, 0600) the lock file, never through a
// symbolic link.
func openLockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
}

// tryLock takes the flock without waiting; false when another holds it.
func tryLock(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		}
		return false, err
	}
}

func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

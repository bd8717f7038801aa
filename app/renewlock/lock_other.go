//go:build !unix && !windows

package renewlock

import "os"

// Where there is neither flock nor LockFileEx (js, wasip1, plan9) the lock
// is a no-op, as app/instance's lock is: renewals are one at a time within
// a process only, and the core still never deletes a session that another
// process has renewed.

func openLockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
}

func tryLock(*os.File) (bool, error) { return true, nil }

func unlockFile(*os.File) error { return nil }

//go:build windows

package renewlock

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

func openLockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
}

// lockOffset is the byte locked: far past the holder's pid at the start of
// the file, which other processes must still be able to read.
const lockOffset = 1 << 20

func lockRegion() *windows.Overlapped { return &windows.Overlapped{Offset: lockOffset} }

// tryLock takes an exclusive LockFileEx lock on one byte without waiting;
// false when another holds it.
func tryLock(f *os.File) (bool, error) {
	ol := lockRegion()
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION), errors.Is(err, windows.ERROR_IO_PENDING):
		return false, nil
	}
	return false, err
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, lockRegion())
}

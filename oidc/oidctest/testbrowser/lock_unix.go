//go:build unix

package main

import (
	"os"
	"syscall"
)

// lockFile holds an exclusive flock on f until the returned func runs.
func lockFile(f *os.File) (unlock func()) {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return func() {}
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
}

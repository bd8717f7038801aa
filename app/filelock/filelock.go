// Package filelock is the exclusive lock on a file that keeps ssotray's
// processes to one at a time: one instance (app/instance), one renewal
// (app/renewlock). It is flock(2) on Unix and LockFileEx on Windows, so the
// kernel lets go when a holder ends, however it ends; where neither exists
// (js, wasip1, plan9) it is a no-op. The lock belongs to the open file, so
// two opens in one process exclude each other as two processes do.
package filelock

import "os"

// Open opens path to lock it, creating it 0600; on Unix never through a
// symbolic link, which another user could have planted.
func Open(path string) (*os.File, error) { return open(path) }

// TryLock takes the lock on f without waiting; false when another holds it.
func TryLock(f *os.File) (bool, error) { return tryLock(f) }

// Lock waits until f holds the lock.
func Lock(f *os.File) error { return lock(f) }

// Unlock lets go of the lock on f; closing f does too.
func Unlock(f *os.File) error { return unlock(f) }

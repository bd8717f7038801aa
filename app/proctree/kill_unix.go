//go:build unix

package proctree

import "syscall"

// OS signals and reaps real processes.
type OS struct{}

func (OS) Signal(pid int, s Signal) error {
	sig := syscall.SIGTERM
	if s == Kill {
		sig = syscall.SIGKILL
	}
	return syscall.Kill(pid, sig)
}

func (OS) Reap(pid int) {
	var ws syscall.WaitStatus
	_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
}

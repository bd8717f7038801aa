//go:build unix

package launch

import (
	"os/exec"
	"syscall"
)

// detach puts the browser in its own process group: a Ctrl-C meant for
// ssotray does not close it, and the whole browser can be ended together.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// endGroup asks the command's whole process group to end, or kills it.
func endGroup(cmd *exec.Cmd, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}

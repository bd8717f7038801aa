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

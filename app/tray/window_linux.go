package tray

import (
	"os/exec"
	"syscall"
)

// endWithTray makes the window's process get SIGTERM when the tray's ends,
// however it ends (killed, crashed): without the socket (no private
// directory for it) nothing else would tell it.
func endWithTray(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

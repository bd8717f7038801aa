package winconsole

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// HandOff starts ssotray.exe with args in place of ssotray.com started
// without a verb (see guiProgram), detached from the terminal, and says
// whether it did: the caller then exits.
func HandOff(verb bool, args []string) (bool, error) {
	if verb {
		return false, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return false, nil
	}
	gui, ok := guiProgram(exe, verb)
	if !ok {
		return false, nil
	}
	cmd := exec.Command(gui, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.DETACHED_PROCESS | windows.CREATE_NEW_PROCESS_GROUP}
	if err := cmd.Start(); err != nil {
		return true, fmt.Errorf("starting %s (it belongs beside %s; reinstall ssotray): %w", gui, exe, err)
	}
	_ = cmd.Process.Release()
	return true, nil
}

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
	// Out of the terminal's job too where it may leave (a job that ends its
	// processes with the terminal, as SSH sessions have); where it may not,
	// as its child.
	for _, flags := range []uint32{windows.DETACHED_PROCESS | windows.CREATE_BREAKAWAY_FROM_JOB, windows.DETACHED_PROCESS} {
		cmd := exec.Command(gui, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: flags}
		if err = cmd.Start(); err == nil {
			_ = cmd.Process.Release()
			return true, nil
		}
	}
	return true, fmt.Errorf("starting %s (it belongs beside %s; reinstall ssotray): %w", gui, exe, err)
}

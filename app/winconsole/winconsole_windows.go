package winconsole

import (
	"os"

	"golang.org/x/sys/windows"
)

// Attach gives a verb the console of the program that started it, for the
// standard streams that have no handle (see the package comment).
func Attach(verb bool) Report { return attach(realSystem{}, verb) }

// attachParentProcess is ATTACH_PARENT_PROCESS, (DWORD)-1.
const attachParentProcess = ^uint32(0)

var procAttachConsole = windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")

type realSystem struct{}

var stdHandles = [...]uint32{windows.STD_INPUT_HANDLE, windows.STD_OUTPUT_HANDLE, windows.STD_ERROR_HANDLE}

func (realSystem) Valid(s Stream) bool {
	h, err := windows.GetStdHandle(stdHandles[s])
	return err == nil && validHandle(h)
}

// validHandle reports whether h is a handle Windows knows a type of: a
// GUI program started from a console gets none (0), or a stale one.
func validHandle(h windows.Handle) bool {
	if h == 0 || h == windows.InvalidHandle {
		return false
	}
	t, err := windows.GetFileType(h)
	return err == nil && t != windows.FILE_TYPE_UNKNOWN
}

func (realSystem) AttachParent() error {
	if r, _, err := procAttachConsole.Call(uintptr(attachParentProcess)); r == 0 {
		return err
	}
	return nil
}

func (realSystem) Reopen(s Stream) error {
	name := "CONOUT$"
	if s == Stdin {
		name = "CONIN$"
	}
	h, err := windows.CreateFile(windows.StringToUTF16Ptr(name),
		windows.GENERIC_READ|windows.GENERIC_WRITE, windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE,
		nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		return err
	}
	if err := windows.SetStdHandle(stdHandles[s], h); err != nil {
		_ = windows.CloseHandle(h)
		return err
	}
	f := os.NewFile(uintptr(h), "/dev/"+s.String())
	switch s {
	case Stdin:
		os.Stdin = f
	case Stdout:
		os.Stdout = f
	case Stderr:
		os.Stderr = f
	}
	return nil
}

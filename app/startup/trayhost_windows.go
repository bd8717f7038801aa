package startup

import (
	"context"
	"syscall"
	"time"
	"unsafe"
)

var findWindow = syscall.NewLazyDLL("user32.dll").NewProc("FindWindowW")

// taskbarWait is how long the first look waits for a taskbar that is
// starting (under Wine it comes a moment after the first window); then it is
// looked for every taskbarEvery, as Explorer may restart (fyne.io/systray
// adds the icon again by itself when it does: TaskbarCreated).
const (
	taskbarWait  = 5 * time.Second
	taskbarEvery = 5 * time.Second
)

// WatchTrayHost is the real Deps.WatchTrayHost: on Windows the taskbar's
// notification area, there while Explorer's taskbar window is.
func WatchTrayHost(ctx context.Context, report func(up bool)) {
	poll(ctx, taskbarWait, taskbarEvery, taskbarUp, report)
}

func taskbarUp() bool {
	class, _ := syscall.UTF16PtrFromString("Shell_TrayWnd")
	h, _, _ := findWindow.Call(uintptr(unsafe.Pointer(class)), 0)
	return h != 0
}

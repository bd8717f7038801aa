package tray

import (
	"errors"
	"os"
	"strings"
	"unicode/utf16"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	shellNotifyIcon          = windows.NewLazySystemDLL("shell32.dll").NewProc("Shell_NotifyIconW")
	findWindowEx             = windows.NewLazySystemDLL("user32.dll").NewProc("FindWindowExW")
	getWindowThreadProcessID = windows.NewLazySystemDLL("user32.dll").NewProc("GetWindowThreadProcessId")
)

// The tray icon as fyne.io/systray makes it: its window class and the
// icon's ID on that window.
const (
	systrayClass  = "SystrayClass"
	systrayIconID = 100
)

// Shell_NotifyIconW's message and NOTIFYICONDATAW's flags.
const (
	nimModify = 0x1
	nifInfo   = 0x10
	niifInfo  = 0x1
)

// notifyIconData is NOTIFYICONDATAW (the Vista layout, 976 bytes on
// amd64), where uTimeout and uVersion are one union.
type notifyIconData struct {
	Size                       uint32
	Wnd                        windows.Handle
	ID, Flags, CallbackMessage uint32
	Icon                       windows.Handle
	Tip                        [128]uint16
	State, StateMask           uint32
	Info                       [256]uint16
	TimeoutOrVersion           uint32
	InfoTitle                  [64]uint16
	InfoFlags                  uint32
	GuidItem                   windows.GUID
	BalloonIcon                windows.Handle
}

// Notify is the real Deps.Notify on Windows: a balloon from ssotray's own
// tray icon, which Windows 10 and later show as a notification of ssotray
// (no registered application ID needed, unlike a toast of its own).
func Notify(title, body string) { _ = balloon(os.Getpid(), title, body) }

// errNoTrayIcon: process pid shows no tray icon (yet, or any more).
var errNoTrayIcon = errors.New("no tray icon of this process")

// balloon shows title and body over the tray icon of process pid.
func balloon(pid int, title, body string) error {
	wnd, err := trayWindow(pid)
	if err != nil {
		return err
	}
	nid := notifyIconData{Wnd: wnd, ID: systrayIconID, Flags: nifInfo, InfoFlags: niifInfo}
	nid.Size = uint32(unsafe.Sizeof(nid))
	fill(nid.InfoTitle[:], title)
	fill(nid.Info[:], body)
	if ok, _, err := shellNotifyIcon.Call(nimModify, uintptr(unsafe.Pointer(&nid))); ok == 0 {
		return err
	}
	return nil
}

// trayWindow finds the window of fyne.io/systray's icon in process pid.
func trayWindow(pid int) (windows.Handle, error) {
	class, _ := windows.UTF16PtrFromString(systrayClass)
	var after uintptr
	for {
		wnd, _, _ := findWindowEx.Call(0, after, uintptr(unsafe.Pointer(class)), 0)
		if wnd == 0 {
			return 0, errNoTrayIcon
		}
		var owner uint32
		getWindowThreadProcessID.Call(wnd, uintptr(unsafe.Pointer(&owner)))
		if int(owner) == pid {
			return windows.Handle(wnd), nil
		}
		after = wnd
	}
}

// fill copies s into dst as UTF-16 with its terminating zero, cut to fit
// (never inside a surrogate pair); a NUL in s is left out.
func fill(dst []uint16, s string) {
	u := utf16.Encode([]rune(strings.ReplaceAll(s, "\x00", "")))
	if len(u) >= len(dst) {
		u = u[:len(dst)-1]
		if n := len(u); n > 0 && utf16.IsSurrogate(rune(u[n-1])) && u[n-1] < 0xdc00 {
			u = u[:n-1] // a high surrogate without its low one
		}
	}
	copy(dst, u)
	dst[len(u)] = 0
}

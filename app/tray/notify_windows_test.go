package tray

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unsafe"

	"github.com/ssotray/ssotray/assets"
)

// TestWindowsBalloon: a notification is a balloon from the process's own
// tray icon, as fyne.io/systray makes it (its window class and icon ID).
// It needs a notification area: `make test-windows` runs it under Wine on
// the desktop session's display (SSOTRAY_TEST_WINE_DISPLAY=1).
func TestWindowsBalloon(t *testing.T) {
	if os.Getenv("SSOTRAY_TEST_WINE_DISPLAY") == "" {
		t.Skip("needs a display with a notification area (make test-windows)")
	}
	pid := os.Getpid()
	if err := balloon(pid, "ssotray", "before the icon"); !errors.Is(err, errNoTrayIcon) {
		t.Errorf("a balloon with no tray icon yet: %v", err)
	}
	s := NewSystray()
	ready := make(chan struct{})
	go s.Run(func() { s.SetIcon(assets.Icon64); close(ready) }, func() {})
	defer s.Quit()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("the tray icon was not made")
	}
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if err = balloon(pid, "ssotray", "Signed in as Carol Admin (carol)"); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("the balloon over ssotray's own icon: %v", err)
	}
	// Long text is cut to fit, not refused.
	if err := balloon(pid, "ssotray", strings.Repeat("é", 400)); err != nil {
		t.Errorf("a long notice: %v", err)
	}
	if err := balloon(pid+100000, "ssotray", "to another process's icon"); !errors.Is(err, errNoTrayIcon) {
		t.Errorf("a balloon for a process with no icon: %v", err)
	}
}

// Windows reads the balloon's title and flags at the offsets of its own
// NOTIFYICONDATAW (shellapi.h); Wine does not check them, so this does.
func TestNotifyIconDataLayout(t *testing.T) {
	var n notifyIconData
	for _, tt := range []struct {
		name      string
		got, want uintptr
	}{
		{"size", unsafe.Sizeof(n), 976},
		{"szInfo", unsafe.Offsetof(n.Info), 304},
		{"uTimeout/uVersion", unsafe.Offsetof(n.TimeoutOrVersion), 816},
		{"szInfoTitle", unsafe.Offsetof(n.InfoTitle), 820},
		{"dwInfoFlags", unsafe.Offsetof(n.InfoFlags), 948},
		{"guidItem", unsafe.Offsetof(n.GuidItem), 952},
		{"hBalloonIcon", unsafe.Offsetof(n.BalloonIcon), 968},
	} {
		if tt.got != tt.want {
			t.Errorf("%s at %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

func TestFill(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		size int
		want string
	}{
		{"fits", "Signed in", 64, "Signed in"},
		{"cut with its zero", "abcdef", 4, "abc"},
		{"a NUL ends nothing early", "a\x00b", 8, "ab"},
		{"a surrogate pair is not split", "ab😀", 4, "ab"},
	} {
		dst := make([]uint16, tt.size)
		fill(dst, tt.in)
		n := 0
		for n < len(dst) && dst[n] != 0 {
			n++
		}
		if n == len(dst) {
			t.Errorf("%s: no terminating zero", tt.name)
			continue
		}
		if got := string(utf16.Decode(dst[:n])); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

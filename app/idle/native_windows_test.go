package idle

import (
	"os"
	"testing"
	"time"
	"unsafe"
)

// TestWindowsIdleCountsAndResetsOnInput reads GetLastInputInfo as the
// kiosk's idle sign-out does, on Windows or in the Wine prefix of
// `make test-windows` (SSOTRAY_TEST_WINDOWS=1): the idle time grows while
// nobody touches the machine and drops when input arrives (a mouse move
// injected with SendInput, as a person's would be).
func TestWindowsIdleCountsAndResetsOnInput(t *testing.T) {
	if os.Getenv("SSOTRAY_TEST_WINDOWS") != "1" {
		t.Skip("injects input into this Windows session: needs SSOTRAY_TEST_WINDOWS=1 (make test-windows runs it under Wine)")
	}
	src, err := Open(func(string) string { return "" }) // no X or Wayland: the native source alone
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer src.Close()
	if _, ok := src.(windowsIdle); !ok {
		t.Fatalf("Open gave %T, want the GetLastInputInfo source", src)
	}
	first, err := src.Idle()
	if err != nil {
		t.Fatal(err)
	}
	if first < 0 || first > 24*time.Hour {
		t.Fatalf("idle time %v: not a sane value", first)
	}
	time.Sleep(1500 * time.Millisecond)
	before, err := src.Idle()
	if err != nil {
		t.Fatal(err)
	}
	if before < first+time.Second {
		t.Fatalf("idle %v, then %v after 1.5 s without input: it does not count", first, before)
	}
	if err := moveMouse(); err != nil {
		t.Fatalf("SendInput: %v", err)
	}
	after, err := src.Idle()
	if err != nil {
		t.Fatal(err)
	}
	if after >= before || after > 500*time.Millisecond {
		t.Errorf("idle %v before input, %v after: input did not reset it", before, after)
	}
}

// input is Windows' INPUT holding a MOUSEINPUT (40 bytes on amd64).
type input struct {
	typ       uint32
	_         uint32
	dx, dy    int32
	mouseData uint32
	flags     uint32
	time      uint32
	_         uint32
	extraInfo uintptr
}

func moveMouse() error {
	const inputMouse, mouseeventfMove = 0, 0x0001
	in := input{typ: inputMouse, dx: 3, dy: 3, flags: mouseeventfMove}
	n, _, err := user32.NewProc("SendInput").Call(1, uintptr(unsafe.Pointer(&in)), unsafe.Sizeof(in))
	if n != 1 {
		return err
	}
	return nil
}

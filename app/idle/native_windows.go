package idle

import (
	"fmt"
	"syscall"
	"time"
	"unsafe"
)

var (
	user32           = syscall.NewLazyDLL("user32.dll")
	kernel32         = syscall.NewLazyDLL("kernel32.dll")
	getLastInputInfo = user32.NewProc("GetLastInputInfo")
	getTickCount     = kernel32.NewProc("GetTickCount")
)

// lastInputInfo is Windows' LASTINPUTINFO.
type lastInputInfo struct {
	size uint32
	time uint32 // tick count at the last input
}

// windowsIdle reads the session's last input time from GetLastInputInfo.
type windowsIdle struct{}

func openNative() (Source, error) {
	s := windowsIdle{}
	if _, err := s.Idle(); err != nil {
		return nil, err
	}
	return s, nil
}

func (windowsIdle) Idle() (time.Duration, error) {
	info := lastInputInfo{size: uint32(unsafe.Sizeof(lastInputInfo{}))}
	if ok, _, err := getLastInputInfo.Call(uintptr(unsafe.Pointer(&info))); ok == 0 {
		return 0, fmt.Errorf("GetLastInputInfo: %w", err)
	}
	now, _, _ := getTickCount.Call()
	// Both are 32-bit millisecond tick counts: the subtraction wraps with them.
	return time.Duration(uint32(now)-info.time) * time.Millisecond, nil
}

func (windowsIdle) Close() {}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/proctree"
)

// ssotray shows its window from a process of its own, ssotray-window, a
// child of the tray's (a kiosk is ssotray-window itself): these find it.

// windowPIDs are pid and its children that run ssotray-window (ended
// ones, not yet reaped, aside).
func windowPIDs(pid int) []int {
	pids := []int{pid}
	procs, _ := proctree.ProcFS{}.Processes()
	for _, p := range procs {
		if p.PPID == pid && !p.Zombie && isWindow(p.PID) {
			pids = append(pids, p.PID)
		}
	}
	return pids
}

// isWindow tells whether pid runs ssotray-window.
func isWindow(pid int) bool {
	exe, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "exe"))
	return filepath.Base(exe) == "ssotray-window"
}

// findWindows returns the visible X windows of ssotray started as pid
// that match the xdotool search options more; none when there is none.
func findWindows(pid int, more ...string) []string {
	var ids []string
	for _, p := range windowPIDs(pid) {
		args := append([]string{"search", "--all", "--onlyvisible", "--pid", strconv.Itoa(p)}, more...)
		out, _ := exec.Command("xdotool", args...).Output()
		ids = append(ids, strings.Fields(string(out))...)
	}
	return ids
}

// waitWindow waits up to timeout for a window as findWindows finds it and
// returns the first; "" when none came.
func waitWindow(pid int, timeout time.Duration, more ...string) string {
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		if ids := findWindows(pid, more...); len(ids) > 0 {
			return ids[0]
		}
		if time.Now().After(deadline) {
			return ""
		}
	}
}

// windowProcesses are the ssotray-window processes that are children of pid.
func windowProcesses(t *testing.T, pid int) []int {
	t.Helper()
	return windowPIDs(pid)[1:]
}

// killTray kills the tray's process pid and checks that its window's
// process ends with it (it gets SIGTERM on Linux): one left behind would
// keep the test's output pipe, and a person's screen, open. Those still
// there after 10 s fail the test and are killed.
func killTray(t *testing.T, p *os.Process) {
	t.Helper()
	windows := windowProcesses(t, p.Pid)
	_ = p.Kill()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !slices.ContainsFunc(windows, isWindow) {
			return
		}
	}
	t.Errorf("the window's processes %v outlived the tray's by 10 s", windows)
	dumpStacks(windows)
	for _, w := range windows {
		if wp, err := os.FindProcess(w); err == nil {
			_ = wp.Kill()
		}
	}
}

// dumpStacks has the Go runtime of each of pids print every goroutine's
// stack on its stderr (SIGQUIT), where the test's output collects it, and
// gives it a moment: for the window processes that should have ended.
func dumpStacks(pids []int) {
	for _, pid := range pids {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Signal(syscall.SIGQUIT)
		}
	}
	time.Sleep(time.Second)
}

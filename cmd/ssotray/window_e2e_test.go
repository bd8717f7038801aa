package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ssotray shows its window from a process of its own, ssotray-window, a
// child of the tray's (a kiosk is ssotray-window itself): these find it.

// windowPIDs are pid and its children that run ssotray-window.
func windowPIDs(pid int) []int {
	pids := []int{pid}
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(c); err == nil {
				if exe, _ := os.Readlink(filepath.Join("/proc", c, "exe")); filepath.Base(exe) == "ssotray-window" {
					pids = append(pids, n)
				}
			}
		}
	}
	return pids
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
		left := 0
		for _, w := range windows {
			if exe, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(w), "exe")); filepath.Base(exe) == "ssotray-window" {
				left++
			}
		}
		if left == 0 {
			return
		}
	}
	t.Errorf("the window's processes %v outlived the tray's by 10 s", windows)
	for _, w := range windows {
		if wp, err := os.FindProcess(w); err == nil {
			_ = wp.Kill()
		}
	}
}

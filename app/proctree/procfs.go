package proctree

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ProcFS is the process table of Linux's /proc (Root "" means /proc).
type ProcFS struct{ Root string }

// Processes reads every /proc/PID/stat; a process that ends while the table
// is read is left out.
func (fs ProcFS) Processes() ([]Info, error) {
	root := fs.Root
	if root == "" {
		root = "/proc"
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	out := make([]Info, 0, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, e.Name(), "stat"))
		if err != nil {
			continue // ended meanwhile
		}
		if info, err := ParseStat(pid, string(data)); err == nil {
			out = append(out, info)
		}
	}
	return out, nil
}

// StartOf is the start time of pid, for recording one process.
func (fs ProcFS) StartOf(pid int) (uint64, error) {
	root := fs.Root
	if root == "" {
		root = "/proc"
	}
	data, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	info, err := ParseStat(pid, string(data))
	return info.Start, err
}

// ParseStat reads one /proc/PID/stat line (proc(5)). The command name, in
// parentheses, may hold spaces and parentheses itself: the fields start
// after the last ')'.
func ParseStat(pid int, stat string) (Info, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return Info{}, fmt.Errorf("/proc/%d/stat has no command name", pid)
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); starttime is field 22.
	if len(f) < 20 {
		return Info{}, fmt.Errorf("/proc/%d/stat has %d fields after the name, want 20 or more", pid, len(f))
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgid, err2 := strconv.Atoi(f[2])
	start, err3 := strconv.ParseUint(f[19], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return Info{}, fmt.Errorf("/proc/%d/stat: unexpected fields %q", pid, f[:20])
	}
	return Info{Proc: Proc{PID: pid, Start: start}, PPID: ppid, PGID: pgid, Zombie: f[0] == "Z" || f[0] == "X"}, nil
}

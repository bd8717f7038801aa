//go:build unix

package fsperm

import (
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// Current are the facts of this process and the real file system.
func Current() Facts {
	groups, _ := os.Getgroups()
	return Facts{Lstat: Lstat, Resolve: filepath.EvalSymlinks, UID: os.Getuid(), Groups: append(groups, os.Getgid()), Writable: writable}
}

// Lstat is lstat(2) as an Info.
func Lstat(path string) (Info, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return Info{}, err
	}
	in := Info{Mode: fi.Mode()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		in.UID, in.GID = int(st.Uid), int(st.Gid)
	}
	return in, nil
}

// Supported: the checks mean what they say here.
const Supported = true

// writable is faccessat(2) with AT_EACCESS: may this process write to path.
func writable(path string) bool {
	return unix.Faccessat(unix.AT_FDCWD, path, unix.W_OK, unix.AT_EACCESS) == nil
}

//go:build unix

package proctree

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// readOwn reads path only if it is a regular file of this user's, mode
// 0600, reached without following a link at its end.
func readOwn(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 || !ok || int(st.Uid) != os.Getuid() {
		return nil, fmt.Errorf("%s is not this user's own private file (mode %v); remove it", path, fi.Mode())
	}
	return io.ReadAll(io.LimitReader(f, 1<<20))
}

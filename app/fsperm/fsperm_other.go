//go:build !unix

package fsperm

import (
	"errors"
	"os"
	"path/filepath"
)

// Current are the facts of this process. Without Unix owners and modes
// (Windows keeps rights in ACLs) Lstat fails, so every check refuses:
// callers test Supported first and say what they do instead.
func Current() Facts {
	return Facts{Lstat: Lstat, Resolve: filepath.EvalSymlinks, UID: os.Getuid()}
}

// ErrUnsupported: this system has no Unix owners and modes to check.
var ErrUnsupported = errors.New("file owners and modes cannot be checked on this system")

// Lstat always fails here.
func Lstat(string) (Info, error) { return Info{}, ErrUnsupported }

// Supported: false, the checks cannot be made here.
const Supported = false

// Package rundir finds the user's private directory for ssotray's socket
// and locks. Never a shared directory such as /tmp: there another user can
// create the socket or the lock first, to block ssotray or to take the
// requests meant for it. Each candidate is checked (owner and mode, up to /)
// before use, and when none passes the caller runs without what it wanted
// the directory for, rather than fail.
package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ssotray/ssotray/app/fsperm"
)

// Finder holds the machine facts the search depends on.
type Finder struct {
	Getenv       func(string) string
	UserCacheDir func() (string, error)
	UserHomeDir  func() (string, error)
	MkdirAll     func(string, fs.FileMode) error
	Facts        fsperm.Facts
}

// Default searches the real environment.
func Default(getenv func(string) string) Finder {
	return Finder{Getenv: getenv, UserCacheDir: os.UserCacheDir, UserHomeDir: os.UserHomeDir, MkdirAll: os.MkdirAll, Facts: fsperm.Current()}
}

// Find returns the first private directory of: XDG_RUNTIME_DIR (made
// private to the user by the login manager), ssotray's own directory in the
// user's cache directory, ssotray's own directory in the home directory
// (.ssotray). ssotray's own directories are made 0700 when missing. A
// *NoneError says why each was refused.
func (f Finder) Find() (string, error) {
	if !fsperm.Supported {
		// No Unix owners to check (Windows): the user's cache directory
		// (%LocalAppData%) is the user's by its ACL.
		dir, err := f.UserCacheDir()
		if err != nil {
			return "", &NoneError{Refused: []string{err.Error()}}
		}
		dir = filepath.Join(dir, "ssotray")
		return dir, f.MkdirAll(dir, 0o700)
	}
	var refused []string
	if dir := f.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if err := f.Facts.Private(dir); err != nil {
			refused = append(refused, "XDG_RUNTIME_DIR "+dir+": "+reason(err))
		} else {
			return dir, nil
		}
	}
	for _, c := range []struct {
		base func() (string, error)
		name string
	}{{f.UserCacheDir, "ssotray"}, {f.UserHomeDir, ".ssotray"}} {
		base, err := c.base()
		if err != nil {
			refused = append(refused, err.Error())
			continue
		}
		dir := filepath.Join(base, c.name)
		if err := f.MkdirAll(dir, 0o700); err != nil {
			refused = append(refused, reason(err))
			continue
		}
		if err := f.Facts.Private(dir); err != nil {
			refused = append(refused, dir+": "+reason(err))
			continue
		}
		return dir, nil
	}
	return "", &NoneError{Refused: refused}
}

func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

// NoneError means no private directory was found.
type NoneError struct{ Refused []string }

func (e *NoneError) Error() string {
	return fmt.Sprintf("no private directory for ssotray's socket and locks (%s); set XDG_RUNTIME_DIR to a directory of your own with mode 0700, or fix the owner and mode of the one named", strings.Join(e.Refused, "; "))
}

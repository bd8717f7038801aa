// Package fsperm answers one question about a path: who besides root can
// change what is found there, by writing the file itself or by replacing it
// through any directory above it. A kiosk takes its configuration only from
// a file its user cannot change; ssotray's socket and locks live only in a
// directory no other user can change.
//
// The machine facts (Lstat, the symlink resolver, the user's uid and
// groups) are fields, so tests drive every case without root tricks.
package fsperm

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
)

// Info is what the checks need to know about one directory entry.
type Info struct {
	Mode     fs.FileMode // type and permission bits, as lstat(2) gives them
	UID, GID int
}

// Facts are the machine facts the checks depend on.
type Facts struct {
	// Lstat describes path itself (a symbolic link, not its target).
	Lstat func(path string) (Info, error)
	// Resolve follows every symbolic link in path (filepath.EvalSymlinks).
	Resolve func(path string) (string, error)
	UID     int
	Groups  []int // the user's groups, the primary one included
	// Writable, when set, asks the system whether this process may write
	// to path (access(2) with the effective ids): it also sees what the
	// mode bits do not show, such as an ACL entry for the user. Only
	// meaningful when this process runs as the user asked about.
	Writable func(path string) bool
}

// ChangeableError names the entry through which path can be changed, and why.
type ChangeableError struct {
	Path  string // the file, or the directory through which it can be replaced
	Entry string // the file itself when Path is it; else the entry in Path that can be replaced
	Why   string // "it is owned by uid 1000", "everyone may write to it", ...
}

func (e *ChangeableError) Error() string {
	if e.Entry == e.Path {
		return e.Path + " can be changed: " + e.Why
	}
	return e.Entry + " can be replaced through " + e.Path + ": " + e.Why
}

// UserCanChange returns nil when the user cannot change path: not the file,
// not any directory above it, for the path as given and with its symbolic
// links resolved. Otherwise a *ChangeableError names the first way in. For
// root, who can change anything, it asks the question that still means
// something: whether anyone else can (see OthersCanChange).
func (f Facts) UserCanChange(path string) error {
	if f.UID == 0 {
		return f.OthersCanChange(path)
	}
	return f.walk(path, func(p, child string, in, childInfo Info, leaf bool) error {
		why := f.userWrites(in)
		if why == "" && f.Writable != nil && f.Writable(p) {
			why = "the system lets you write to it (an ACL entry, or a group of yours)"
		}
		if why == "" {
			return nil
		}
		if !leaf && in.Mode&fs.ModeSticky != 0 && in.UID != f.UID && childInfo.UID != f.UID {
			return nil // a sticky directory: only an entry's owner may replace it
		}
		return &ChangeableError{Path: p, Entry: child, Why: why}
	})
}

// OthersCanChange returns nil when no one but the user and root can change
// path: every entry from path up to / belongs to the user or root and no
// group or other may write to it (a sticky directory such as /tmp is fine
// above an entry of the user's or root's own).
func (f Facts) OthersCanChange(path string) error {
	return f.walk(path, func(p, child string, in, childInfo Info, leaf bool) error {
		if in.UID != f.UID && in.UID != 0 {
			return &ChangeableError{Path: p, Entry: child, Why: fmt.Sprintf("it belongs to uid %d", in.UID)}
		}
		if in.Mode.Perm()&0o022 == 0 {
			return nil
		}
		if !leaf && in.Mode&fs.ModeSticky != 0 && (childInfo.UID == f.UID || childInfo.UID == 0) {
			return nil
		}
		return &ChangeableError{Path: p, Entry: child, Why: fmt.Sprintf("its mode %s lets its group or everyone write to it", in.Mode.Perm())}
	})
}

// Private returns nil when dir is a directory of the user's own that no one
// but the user and root can change, as a place for sockets and locks.
func (f Facts) Private(dir string) error {
	real := dir
	if f.Resolve != nil {
		var err error
		if real, err = f.Resolve(dir); err != nil {
			return err
		}
	}
	in, err := f.Lstat(real)
	if err != nil {
		return err
	}
	switch {
	case !in.Mode.IsDir():
		return &ChangeableError{Path: dir, Entry: dir, Why: "it is not a directory"}
	case in.UID != f.UID:
		return &ChangeableError{Path: dir, Entry: dir, Why: fmt.Sprintf("it belongs to uid %d, not to you (uid %d)", in.UID, f.UID)}
	}
	return f.OthersCanChange(dir)
}

// userWrites says why the user may write to an entry with in, or "".
func (f Facts) userWrites(in Info) string {
	switch {
	case in.UID == f.UID:
		return fmt.Sprintf("it belongs to you (uid %d)", f.UID)
	case in.Mode.Perm()&0o002 != 0:
		return fmt.Sprintf("its mode %s lets everyone write to it", in.Mode.Perm())
	case in.Mode.Perm()&0o020 != 0 && slices.Contains(f.Groups, in.GID):
		return fmt.Sprintf("its mode %s lets group %d, one of yours, write to it", in.Mode.Perm(), in.GID)
	}
	return ""
}

// walk calls check for path and every directory above it, first for the
// path as given, then for the path with its links resolved. A symbolic
// link's own mode means nothing (it is always rwxrwxrwx), so a link is
// checked only as an entry its directory may let someone replace.
func (f Facts) walk(path string, check func(p, child string, in, childInfo Info, leaf bool) error) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	paths := []string{abs}
	if f.Resolve != nil {
		real, err := f.Resolve(abs)
		if err != nil {
			return err
		}
		if real != abs {
			paths = append(paths, real)
		}
	}
	for _, p := range paths {
		var child string
		var childInfo Info
		for dir, leaf := p, true; ; leaf = false {
			in, err := f.Lstat(dir)
			if err != nil {
				return err
			}
			if in.Mode&fs.ModeSymlink == 0 {
				entry := child
				if leaf {
					entry = dir
				}
				if err := check(dir, entry, in, childInfo, leaf); err != nil {
					return err
				}
			}
			child, childInfo = dir, in
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return nil
}

package fsperm

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ssotray/ssotray/oidc/oidctest"
)

// tree is a fake file system: path -> entry; links map a link to its target.
type tree struct {
	entries map[string]Info
	links   map[string]string
}

func (t tree) facts(uid int, groups ...int) Facts {
	resolve := func(p string) (string, error) {
		for link, target := range t.links {
			if p == link || strings.HasPrefix(p, link+"/") {
				return target + strings.TrimPrefix(p, link), nil
			}
		}
		return p, nil
	}
	return Facts{
		// As lstat(2): links above the last element are followed.
		Lstat: func(p string) (Info, error) {
			parent, _ := resolve(filepath.Dir(p))
			in, ok := t.entries[filepath.Join(parent, filepath.Base(p))]
			if !ok {
				return Info{}, fs.ErrNotExist
			}
			return in, nil
		},
		Resolve: resolve,
		UID:     uid, Groups: groups,
	}
}

func dir(uid, gid int, perm fs.FileMode) Info {
	return Info{Mode: fs.ModeDir | perm, UID: uid, GID: gid}
}
func file(uid, gid int, perm fs.FileMode) Info { return Info{Mode: perm, UID: uid, GID: gid} }

const kiosk = 1000 // the kiosk user in the fake tree; 100 is a group of theirs

var machine = tree{
	entries: map[string]Info{
		"/":                                    dir(0, 0, 0o755),
		"/etc":                                 dir(0, 0, 0o755),
		"/etc/ssotray":                         dir(0, 0, 0o755),
		"/etc/ssotray/config.yaml":             file(0, 0, 0o644),
		"/etc/ssotray/mine.yaml":               file(kiosk, kiosk, 0o644),
		"/etc/ssotray/world.yaml":              file(0, 0, 0o666),
		"/etc/ssotray/group.yaml":              file(0, 100, 0o664),
		"/etc/ssotray/link.yaml":               {Mode: fs.ModeSymlink | 0o777},
		"/etc/ssotray/rootlink.yaml":           {Mode: fs.ModeSymlink | 0o777},
		"/home":                                dir(0, 0, 0o755),
		"/home/kiosk":                          dir(kiosk, kiosk, 0o755),
		"/home/kiosk/.config":                  dir(kiosk, kiosk, 0o700),
		"/home/kiosk/.config/ssotray":          dir(kiosk, kiosk, 0o700),
		"/home/kiosk/.config/ssotray/cfg.yaml": file(0, 0, 0o644), // root's file, but in the user's directory
		"/home/kiosk/x.yaml":                   file(kiosk, kiosk, 0o644),
		"/srv":                                 dir(0, 0, 0o755),
		"/srv/shared":                          dir(0, 100, 0o775),
		"/srv/shared/config.yaml":              file(0, 0, 0o644),
		"/tmp":                                 dir(0, 0, fs.ModeSticky|0o777),
		"/tmp/root.yaml":                       file(0, 0, 0o644),
		"/tmp/mine.yaml":                       file(kiosk, kiosk, 0o644),
		"/tmp/other":                           dir(65534, 65534, 0o700),
		"/run":                                 dir(0, 0, 0o755),
		"/run/user":                            dir(0, 0, 0o755),
		"/run/user/1000":                       dir(kiosk, kiosk, 0o700),
		"/run/user/1001":                       dir(1001, 1001, 0o700),
		"/run/open":                            dir(kiosk, kiosk, 0o777),
		"/var":                                 dir(0, 0, 0o755),
		"/var/run":                             {Mode: fs.ModeSymlink | 0o777},
	},
	links: map[string]string{
		"/etc/ssotray/link.yaml":     "/home/kiosk/x.yaml",
		"/etc/ssotray/rootlink.yaml": "/etc/ssotray/config.yaml",
		"/var/run":                   "/run",
	},
}

func TestUserCanChange(t *testing.T) {
	for _, tc := range []struct {
		path   string
		groups []int
		via    string // "" when the user cannot change path; else the path the error names
	}{
		{"/etc/ssotray/config.yaml", []int{100}, ""},
		{"/etc/ssotray/mine.yaml", nil, "/etc/ssotray/mine.yaml"},
		{"/etc/ssotray/world.yaml", nil, "/etc/ssotray/world.yaml"},
		{"/etc/ssotray/group.yaml", []int{100}, "/etc/ssotray/group.yaml"},
		{"/etc/ssotray/group.yaml", []int{200}, ""}, // a group that is not the user's
		{"/etc/ssotray/link.yaml", nil, "/home/kiosk/x.yaml"},
		{"/etc/ssotray/rootlink.yaml", nil, ""},
		{"/home/kiosk/.config/ssotray/cfg.yaml", nil, "/home/kiosk/.config/ssotray"},
		{"/srv/shared/config.yaml", []int{100}, "/srv/shared"},
		{"/srv/shared/config.yaml", nil, ""},
		{"/tmp/root.yaml", nil, ""}, // sticky: the user cannot replace root's entry
		{"/tmp/mine.yaml", nil, "/tmp/mine.yaml"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			err := machine.facts(kiosk, tc.groups...).UserCanChange(tc.path)
			var ce *ChangeableError
			switch {
			case tc.via == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.via != "" && (!errors.As(err, &ce) || ce.Path != tc.via):
				t.Errorf("= %v, want a way in through %s", err, tc.via)
			}
		})
	}
	// Root can change anything; for root the question is whether others can.
	root := machine.facts(0)
	if err := root.UserCanChange("/etc/ssotray/config.yaml"); err != nil {
		t.Errorf("root, root's file: %v", err)
	}
	if err := root.UserCanChange("/home/kiosk/.config/ssotray/cfg.yaml"); err == nil {
		t.Error("root, a file in the kiosk user's directory: accepted")
	}
	// What the mode bits do not show (an ACL entry for the user) the
	// system's own answer does.
	acl := machine.facts(kiosk)
	acl.Writable = func(p string) bool { return p == "/etc/ssotray/config.yaml" }
	var ce *ChangeableError
	if err := acl.UserCanChange("/etc/ssotray/config.yaml"); !errors.As(err, &ce) || !strings.Contains(ce.Why, "ACL") {
		t.Errorf("a file the system lets the user write: %v", err)
	}
	if err := machine.facts(kiosk).UserCanChange("/etc/ssotray/missing.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestPrivate(t *testing.T) {
	for _, tc := range []struct {
		dir string
		ok  bool
	}{
		{"/run/user/1000", true},
		{"/var/run/user/1000", true}, // through a link owned by root
		{"/run/user/1001", false},    // another user's
		{"/run/open", false},         // the user's, but open to all
		{"/tmp/other", false},        // made by someone else in a shared directory
		{"/tmp", false},
		{"/run/user/1000/missing", false},
	} {
		if err := machine.facts(kiosk).Private(tc.dir); (err == nil) != tc.ok {
			t.Errorf("Private(%s) = %v, want ok %v", tc.dir, err, tc.ok)
		}
	}
}

// TestRealFiles runs the checks on real files. The tests run as root here:
// a file chowned to nobody (65534) stands for "not the kiosk user's", and
// the kiosk user is a uid injected into Current's facts.
func TestRealFiles(t *testing.T) {
	oidctest.NeedMachine(t, runtime.GOOS != "windows" && os.Getuid() == 0, "root, to give files to other users (the fake-tree tests cover the logic)")
	const nobody, kioskUID = 65534, 4242
	base := t.TempDir() // root's, 0700, in sticky /tmp
	etc := filepath.Join(base, "etc")
	home := filepath.Join(base, "home")
	for _, d := range []string{etc, home} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(home, kioskUID, kioskUID); err != nil {
		t.Fatal(err)
	}
	trusted := filepath.Join(etc, "config.yaml")
	owned := filepath.Join(etc, "owned.yaml")
	inHome := filepath.Join(home, "config.yaml")
	link := filepath.Join(etc, "link.yaml")
	for _, f := range []string{trusted, owned, inHome} {
		if err := os.WriteFile(f, []byte("kiosk: {enabled: true}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// nobody's file stands for one the kiosk user cannot write.
	if err := errors.Join(os.Chown(trusted, nobody, nobody), os.Chown(owned, kioskUID, kioskUID)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(inHome, link); err != nil {
		t.Fatal(err)
	}
	f := Current()
	// access(2) answers for this process (root), not the injected user.
	f.UID, f.Groups, f.Writable = kioskUID, []int{kioskUID}, nil
	if err := f.UserCanChange(trusted); err != nil {
		t.Errorf("%s: %v", trusted, err)
	}
	for _, p := range []string{owned, inHome, link} {
		if err := f.UserCanChange(p); err == nil {
			t.Errorf("%s: the kiosk user can change it, but it was accepted", p)
		}
	}
	// A hostile directory: made by nobody where the user would put a socket.
	hostile := filepath.Join(base, "hostile")
	if err := os.Mkdir(hostile, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(hostile, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	if err := f.Private(hostile); err == nil {
		t.Error("a directory of another user's was taken as private")
	}
	if err := f.Private(home); err != nil {
		t.Errorf("the user's own 0755 home: %v", err)
	}
}

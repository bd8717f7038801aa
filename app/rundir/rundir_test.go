package rundir

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssotray/ssotray/app/fsperm"
)

// fakeFS answers Lstat from a map and records MkdirAll, for the cases the
// real file system cannot make without root.
type fakeFS map[string]fsperm.Info

func (m fakeFS) finder(uid int, env map[string]string) Finder {
	return Finder{
		Getenv:       func(k string) string { return env[k] },
		UserCacheDir: func() (string, error) { return "/home/u/.cache", nil },
		UserHomeDir:  func() (string, error) { return "/home/u", nil },
		MkdirAll: func(p string, perm fs.FileMode) error {
			for d := p; d != "/"; d = filepath.Dir(d) {
				if _, ok := m[d]; !ok {
					m[d] = fsperm.Info{Mode: fs.ModeDir | perm, UID: uid, GID: uid}
				}
			}
			return nil
		},
		Facts: fsperm.Facts{UID: uid, Lstat: func(p string) (fsperm.Info, error) {
			if in, ok := m[p]; ok {
				return in, nil
			}
			return fsperm.Info{}, fs.ErrNotExist
		}},
	}
}

func d(uid int, perm fs.FileMode) fsperm.Info { return fsperm.Info{Mode: fs.ModeDir | perm, UID: uid} }

func TestFind(t *testing.T) {
	const u = 1000
	base := func() fakeFS {
		return fakeFS{"/": d(0, 0o755), "/run": d(0, 0o755), "/run/user": d(0, 0o755), "/run/user/1000": d(u, 0o700),
			"/tmp": d(0, fs.ModeSticky|0o777), "/tmp/evil": d(65534, 0o777),
			"/home": d(0, 0o755), "/home/u": d(u, 0o755)}
	}
	for _, tc := range []struct {
		name   string
		env    map[string]string
		change func(fakeFS)
		want   string // "" means none
	}{
		{"the runtime dir", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, nil, "/run/user/1000"},
		{"no runtime dir: the cache dir", nil, nil, "/home/u/.cache/ssotray"},
		{"a runtime dir of another user's", map[string]string{"XDG_RUNTIME_DIR": "/tmp/evil"}, nil, "/home/u/.cache/ssotray"},
		{"a runtime dir open to all", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, func(m fakeFS) { m["/run/user/1000"] = d(u, 0o777) }, "/home/u/.cache/ssotray"},
		{"the cache dir made by someone else: the home dir", nil, func(m fakeFS) { m["/home/u/.cache"] = d(u, 0o700); m["/home/u/.cache/ssotray"] = d(65534, 0o755) }, "/home/u/.ssotray"},
		{"a home others may write to: none, never /tmp", nil, func(m fakeFS) { m["/home/u"] = d(u, 0o777) }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			if tc.change != nil {
				tc.change(m)
			}
			got, err := m.finder(u, tc.env).Find()
			var none *NoneError
			switch {
			case tc.want == "" && (!errors.As(err, &none) || !strings.Contains(err.Error(), "XDG_RUNTIME_DIR")):
				t.Errorf("Find = %q, %v; want a NoneError that says what to do", got, err)
			case tc.want != "" && (err != nil || got != tc.want):
				t.Errorf("Find = %q, %v; want %s", got, err, tc.want)
			}
			if strings.HasPrefix(got, "/tmp") {
				t.Errorf("a shared directory: %s", got)
			}
		})
	}
}

// TestHostileRuntimeDir: another user's directory with a socket and a lock
// already in it, on the real file system, is passed over for the user's
// own directory. The tests run as root; the directory is given to nobody.
func TestHostileRuntimeDir(t *testing.T) {
	if !fsperm.Supported || os.Getuid() != 0 {
		t.Skip("needs root to give a directory to another user")
	}
	hostile := t.TempDir()
	l, err := net.Listen("unix", filepath.Join(hostile, "ssotray.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.WriteFile(filepath.Join(hostile, "ssotray.sock.lock"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(hostile, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	f := Default(func(k string) string { return map[string]string{"XDG_RUNTIME_DIR": hostile}[k] })
	f.UserCacheDir = func() (string, error) { return cache, nil }
	got, err := f.Find()
	if err != nil || got != filepath.Join(cache, "ssotray") {
		t.Fatalf("Find = %q, %v; want the user's own %s/ssotray", got, err, cache)
	}
	if fi, err := os.Stat(got); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("ssotray's own directory: %v %v, want mode 0700", fi, err)
	}
}

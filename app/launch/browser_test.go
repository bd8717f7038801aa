package launch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBrowserCommandGetsURLLast(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	script := filepath.Join(dir, "browser.sh")
	// The script records its arguments, then lingers like a browser would.
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > "+out+".tmp && mv "+out+".tmp "+out+"\nsleep 5\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := NewBrowser([]string{script, "--private-window"})
	start := time.Now()
	if err := b.Open(context.Background(), "http://127.0.0.1:1234/x?a=b&c=d"); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 2*time.Second {
		t.Error("Open waited for the browser to exit")
	}
	var got []byte
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, _ = os.ReadFile(out); len(got) > 0 {
			break
		}
	}
	if string(got) != "--private-window\nhttp://127.0.0.1:1234/x?a=b&c=d\n" {
		t.Errorf("browser got %q", got)
	}
	if len(b.Command) != 2 {
		t.Errorf("Open changed the configured command: %v", b.Command)
	}
}

// {profile} is a new private directory at each start, and gone once the
// browsers are closed: nothing of one person's browsing for the next, and
// nothing another user could have prepared.
func TestBrowserProfilePerStart(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	script := filepath.Join(dir, "browser.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" >> "+out+"\nsleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := NewBrowser([]string{script, "--user-data-dir=" + ProfilePlaceholder})
	for range 2 {
		if err := b.Open(context.Background(), "http://127.0.0.1:1234/"); err != nil {
			t.Fatal(err)
		}
	}
	var lines []string
	for deadline := time.Now().Add(5 * time.Second); len(lines) < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got, _ := os.ReadFile(out)
		lines = strings.Fields(string(got))
	}
	if len(lines) != 2 || lines[0] == lines[1] {
		t.Fatalf("two starts got %q, want two different profiles", lines)
	}
	var dirs []string
	for _, l := range lines {
		d, ok := strings.CutPrefix(l, "--user-data-dir=")
		if !ok {
			t.Fatalf("argument %q", l)
		}
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Errorf("profile %s: %v %v", d, fi, err)
		}
		dirs = append(dirs, d)
	}
	if err := b.CloseAll(); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("profile %s is still there after CloseAll: %v", d, err)
		}
	}
}

// A kiosk makes its profile directories in a directory of their own in
// the private runtime directory, which the next start empties: after a
// crash they hold the last person's cookies.
func TestLeftoverProfilesAreRemoved(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "browser.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	parent := filepath.Join(dir, ProfileDir)
	crashed := NewBrowser([]string{script, "--user-data-dir=" + ProfilePlaceholder})
	crashed.ProfileParent = parent
	for range 2 {
		if err := crashed.Open(context.Background(), "http://127.0.0.1:1234/"); err != nil {
			t.Fatal(err)
		}
	}
	profiles := slices.Clone(crashed.profiles)
	for _, d := range profiles {
		if filepath.Dir(d) != parent {
			t.Errorf("profile %s is not in %s", d, parent)
		}
		if err := os.WriteFile(filepath.Join(d, "Cookies"), []byte("alice's session"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Stat(parent); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the profiles' directory: %v %v", fi, err)
	}

	// The kiosk crashed here; the next start empties the directory.
	if err := RemoveLeftoverProfiles(parent); err != nil {
		t.Fatal(err)
	}
	if left, err := os.ReadDir(parent); err != nil || len(left) != 0 {
		t.Errorf("after the next start %s holds %v (%v)", parent, left, err)
	}
	if err := RemoveLeftoverProfiles(filepath.Join(dir, "never-made")); err != nil {
		t.Errorf("no directory yet: %v", err)
	}
}

// What stands where the profiles go is made a private directory of
// ssotray's own, never followed: a link to the home directory put there
// must not have the sweep empty the home directory.
func TestProfileDirectoryIsNeverFollowed(t *testing.T) {
	for _, tt := range []struct {
		name       string
		plant      func(t *testing.T, parent, home string)
		notProfile string // planted in parent, to be left alone
	}{
		{"a link to the home directory", func(t *testing.T, parent, home string) {
			if err := os.Symlink(home, parent); err != nil {
				t.Fatal(err)
			}
		}, ""},
		{"a file saved from the browser", func(t *testing.T, parent, _ string) {
			if err := os.WriteFile(parent, []byte("download"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, ""},
		{"a directory others may enter", func(t *testing.T, parent, home string) {
			if err := os.Mkdir(parent, 0o755); err != nil {
				t.Fatal(err)
			}
			// Not a profile: left alone.
			if err := os.WriteFile(filepath.Join(parent, "notes.txt"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			// A profile linked to the home directory: the link goes, not the home.
			if err := os.Symlink(home, filepath.Join(parent, profilePrefix+"x")); err != nil {
				t.Fatal(err)
			}
		}, "notes.txt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			home := filepath.Join(dir, "home")
			if err := os.Mkdir(home, 0o700); err != nil {
				t.Fatal(err)
			}
			keep := filepath.Join(home, profilePrefix+"thesis")
			if err := os.WriteFile(keep, []byte("mine"), 0o600); err != nil {
				t.Fatal(err)
			}
			parent := filepath.Join(dir, ProfileDir)
			tt.plant(t, parent, home)

			if err := RemoveLeftoverProfiles(parent); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(keep); err != nil {
				t.Fatalf("the sweep reached the home directory: %v", err)
			}
			b := NewBrowser([]string{"/bin/true", "--user-data-dir=" + ProfilePlaceholder})
			b.ProfileParent = parent
			if err := b.Open(context.Background(), "http://127.0.0.1:1234/"); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(parent)
			if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
				t.Errorf("the profiles' directory is %v (%v), want a 0700 directory", fi, err)
			}
			if filepath.Dir(b.profiles[0]) != parent {
				t.Errorf("profile %s is not in %s", b.profiles[0], parent)
			}
			if _, err := os.Stat(keep); err != nil {
				t.Errorf("the home directory lost a file: %v", err)
			}
			if tt.notProfile != "" {
				if _, err := os.Stat(filepath.Join(parent, tt.notProfile)); err != nil {
					t.Errorf("%s, no profile, was swept: %v", tt.notProfile, err)
				}
			}
		})
	}
}

// A kiosk's browser keeps its home directory in its profile: a download,
// an imported certificate, the list of recent files go with the profile
// at sign-out. Its X server cookie stays reachable.
func TestKioskBrowserHomeIsInItsProfile(t *testing.T) {
	for _, tt := range []struct {
		name       string
		kiosk      bool
		xauthority string // in the environment
		wantXauth  string // "" unset; "home" the real home's .Xauthority
	}{
		{name: "kiosk, XAUTHORITY set", kiosk: true, xauthority: "/run/user/1000/gdm/Xauthority", wantXauth: "/run/user/1000/gdm/Xauthority"},
		{name: "kiosk, XAUTHORITY unset", kiosk: true, wantXauth: "home"},
		{name: "a person's own machine: the real home"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			realHome := filepath.Join(dir, "kiosk-user")
			if err := os.MkdirAll(realHome, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(realHome, ".Xauthority"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("HOME", realHome)
			t.Setenv("XAUTHORITY", tt.xauthority)
			if tt.xauthority == "" {
				os.Unsetenv("XAUTHORITY")
			}
			out := filepath.Join(dir, "seen")
			script := filepath.Join(dir, "browser.sh")
			body := "#!/bin/sh\nmkdir -p \"$HOME/Downloads\" && echo statement > \"$HOME/Downloads/statement.pdf\"\n" +
				"printf 'HOME=%s\\nXDG_CONFIG_HOME=%s\\nXDG_DATA_HOME=%s\\nXDG_CACHE_HOME=%s\\nXDG_STATE_HOME=%s\\nXAUTHORITY=%s\\n' \"$HOME\" \"$XDG_CONFIG_HOME\" \"$XDG_DATA_HOME\" \"$XDG_CACHE_HOME\" \"$XDG_STATE_HOME\" \"$XAUTHORITY\" > " + out + "\n"
			if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
			b := NewBrowser([]string{script, "--user-data-dir=" + ProfilePlaceholder})
			if tt.kiosk {
				b.ProfileParent = filepath.Join(dir, ProfileDir)
			}
			if err := b.Open(context.Background(), "http://127.0.0.1:1234/"); err != nil {
				t.Fatal(err)
			}
			var seen map[string]string
			for deadline := time.Now().Add(10 * time.Second); seen == nil; time.Sleep(20 * time.Millisecond) {
				if data, err := os.ReadFile(out); err == nil && strings.HasSuffix(string(data), "\n") && strings.Count(string(data), "\n") == 6 {
					seen = map[string]string{}
					for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
						k, v, _ := strings.Cut(line, "=")
						seen[k] = v
					}
				}
				if time.Now().After(deadline) {
					t.Fatal("the browser did not run")
				}
			}
			profile := b.profiles[0]
			wantHome := realHome
			if tt.kiosk {
				wantHome = filepath.Join(profile, "home")
				for k, want := range map[string]string{"XDG_CONFIG_HOME": ".config", "XDG_DATA_HOME": ".local/share", "XDG_CACHE_HOME": ".cache", "XDG_STATE_HOME": ".local/state"} {
					if seen[k] != filepath.Join(wantHome, want) {
						t.Errorf("%s=%q, want it in the profile's home", k, seen[k])
					}
				}
			}
			if seen["HOME"] != wantHome {
				t.Errorf("HOME=%q, want %q", seen["HOME"], wantHome)
			}
			wantXauth := tt.wantXauth
			if wantXauth == "home" {
				wantXauth = filepath.Join(realHome, ".Xauthority")
			}
			if seen["XAUTHORITY"] != wantXauth {
				t.Errorf("XAUTHORITY=%q, want %q", seen["XAUTHORITY"], wantXauth)
			}
			if err := b.CloseAll(); err != nil {
				t.Fatal(err)
			}
			_, err := os.Stat(filepath.Join(realHome, "Downloads", "statement.pdf"))
			if kept := err == nil; kept == tt.kiosk {
				t.Errorf("the download is in the kiosk user's own home: %v", kept)
			}
		})
	}
}

func TestBrowserCommandMissing(t *testing.T) {
	err := NewBrowser([]string{"/nonexistent/browser"}).Open(context.Background(), "http://127.0.0.1/")
	if err == nil || !strings.Contains(err.Error(), `browser_command "/nonexistent/browser" cannot be started`) || !strings.Contains(err.Error(), "fix browser_command") {
		t.Errorf("missing browser: %v", err)
	}
}

func TestCloseAllEndsTheWholeBrowser(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	script := filepath.Join(dir, "browser.sh")
	// A browser that starts a helper process, as real browsers do, and one
	// that ignores the polite SIGTERM.
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntrap '' TERM\nsleep 60 &\necho $$ $! > "+pids+"\nwait\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := NewBrowser([]string{script})
	if err := b.Open(context.Background(), "http://127.0.0.1/"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for deadline := time.Now().Add(5 * time.Second); len(got) < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(pids)
		got = strings.Fields(string(b))
	}
	if len(got) != 2 {
		t.Fatalf("the browser did not start its helper: %q", got)
	}
	b.CloseAll()
	alive := func(pid string) bool { // a zombie has ended, it only waits to be reaped
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		return err == nil && !strings.Contains(string(stat), ") Z ")
	}
	for _, pid := range got {
		for deadline := time.Now().Add(2 * time.Second); alive(pid) && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		}
		if alive(pid) {
			t.Errorf("process %s of the browser still runs after CloseAll", pid)
		}
	}
}

// alive tells whether pid runs (a zombie has ended; it only waits to be reaped).
func alive(pid string) bool {
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	return err == nil && !strings.Contains(string(stat), ") Z ")
}

// Programs ssotray starts never see its SSOTRAY_* variables (the client
// secret among them); the rest of the environment they get.
func TestBrowserGetsNoSsotrayVariables(t *testing.T) {
	t.Setenv("SSOTRAY_AUTHENTIK_CLIENT_SECRET", "s3cret")
	t.Setenv("ssotray_config", "/x")
	t.Setenv("SSOTRAY_TEST_KEEP_NOT", "1")
	t.Setenv("NOT_SSOTRAY_VAR", "kept")
	dir := t.TempDir()
	out := filepath.Join(dir, "env")
	script := filepath.Join(dir, "printenv.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nenv > "+out+".tmp && mv "+out+".tmp "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := NewBrowser([]string{script}).Open(context.Background(), "http://127.0.0.1/"); err != nil {
		t.Fatal(err)
	}
	var env string
	for deadline := time.Now().Add(5 * time.Second); env == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		data, _ := os.ReadFile(out)
		env = string(data)
	}
	if env == "" {
		t.Fatal("the program did not print its environment")
	}
	if strings.Contains(strings.ToUpper(env), "\nSSOTRAY_") || strings.HasPrefix(strings.ToUpper(env), "SSOTRAY_") || strings.Contains(env, "s3cret") {
		t.Errorf("the started program got ssotray's variables:\n%s", env)
	}
	if !strings.Contains(env, "NOT_SSOTRAY_VAR=kept") || !strings.Contains(env, "PATH=") {
		t.Errorf("the started program lost the rest of the environment:\n%s", env)
	}
}

func TestKioskBrowser(t *testing.T) {
	tests := []struct {
		command []string
		ok      bool
	}{
		{nil, false},
		{[]string{}, false},
		{[]string{"chromium", "--incognito", "--new-window"}, true},
		{[]string{"firefox", "--private-window"}, true},
		{[]string{"/usr/bin/x-www-browser", "--incognito"}, true}, // the browser itself, by another name
		{[]string{"xdg-open"}, false},
		{[]string{"/usr/bin/gio", "open"}, false},
		{[]string{`C:\Windows\explorer.exe`}, false},
		{[]string{"kde-open5"}, false},
	}
	for _, tt := range tests {
		err := KioskBrowser(tt.command)
		if (err == nil) != tt.ok {
			t.Errorf("KioskBrowser(%q) = %v", tt.command, err)
		}
		if len(tt.command) > 0 && err != nil && !strings.Contains(err.Error(), "browser_command starts "+tt.command[0]+", which hands the address to the desktop's browser and exits") {
			t.Errorf("the error does not name the opener: %v", err)
		}
		if err != nil {
			for _, want := range []string{"browser_command", "[chromium, --incognito, --new-window", `"--user-data-dir={profile}"]`, `[firefox, --no-remote, --profile, "{profile}", --private-window]`, "foreground"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error does not say %q: %v", want, err)
				}
			}
		}
	}
}

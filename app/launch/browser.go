// Package launch opens URLs in the person's browser: the sign-in pages and,
// later, the apps of the launcher.
package launch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pkg/browser"

	"github.com/ssotray/ssotray/app/ownenv"
	"github.com/ssotray/ssotray/app/proctree"
)

// Browser opens URLs. With a Command (argv, the URL appended last) it runs
// that program, which is how kiosks pick a private window and tests pick a
// scripted browser; without one it asks the desktop (xdg-open and friends).
type Browser struct {
	Command []string
	// Tracker, when set (a kiosk), follows each started browser as a whole
	// process tree until it is empty, so CloseAll finds every window even
	// after the launcher has exited.
	Tracker *proctree.Tracker
	// WatchEvery is how often the Tracker looks for new processes of the
	// trees while any lives (0: every 500 ms).
	WatchEvery time.Duration

	// ProfileParent, when set (a kiosk), is where the profile directories
	// are made instead of os.TempDir: a directory of ssotray's own in the
	// user's private runtime directory, so that the next start can sweep
	// what a crashed run left (RemoveLeftoverProfiles: the last person's
	// cookies), and the system does at the session's end. The browser's
	// home directory is then in its profile too.
	ProfileParent string

	mu       sync.Mutex
	running  map[*exec.Cmd]chan struct{} // closed when the command has exited
	watching bool
	profiles []string // made for ProfilePlaceholder, removed by CloseAll
}

// ProfileDir is ProfileParent's name in the private directory.
const ProfileDir = "ssotray-kiosk-profiles"

// ProfilePlaceholder in an argument of Command stands for a new, empty
// browser profile directory made for each start (0700, a name no one can
// guess or make first) and removed with everything in it by CloseAll: a
// kiosk's browser keeps nothing of one person for the next, and no other
// user can prepare the profile it starts with.
const ProfilePlaceholder = "{profile}"

// NewBrowser opens URLs with command (argv), or the desktop's browser when empty.
func NewBrowser(command []string) *Browser { return &Browser{Command: command} }

// Environ is this process's environment without ssotray's own SSOTRAY_*
// variables (the client secret among them): what every program ssotray
// starts gets.
func Environ() []string {
	env := os.Environ()
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(strings.ToUpper(kv), ownenv.Prefix) {
			out = append(out, kv)
		}
	}
	return out
}

// Open starts the browser on url. With a Command it returns once the program
// has started; the program may keep running (a browser usually does).
func (b *Browser) Open(ctx context.Context, url string) error {
	if len(b.Command) == 0 {
		// pkg/browser waits for xdg-open, which usually returns once the
		// browser has the URL, but is not bound by ctx: wait for it only as
		// long as ctx allows. (It passes on this process's environment,
		// which main has already cleared of SSOTRAY_* variables.)
		done := make(chan error, 1)
		go func() { done <- browser.OpenURL(url) }()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("no browser could be started (%v); set browser_command in the configuration", err)
			}
			return nil
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return ctx.Err()
			}
			return errors.New("the desktop did not start a browser in time (xdg-open did not return); set browser_command in the configuration to the browser to start")
		}
	}
	args, profile, err := b.withProfile(b.Command[1:])
	if err != nil {
		return err
	}
	cmd := exec.Command(b.Command[0], append(args, url)...)
	cmd.Env = Environ()
	if profile != "" && b.ProfileParent != "" {
		if cmd.Env, err = homeIn(profile, cmd.Env); err != nil {
			return err
		}
	}
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("browser_command %q cannot be started (%v); fix browser_command in the configuration", b.Command[0], err)
	}
	if b.Tracker != nil {
		// Before the Wait below can reap it: until then it is in the table.
		_ = b.Tracker.Add(cmd.Process.Pid)
		b.watch()
	}
	exited := make(chan struct{})
	b.mu.Lock()
	if b.running == nil {
		b.running = map[*exec.Cmd]chan struct{}{}
	}
	b.running[cmd] = exited
	b.mu.Unlock()
	go func() { // reap it whenever it ends
		_ = cmd.Wait()
		close(exited)
		b.mu.Lock()
		delete(b.running, cmd)
		b.mu.Unlock()
	}()
	return nil
}

// withProfile replaces ProfilePlaceholder in args with a new profile
// directory, which it returns too ("" when args have none).
func (b *Browser) withProfile(args []string) ([]string, string, error) {
	if !UsesProfile(args) {
		return args, "", nil
	}
	if b.ProfileParent != "" {
		if err := ownDir(b.ProfileParent); err != nil {
			return nil, "", fmt.Errorf("cannot make the directory for browser profiles: %w", err)
		}
	}
	dir, err := os.MkdirTemp(b.ProfileParent, profilePrefix)
	if err != nil {
		return nil, "", fmt.Errorf("cannot make a browser profile directory for browser_command's %s: %w", ProfilePlaceholder, err)
	}
	b.mu.Lock()
	b.profiles = append(b.profiles, dir)
	b.mu.Unlock()
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, ProfilePlaceholder, dir)
	}
	return out, dir, nil
}

// homeIn gives a kiosk's browser a home directory inside its profile, so
// that what it keeps outside the profile (downloads, certificates it
// imports, the list of recent files) goes with the profile at sign-out.
// The X server's cookie stays where it was found.
func homeIn(profile string, env []string) ([]string, error) {
	home := filepath.Join(profile, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return nil, fmt.Errorf("cannot make the browser's home directory in its profile: %w", err)
	}
	set := map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"XDG_DATA_HOME":   filepath.Join(home, ".local", "share"),
		"XDG_STATE_HOME":  filepath.Join(home, ".local", "state"),
		"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
	}
	if ownenv.Lookup(env, "XAUTHORITY") == "" {
		if old := ownenv.Lookup(env, "HOME"); old != "" {
			if _, err := os.Stat(filepath.Join(old, ".Xauthority")); err == nil {
				set["XAUTHORITY"] = filepath.Join(old, ".Xauthority")
			}
		}
	}
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		_, replaced := set[k]
		return replaced
	})
	for _, k := range slices.Sorted(maps.Keys(set)) {
		out = append(out, k+"="+set[k])
	}
	return out, nil
}

// removeProfiles removes the profile directories of browsers now closed;
// those it cannot stay listed, for the next try.
func (b *Browser) removeProfiles() error {
	b.mu.Lock()
	dirs := b.profiles
	b.profiles = nil
	b.mu.Unlock()
	var errs []error
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, fmt.Errorf("the browser profile %s could not be removed: %w", d, err))
			b.mu.Lock()
			b.profiles = append(b.profiles, d)
			b.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

// profilePrefix starts the name of every profile directory.
const profilePrefix = "ssotray-profile-"

// ownDir makes dir a directory of this user's only (0700), whatever is
// found there: the browser profiles go in it, and the sweep deletes what
// it holds, so a file or a symbolic link put there in its place (by the
// browser's Save-As, say) is removed, never followed out of dir's parent.
func ownDir(dir string) error {
	up, err := os.OpenRoot(filepath.Dir(dir))
	if err != nil {
		return err
	}
	defer up.Close()
	name := filepath.Base(dir)
	if info, err := up.Lstat(name); err == nil && !info.IsDir() {
		if err := up.Remove(name); err != nil {
			return err
		}
	}
	if err := up.Mkdir(name, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return up.Chmod(name, 0o700)
}

// RemoveLeftoverProfiles empties parent (a ProfileParent) of the profile
// directories a run that ended before it could remove them left behind: the
// browsers using them must be closed already. Only entries named like a
// profile are removed, and nothing out of parent is reached.
func RemoveLeftoverProfiles(parent string) error {
	if _, err := os.Lstat(parent); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := ownDir(parent); err != nil {
		return err
	}
	root, err := os.OpenRoot(parent)
	if err != nil {
		return err
	}
	defer root.Close()
	entries, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), profilePrefix) {
			continue
		}
		if err := root.RemoveAll(e.Name()); err != nil {
			errs = append(errs, fmt.Errorf("the browser profile %s left by an earlier run could not be removed: %w", e.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// watch looks at the trees while any lives, so that a process whose parent
// exits is already known (one goroutine at most).
func (b *Browser) watch() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.watching {
		return
	}
	b.watching = true
	every := b.WatchEvery
	if every == 0 {
		every = 500 * time.Millisecond
	}
	go func() {
		for {
			time.Sleep(every)
			_, _ = b.Tracker.Scan()
			b.mu.Lock()
			if !b.Tracker.Live() {
				b.watching = false
				b.mu.Unlock()
				return
			}
			b.mu.Unlock()
		}
	}()
}

// CloseAll ends every browser this Browser started, with all the processes
// they started: on a shared machine the next person must not find the last
// one's browser windows. With a Tracker it returns once none runs (at most
// proctree.CloseWait), or says what still runs. Without one it ends the
// process groups of the commands still running.
func (b *Browser) CloseAll() error {
	if b.Tracker != nil {
		err := b.Tracker.CloseAll()
		if err == nil {
			err = b.removeProfiles()
		}
		return err
	}
	b.mu.Lock()
	running := make(map[*exec.Cmd]chan struct{}, len(b.running))
	for cmd, exited := range b.running {
		running[cmd] = exited
	}
	b.mu.Unlock()
	for cmd, exited := range running {
		endGroup(cmd, false)
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
		}
		endGroup(cmd, true) // whatever of the group is left, or ignored the polite ask
	}
	return b.removeProfiles()
}

package tray

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/instance"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/startup"
	"github.com/ssotray/ssotray/app/tokenstore"
)

const validConfig = "authentik:\n  server_url: https://auth.example.com\n"

// fakeInstance is a claimed instance: the test sends requests, and reads
// what was broadcast.
type fakeInstance struct {
	requests chan instance.Message
	mu       sync.Mutex
	sent     []instance.Message
	closed   bool
	onQuit   func() // a watching window closes
	lender   instance.Lender
}

func (f *fakeInstance) Requests() <-chan instance.Message { return f.requests }
func (f *fakeInstance) Broadcast(m instance.Message) int {
	f.mu.Lock()
	f.sent = append(f.sent, m)
	f.mu.Unlock()
	if m == instance.Quit && f.onQuit != nil {
		f.onQuit()
	}
	return 1 // the window always watches
}
func (f *fakeInstance) Lend(l instance.Lender) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lender = l
}
func (f *fakeInstance) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}
func (f *fakeInstance) broadcasts() []instance.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent)
}

// fakeWindow is a window process: it ends when told to quit or closed by
// the test (the person closing the window).
type fakeWindow struct {
	end  chan struct{}
	once sync.Once
}

func (w *fakeWindow) Wait() error      { <-w.end; return nil }
func (w *fakeWindow) Kill() error      { w.close(); return nil }
func (w *fakeWindow) Interrupt() error { w.close(); return nil }
func (w *fakeWindow) close()           { w.once.Do(func() { close(w.end) }) }

// harness runs Run with stand-ins for every OS piece.
type harness struct {
	t       *testing.T
	dir     string
	stderr  bytes.Buffer
	inst    *fakeInstance
	claim   func() (startup.Instance, error)
	hostUp  bool
	shell   *fakeShell
	store   tokenstore.Store
	mu      sync.Mutex
	windows []*fakeWindow
	args    [][]string
	kiosk   [][]string
	done    chan error
	// silentWindow: the window's process does not say it is up.
	silentWindow bool
	// noWindow: the window's program cannot be started.
	noWindow error
	cancel   context.CancelFunc
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, dir: t.TempDir(), hostUp: true, shell: newFakeShell(), store: tokenstore.NewMemory(),
		inst: &fakeInstance{requests: make(chan instance.Message, 4)}}
	h.claim = func() (startup.Instance, error) { return h.inst, nil }
	h.inst.onQuit = func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, w := range h.windows {
			w.close()
		}
	}
	return h
}

func (h *harness) writeConfig(rel, data string) {
	p := filepath.Join(h.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) deps() Deps {
	getenv := func(string) string { return "" }
	return Deps{
		Locator: config.Locator{Getenv: getenv,
			UserConfigDir: func() (string, error) { return filepath.Join(h.dir, "user"), nil },
			SystemDir:     filepath.Join(h.dir, "etc"),
			Trust:         func(string) error { return nil }},
		Stderr: &h.stderr,
		Claim:  func() (startup.Instance, error) { return h.claim() },
		WatchTrayHost: func(ctx context.Context, report func(bool)) {
			report(h.hostUp)
			<-ctx.Done()
		},
		Store:     func() tokenstore.Store { return h.store },
		RenewLock: func() app.RenewLock { return nil },
		Window: func(args []string) func() (Process, error) {
			return func() (Process, error) {
				if h.noWindow != nil {
					return nil, h.noWindow
				}
				h.mu.Lock()
				defer h.mu.Unlock()
				w := &fakeWindow{end: make(chan struct{})}
				h.windows, h.args = append(h.windows, w), append(h.args, args)
				if !h.silentWindow {
					go func() { h.inst.requests <- instance.Started }() // its window is up
				}
				return w, nil
			}
		},
		Kiosk: func(args []string) error { h.kiosk = append(h.kiosk, args); return nil },
		Shell: h.shell,
	}
}

// run starts Run; stop ends it the way a signal does.
func (h *harness) run(o startup.Options) {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- Run(ctx, h.deps(), o) }()
	h.t.Cleanup(cancel)
}

func (h *harness) wait() error {
	select {
	case err := <-h.done:
		return err
	case <-time.After(10 * time.Second):
		h.t.Fatal("Run did not end")
		return nil
	}
}

func (h *harness) stop() error {
	h.cancel()
	return h.wait()
}

// started waits until n window processes have been started.
func (h *harness) started(n int) *fakeWindow {
	h.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		h.mu.Lock()
		got := len(h.windows)
		h.mu.Unlock()
		if got == n {
			if n == 0 {
				return nil
			}
			return h.windows[n-1]
		}
	}
	h.t.Fatalf("window processes started: want %d", n)
	return nil
}

func TestRunLeavesOrRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		claim   error
		config  string // in the user's directory
		o       startup.Options
		wantErr string
		stderr  string
	}{
		{name: "another instance runs", claim: instance.ErrRunning, config: validConfig, stderr: "ssotray: " + instance.ErrRunning.Error() + "\n"},
		{name: "an explicit file is missing", o: startup.Options{ConfigPath: "/nowhere.yaml"}, wantErr: "cannot be read"},
		{name: "a kiosk without browser_command", o: startup.Options{Kiosk: true}, wantErr: launch.ErrKioskNeedsBrowserCommand.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if tc.config != "" {
				h.writeConfig("user/ssotray/config.yaml", tc.config)
			}
			h.writeConfig("etc/config.yaml", validConfig) // for the kiosk
			if tc.claim != nil {
				h.claim = func() (startup.Instance, error) { return nil, tc.claim }
			}
			h.run(tc.o)
			err := h.wait()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Run = %v, want %q", err, tc.wantErr)
			}
			if h.stderr.String() != tc.stderr {
				t.Errorf("stderr %q, want %q", h.stderr.String(), tc.stderr)
			}
			if len(h.windows) != 0 || len(h.shell.menus) != 0 {
				t.Error("a window or the tray started")
			}
		})
	}
}

// TestRunKiosk: a kiosk is the window's program alone, with no tray; the
// instance is let go for it to claim.
func TestRunKiosk(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("etc/config.yaml", validConfig+"browser_command: [chromium]\nkiosk:\n  enabled: true\n")
	h.run(startup.Options{Background: true, ConfigPath: ""})
	if err := h.wait(); err != nil {
		t.Fatal(err)
	}
	if len(h.kiosk) != 1 || len(h.shell.menus) != 0 || !h.inst.closed {
		t.Errorf("kiosk handed over with %v; tray menus %d; instance let go %v", h.kiosk, len(h.shell.menus), h.inst.closed)
	}
}

func TestRunWindowPlacement(t *testing.T) {
	for _, tc := range []struct {
		name       string
		background bool
		hostUp     bool
		windows    int
	}{
		{name: "plain start: the window", hostUp: true, windows: 1},
		{name: "--background with a tray host: only the tray", background: true, hostUp: true},
		{name: "--background with no tray host: the window", background: true, windows: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.hostUp = tc.hostUp
			h.writeConfig("user/ssotray/config.yaml", validConfig)
			h.run(startup.Options{Background: tc.background, ConfigPath: filepath.Join(h.dir, "user/ssotray/config.yaml")})
			h.shell.waitMenu(t, "Sign in with Authentik")
			h.started(tc.windows)
			if tc.windows > 0 && !slices.Equal(h.args[0], []string{"--config", filepath.Join(h.dir, "user/ssotray/config.yaml")}) {
				t.Errorf("the window was started with %q", h.args[0])
			}
			if err := h.stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRunWindowComesAndGoes: the window's process starts when asked for,
// is asked to come to the front while it runs, and once closed a new one
// starts; with no tray host, closing it ends ssotray.
func TestRunWindowComesAndGoes(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("user/ssotray/config.yaml", validConfig)
	h.run(startup.Options{Background: true})
	h.shell.waitMenu(t, "Sign in with Authentik")
	h.started(0)
	h.shell.click(t, "Show ssotray")
	w := h.started(1)
	h.inst.requests <- instance.Show // a second start of ssotray
	for deadline := time.Now().Add(5 * time.Second); !slices.Contains(h.inst.broadcasts(), instance.Show); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the running window was not asked to come to the front")
		}
	}
	h.started(1)
	w.close() // the person closes it
	time.Sleep(50 * time.Millisecond)
	h.shell.click(t, "Show ssotray")
	w = h.started(2)
	h.shell.click(t, "Quit")
	if err := h.wait(); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(h.inst.broadcasts(), instance.Quit) {
		t.Error("Quit did not ask the window to close")
	}

	// No tray host: closing the window ends it all.
	h = newHarness(t)
	h.hostUp = false
	h.writeConfig("user/ssotray/config.yaml", validConfig)
	h.run(startup.Options{})
	h.started(1).close()
	if err := h.wait(); err != nil {
		t.Fatal(err)
	}
}

// TestRunOneTruth: a sign-in stored by another process (a verb, the
// window) reaches the tray's menu when it says so, and is passed on to the
// window.
func TestRunOneTruth(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("user/ssotray/config.yaml", validConfig)
	h.run(startup.Options{Background: true})
	h.shell.waitMenu(t, "Sign in with Authentik")
	s := &tokenstore.Session{Method: "authentik", Server: "https://auth.example.com/application/o/ssotray/", Subject: "a1", Username: "alice", Name: "Alice Liddell",
		AccessToken: "at", RefreshToken: "rt", Expiry: time.Now().Add(time.Hour)}
	if err := h.store.Save(s); err != nil {
		t.Fatal(err)
	}
	h.inst.requests <- instance.Changed
	h.shell.waitMenu(t, "Signed in as Alice Liddell (alice)")
	if err := h.store.Delete(); err != nil {
		t.Fatal(err)
	}
	h.inst.requests <- instance.Changed
	h.shell.waitMenu(t, "Sign in with Authentik")
	if got := h.inst.broadcasts(); !slices.Contains(got, instance.Changed) {
		t.Errorf("broadcasts %v: the window was not told", got)
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestRunFirstRun: with no configuration the window's process shows the
// setup; once it has saved one and says so, the tray starts with it.
func TestRunFirstRun(t *testing.T) {
	h := newHarness(t)
	h.run(startup.Options{})
	h.started(1)
	if len(h.shell.menus) != 0 {
		t.Fatal("the tray started before a configuration was saved")
	}
	h.writeConfig("user/ssotray/config.yaml", validConfig)
	h.inst.requests <- instance.Changed
	h.shell.waitMenu(t, "Sign in with Authentik")
	h.started(1) // the setup's window goes on as the main one
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}

	// Closed without saving: nothing is left running.
	h = newHarness(t)
	h.run(startup.Options{})
	h.started(1).close()
	if err := h.wait(); err != nil || len(h.shell.menus) != 0 {
		t.Fatalf("Run = %v, tray menus %d", err, len(h.shell.menus))
	}
}

// TestRunWindowFirst: at a plain start the tray's own work (the icon, the
// session's restore) waits until the window's process says its window is
// up, so as not to compete with the window's first frame.
func TestRunWindowFirst(t *testing.T) {
	h := newHarness(t)
	h.silentWindow = true
	h.writeConfig("user/ssotray/config.yaml", validConfig)
	h.run(startup.Options{})
	h.started(1)
	time.Sleep(300 * time.Millisecond)
	if n := len(h.shell.labels()); n != 0 {
		t.Fatalf("the tray set up its menu (%d items) before the window was up", n)
	}
	h.inst.requests <- instance.Started
	h.shell.waitMenu(t, "Sign in with Authentik")
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestRunWithoutTheWindowsProgram: ssotray copied without ssotray-window
// says so and ends where nothing else would show it, instead of waiting
// unseen.
func TestRunWithoutTheWindowsProgram(t *testing.T) {
	missing := errors.New("starting the window (/opt/ssotray-window): no such file; reinstall ssotray: ssotray-window belongs beside ssotray")
	for _, tc := range []struct {
		name   string
		config bool
		o      startup.Options
		hostUp bool
	}{
		{name: "first run", hostUp: true},
		{name: "plain start", config: true, hostUp: true},
		{name: "--background, no tray host", config: true, o: startup.Options{Background: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.noWindow, h.hostUp = missing, tc.hostUp
			if tc.config {
				h.writeConfig("user/ssotray/config.yaml", validConfig)
			}
			h.run(tc.o)
			if err := h.wait(); !errors.Is(err, missing) {
				t.Errorf("Run = %v, want the window's error", err)
			}
		})
	}
}

package desktop

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/idle"
	"github.com/ssotray/ssotray/app/instance"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/tokenstore"
)

// testApp is a headless Fyne app with a tray that runs like the real one:
// Run lasts until Quit, and what fyne.Do hands over runs on Run's
// goroutine, in order (the test driver would run it at once, on the
// caller's goroutine). It records its windows.
type testApp struct {
	fyne.App
	driver   *serialDriver
	quit     chan struct{}
	quitOnce sync.Once
	mu       sync.Mutex
	windows  []*testWindow
	trays    int
}

type serialDriver struct {
	fyne.Driver
	queue chan func()
	quit  chan struct{}
}

func (d *serialDriver) DoFromGoroutine(f func(), wait bool) {
	done := make(chan struct{})
	select {
	case d.queue <- func() { f(); close(done) }:
	case <-d.quit: // the app has quit: nothing runs any more
		return
	}
	if wait {
		<-done
	}
}

func newTestApp(t *testing.T) *testApp {
	a := &testApp{App: test.NewTempApp(t), quit: make(chan struct{})}
	a.driver = &serialDriver{Driver: a.App.Driver(), queue: make(chan func(), 16), quit: a.quit}
	fyne.SetCurrentApp(a) // so that fyne.Do reaches the serial driver
	return a
}

func (a *testApp) Driver() fyne.Driver { return a.driver }

func (a *testApp) Run() {
	for {
		select {
		case f := <-a.driver.queue:
			f()
		case <-a.quit:
			return
		}
	}
}

type testWindow struct {
	fyne.Window
	mu    *sync.Mutex
	title string
	shows int
}

func (w *testWindow) Show() {
	w.mu.Lock()
	w.shows++
	w.mu.Unlock()
	w.Window.Show()
}

func (a *testApp) NewWindow(title string) fyne.Window {
	w := &testWindow{Window: a.App.NewWindow(title), mu: &a.mu, title: title}
	a.mu.Lock()
	a.windows = append(a.windows, w)
	a.mu.Unlock()
	return w
}

func (a *testApp) Quit() { a.quitOnce.Do(func() { close(a.quit) }) }

func (a *testApp) SetSystemTrayMenu(*fyne.Menu) {
	a.mu.Lock()
	a.trays++
	a.mu.Unlock()
}
func (a *testApp) SetSystemTrayIcon(fyne.Resource) {}
func (a *testApp) SetSystemTrayWindow(fyne.Window) {}

// shown is how often the window titled title was shown.
func (a *testApp) shown(title string) (n int, exists bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, w := range a.windows {
		if w.title == title {
			return w.shows, true
		}
	}
	return 0, false
}

// fakeInstance is a claimed instance that later starts can knock on.
type fakeInstance struct{ show chan struct{} }

func (f *fakeInstance) ShowRequests() <-chan struct{} { return f.show }
func (f *fakeInstance) Close() error                  { return nil }

// harness runs Run with stand-ins for every OS piece and counts what was
// used.
type harness struct {
	t       *testing.T
	dir     string
	stderr  bytes.Buffer
	app     *testApp
	newApps int
	claim   func() (Instance, error)
	hostUp  bool
	hostSet chan struct{} // closed once the tray host's first answer is in
	held    int           // kiosk signal holds
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, dir: t.TempDir(), hostSet: make(chan struct{}), hostUp: true}
	h.claim = func() (Instance, error) { return &fakeInstance{show: make(chan struct{})}, nil }
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
		NewApp: func() fyne.App {
			h.newApps++
			h.app = newTestApp(h.t)
			return h.app
		},
		Locator: config.Locator{Getenv: getenv,
			UserConfigDir: func() (string, error) { return filepath.Join(h.dir, "user"), nil },
			SystemDir:     filepath.Join(h.dir, "etc"),
			Trust:         func(string) error { return nil }},
		Getenv: getenv,
		Stderr: &h.stderr,
		Claim:  func() (Instance, error) { return h.claim() },
		WatchTrayHost: func(ctx context.Context, report func(bool)) {
			report(h.hostUp)
			close(h.hostSet)
			<-ctx.Done()
		},
		Store:        func() tokenstore.Store { return tokenstore.NewMemory() },
		RenewLock:    func() app.RenewLock { return nil },
		KioskBrowser: launch.NewBrowser,
		OpenIdle:     func() (idle.Source, error) { return nil, errors.New("no display in tests") },
		HoldSignals:  func() func() { h.held++; return func() {} },
	}
}

// start runs Run until the tray host has answered, then ends it the way
// a signal does, and returns Run's error.
func (h *harness) start(o Options) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, h.deps(), o) }()
	select {
	case err := <-done: // it ended before the app ran
		return err
	case <-h.hostSet:
	case <-time.After(10 * time.Second):
		h.t.Fatal("the tray host watch never started")
	}
	cancel()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		h.t.Fatal("Run did not end with its context")
		return nil
	}
}

const validConfig = "authentik:\n  server_url: https://auth.example.com\n"

func TestRunAnotherInstanceLeaves(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("user/ssotray/config.yaml", validConfig)
	h.claim = func() (Instance, error) { return nil, instance.ErrRunning }
	if err := h.start(Options{}); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if h.newApps != 0 {
		t.Error("a second instance created the Fyne app")
	}
	if got := h.stderr.String(); got != "ssotray: "+instance.ErrRunning.Error()+"\n" {
		t.Errorf("stderr = %q", got)
	}
}

func TestRunClaimFailsStartsAnyway(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("user/ssotray/config.yaml", validConfig)
	h.claim = func() (Instance, error) { return nil, errors.New("no private directory") }
	if err := h.start(Options{}); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if n, _ := h.app.shown("ssotray"); n != 1 {
		t.Errorf("main window shown %d times, want 1", n)
	}
	if !strings.Contains(h.stderr.String(), "warning: running without the check for a second window: no private directory") {
		t.Errorf("stderr = %q", h.stderr.String())
	}
}

func TestRunKioskWithoutBrowserCommandRefused(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("etc/config.yaml", validConfig)
	err := h.start(Options{Kiosk: true})
	if !errors.Is(err, launch.ErrKioskNeedsBrowserCommand) {
		t.Fatalf("Run = %v, want %v", err, launch.ErrKioskNeedsBrowserCommand)
	}
	if h.newApps != 0 || h.held != 0 {
		t.Errorf("a refused kiosk went on: apps %d, signal holds %d", h.newApps, h.held)
	}
}

func TestRunKiosk(t *testing.T) {
	h := newHarness(t)
	// kiosk.enabled in the system file: decided at load, with no --kiosk.
	h.writeConfig("etc/config.yaml", validConfig+"browser_command: [chromium]\nkiosk:\n  enabled: true\n")
	if err := h.start(Options{Background: true}); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if h.held != 1 {
		t.Errorf("signals held %d times, want 1", h.held)
	}
	if n, _ := h.app.shown("ssotray"); n != 1 {
		t.Errorf("kiosk window shown %d times, want 1 (a kiosk ignores --background)", n)
	}
}

func TestRunFirstRun(t *testing.T) {
	h := newHarness(t)
	if err := h.start(Options{}); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if n, _ := h.app.shown("Set up ssotray"); n != 1 {
		t.Errorf("setup window shown %d times, want 1", n)
	}
	if _, ok := h.app.shown("ssotray"); ok {
		t.Error("a main window was built before the setup saved a configuration")
	}
	if h.app.trays != 1 {
		t.Errorf("tray placeholders = %d, want 1", h.app.trays)
	}
}

func TestRunMissingExplicitConfig(t *testing.T) {
	h := newHarness(t)
	err := h.start(Options{ConfigPath: filepath.Join(h.dir, "missing.yaml")})
	if err == nil || !strings.Contains(err.Error(), "cannot be read") {
		t.Fatalf("Run = %v, want the file's error", err)
	}
	if h.newApps != 0 {
		t.Error("the Fyne app was created for a start that fails")
	}
}

func TestRunBackground(t *testing.T) {
	for _, tc := range []struct {
		name       string
		background bool
		hostUp     bool
		shows      int
	}{
		{name: "plain start", hostUp: true, shows: 1},
		{name: "--background with a tray host: only the tray", background: true, hostUp: true, shows: 0},
		{name: "--background with no tray host: the window shows", background: true, shows: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.hostUp = tc.hostUp
			h.writeConfig("user/ssotray/config.yaml", validConfig)
			if err := h.start(Options{Background: tc.background}); err != nil {
				t.Fatalf("Run = %v", err)
			}
			if n, _ := h.app.shown("ssotray"); n != tc.shows {
				t.Errorf("main window shown %d times, want %d", n, tc.shows)
			}
		})
	}
}

func TestRunShowRequest(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("user/ssotray/config.yaml", validConfig)
	in := &fakeInstance{show: make(chan struct{})}
	h.claim = func() (Instance, error) { return in, nil }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, h.deps(), Options{Background: true}) }()
	<-h.hostSet
	if n, _ := h.app.shown("ssotray"); n != 0 {
		t.Fatalf("main window shown %d times with --background and a tray host, want 0", n)
	}
	in.show <- struct{}{} // another start knocks
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if n, _ := h.app.shown("ssotray"); n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the main window did not show for another start")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

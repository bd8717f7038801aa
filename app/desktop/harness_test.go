package desktop

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/idle"
	"github.com/ssotray/ssotray/app/instance"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/startup"
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

func (w *testWindow) SetTitle(title string) {
	w.mu.Lock()
	w.title = title
	w.mu.Unlock()
	w.Window.SetTitle(title)
}

func (a *testApp) NewWindow(title string) fyne.Window {
	w := &testWindow{Window: a.App.NewWindow(title), mu: &a.mu, title: title}
	a.mu.Lock()
	a.windows = append(a.windows, w)
	a.mu.Unlock()
	return w
}

func (a *testApp) Quit() { a.quitOnce.Do(func() { close(a.quit) }) }

// anyShown tells whether a window has been shown.
func (a *testApp) anyShown() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, w := range a.windows {
		if w.shows > 0 {
			return true
		}
	}
	return false
}

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
type fakeInstance struct{ requests chan instance.Message }

func (f *fakeInstance) Requests() <-chan instance.Message { return f.requests }
func (f *fakeInstance) Broadcast(instance.Message) int    { return 0 }
func (f *fakeInstance) Lend(instance.Lender)              {}
func (f *fakeInstance) Close() error                      { return nil }

// fakeWatcher is the window's line to a tray's process.
type fakeWatcher struct{ messages chan instance.Message }

func (f *fakeWatcher) Messages() <-chan instance.Message { return f.messages }
func (f *fakeWatcher) Close() error                      { return nil }

// harness runs Run with stand-ins for every OS piece and counts what was
// used.
type harness struct {
	t          *testing.T
	dir        string
	stderr     bytes.Buffer
	app        *testApp
	newApps    int
	appMu      sync.Mutex // app and newApps are set on Run's goroutine
	claim      func() (startup.Instance, error)
	claims     int
	watch      func() (Watcher, error) // nil: no tray's process
	fromTray   bool
	store      tokenstore.Store
	closed     func(flush func()) // Deps.Closed; nil: none
	told       int                // Announce calls
	held       int                // kiosk signal holds
	warms      int                // WarmGL calls with a window open
	waits      atomic.Int32       // shows that waited for WarmGL
	kioskErr   error              // Deps.KioskBrowser's
	kiosks     int                // Deps.KioskBrowser calls
	kioskAlone bool               // what the last one was told
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, dir: t.TempDir(), store: tokenstore.NewMemory()}
	h.claim = func() (startup.Instance, error) { return &fakeInstance{requests: make(chan instance.Message)}, nil }
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
			a := newTestApp(h.t)
			h.appMu.Lock()
			defer h.appMu.Unlock()
			h.newApps++
			h.app = a
			return a
		},
		Locator: config.Locator{Getenv: getenv,
			UserConfigDir: func() (string, error) { return filepath.Join(h.dir, "user"), nil },
			SystemDir:     filepath.Join(h.dir, "etc"),
			Trust:         func(string) error { return nil }},
		Getenv: getenv,
		Stderr: &h.stderr,
		Claim:  func() (startup.Instance, error) { h.claims++; return h.claim() },
		Watch: func() (Watcher, error) {
			if h.watch == nil {
				return nil, errors.New("no tray")
			}
			return h.watch()
		},
		FromTray:  h.fromTray,
		Closed:    h.closed,
		Announce:  func() { h.told++ },
		Store:     func() tokenstore.Store { return h.store },
		RenewLock: func() app.RenewLock { return nil },
		KioskBrowser: func(command []string, alone bool) (*launch.Browser, error) {
			h.kiosks++
			h.kioskAlone = alone
			if h.kioskErr != nil {
				return nil, h.kioskErr
			}
			return launch.NewBrowser(command), nil
		},
		OpenIdle:    func() (idle.Source, error) { return nil, errors.New("no display in tests") },
		HoldSignals: func() func() { h.held++; return func() {} },
		WarmGL: func() (func(), error) {
			h.appMu.Lock()
			defer h.appMu.Unlock()
			h.app.mu.Lock()
			defer h.app.mu.Unlock()
			if len(h.app.windows) == 0 {
				h.t.Error("the OpenGL driver was loaded before a window opened the display")
			}
			h.warms++
			return func() { h.waits.Add(1) }, nil
		},
	}
}

// start runs Run until a window shows, then ends it the way a signal
// does, and returns Run's error.
func (h *harness) start(o startup.Options) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, h.deps(), o) }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		select {
		case err := <-done: // it ended before a window showed
			return err
		default:
		}
		h.appMu.Lock()
		a := h.app
		h.appMu.Unlock()
		if a != nil && a.anyShown() {
			break
		}
		if time.Now().After(deadline) {
			h.t.Fatal("no window showed")
		}
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

package ui

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/assets"
)

// fakeCore stands in for *app.Core: it follows the same contract (observers
// are called outside its lock, SignIn moves to SigningIn and back to the
// previous state with the error as Notice, SignOut always signs out).
//
// fyne/test runs fyne.Do at once on the calling goroutine, so the UI's
// goroutines would touch widgets while the test still does. uiMu keeps the
// two apart: the test holds it while it acts on the window (ui, tap), and
// the fake takes it before it starts work and while it tells observers.
type fakeCore struct {
	uiMu    sync.Mutex
	mu      sync.Mutex
	status  app.Status
	methods []app.Method
	server  string
	apps    []launch.App
	subs    map[int]func(app.Status)
	nextSub int

	// signIn decides how a sign-in ends; nil signs in as alice.
	signIn     func(ctx context.Context, m app.Method, opts app.SignInOptions) error
	signInArgs []signInCall
	signOuts   int
	signOutErr error
	opened     []string
	openErr    error
	stillHere  int
	inputs     int // NoteInput calls
}

func (f *fakeCore) NoteInput() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inputs++
}

func (f *fakeCore) noted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inputs
}

func (f *fakeCore) StillHere() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stillHere++
}

type signInCall struct {
	method             app.Method
	username, password string
}

func newFakeCore(methods ...app.Method) *fakeCore {
	return &fakeCore{methods: methods, server: "https://music.example.com", subs: map[int]func(app.Status){}}
}

func (f *fakeCore) Status() app.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.withApps(f.status)
}

// withApps gives st the apps a real core would: f.apps while signed in.
func (f *fakeCore) withApps(st app.Status) app.Status {
	st.Apps = nil
	if st.State == app.SignedIn || st.State == app.Refreshing {
		st.Apps = f.apps
	}
	return st
}

func (f *fakeCore) Subscribe(fn func(app.Status)) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextSub
	f.nextSub++
	f.subs[id] = fn
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, id)
	}
}

func (f *fakeCore) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// ui runs an interaction of the test with the window.
func (f *fakeCore) ui(do func()) {
	f.uiMu.Lock()
	defer f.uiMu.Unlock()
	do()
}

func (f *fakeCore) tap(o fyne.Tappable) { f.ui(func() { test.Tap(o) }) }

// barrier waits for the test's current interaction to end.
func (f *fakeCore) barrier() {
	f.uiMu.Lock()
	defer f.uiMu.Unlock()
}

// set changes the status and tells the observers, on the calling goroutine.
func (f *fakeCore) set(st app.Status) {
	f.uiMu.Lock()
	defer f.uiMu.Unlock()
	f.mu.Lock()
	f.status = st
	st = f.withApps(st)
	subs := make([]func(app.Status), 0, len(f.subs))
	for _, s := range f.subs {
		subs = append(subs, s)
	}
	f.mu.Unlock()
	for _, s := range subs {
		s(st)
	}
}

func (f *fakeCore) Methods() []app.Method { return f.methods }

func (f *fakeCore) NavidromeServer() string {
	for _, m := range f.methods {
		if m == app.Navidrome {
			return f.server
		}
	}
	return ""
}

func (f *fakeCore) SignIn(ctx context.Context, m app.Method, opts app.SignInOptions) error {
	f.barrier()
	f.mu.Lock()
	f.signInArgs = append(f.signInArgs, signInCall{m, opts.Username, opts.Password})
	prev := f.status
	fn := f.signIn
	f.mu.Unlock()
	f.set(app.Status{State: app.SigningIn, Method: m})
	var err error
	if fn != nil {
		err = fn(ctx, m, opts)
	}
	if err != nil {
		prev.Notice = err.Error()
		f.set(prev)
		return err
	}
	if m == app.Navidrome {
		f.set(navidromeStatus())
	} else {
		f.set(aliceStatus())
	}
	return nil
}

// signedOutReport is what the fake's sign-out reports.
var signedOutReport = app.SignOutReport{Method: app.Authentik, Revoked: true, PageOpened: true}

func (f *fakeCore) SignOut(ctx context.Context, opts app.SignOutOptions) (app.SignOutReport, error) {
	f.barrier()
	f.mu.Lock()
	f.signOuts++
	err := f.signOutErr
	f.mu.Unlock()
	f.set(app.Status{State: app.SignedOut, Notice: signedOutReport.String()})
	return signedOutReport, err
}

func (f *fakeCore) Apps() []launch.App { return f.Status().Apps }

func (f *fakeCore) OpenApp(ctx context.Context, name string) error {
	f.barrier()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, name)
	return f.openErr
}

func (f *fakeCore) calls() ([]signInCall, int, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]signInCall(nil), f.signInArgs...), f.signOuts, append([]string(nil), f.opened...)
}

var expiry = time.Date(2030, 3, 4, 15, 30, 0, 0, time.UTC)

// testNow is the UI's clock in tests, so "today" never depends on when they run.
var testNow = time.Date(2029, 11, 20, 14, 0, 0, 0, time.Local)

func aliceStatus() app.Status {
	return app.Status{
		State:  app.SignedIn,
		Method: app.Authentik,
		Profile: app.Profile{
			Subject:  "7f3c9a2e-alice",
			Username: "alice",
			Name:     "Alice Liddell",
			Email:    "alice@example.com",
			Groups:   []string{"family", "music-lovers", "admins"},
		},
		ExpiresAt:  expiry,
		Renews:     true,
		Remembered: true,
	}
}

func navidromeStatus() app.Status {
	return app.Status{
		State:  app.SignedIn,
		Method: app.Navidrome,
		Profile: app.Profile{
			Subject:  "nd-42",
			Username: "bob",
			Name:     "Bob Builder",
			Role:     "admin",
			Groups:   []string{app.NavidromeAdminsGroup},
		},
		ExpiresAt:     expiry,
		SignInAgainAt: expiry, // its JWT cannot renew
	}
}

func someApps(n int) []launch.App {
	base := []launch.App{
		{Name: "Music", URL: "https://music.example.com", Description: "Navidrome: listen to the family library"},
		{Name: "Photos", URL: "https://photos.example.com", Description: "Immich photo albums"},
		{Name: "Files", URL: "https://files.example.com", Description: "Nextcloud files and calendars"},
		{Name: "Wiki", URL: "https://wiki.example.com", Description: "Household notes"},
		{Name: "Recipes", URL: "https://recipes.example.com", Description: "Mealie cookbook"},
		{Name: "Books", URL: "https://books.example.com", Description: "Audiobookshelf"},
		{Name: "Git", URL: "https://git.example.com", Description: "Forgejo code hosting"},
		{Name: "Home", URL: "https://home.example.com", Description: "Home Assistant dashboard"},
		{Name: "Passwords", URL: "https://vault.example.com", Description: "Vaultwarden"},
		{Name: "Status", URL: "https://status.example.com", Description: "Uptime of everything"},
		{Name: "Films", URL: "https://films.example.com", Description: "Jellyfin movies and series"},
	}
	return base[:n]
}

var testIcon = fyne.NewStaticResource("icon.png", assets.Icon)

// recApp is a test app that records its windows and quits.
type recApp struct {
	fyne.App
	windows []*recWindow
	quits   int
}

func (a *recApp) NewWindow(title string) fyne.Window {
	w := &recWindow{Window: a.App.NewWindow(title)}
	a.windows = append(a.windows, w)
	return w
}

func (a *recApp) Quit() { a.quits++ }

// recWindow records what closing the window does.
type recWindow struct {
	fyne.Window
	intercept func()
	hidden    bool
	master    bool
}

func (w *recWindow) SetCloseIntercept(f func()) { w.intercept = f; w.Window.SetCloseIntercept(f) }
func (w *recWindow) Hide()                      { w.hidden = true; w.Window.Hide() }
func (w *recWindow) Show()                      { w.hidden = false; w.Window.Show() }
func (w *recWindow) SetMaster()                 { w.master = true; w.Window.SetMaster() }

// newTestUI builds a UI on a fresh test app (the fixed test theme).
func newTestUI(t *testing.T, core Core, opts Options) *UI {
	t.Helper()
	return newTestUIOn(t, test.NewTempApp(t), core, opts)
}

func newTestUIOn(t *testing.T, a fyne.App, core Core, opts Options) *UI {
	t.Helper()
	if opts.Title == "" {
		opts.Title = "ssotray"
	}
	if opts.Icon == nil {
		opts.Icon = testIcon
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	u := New(a, a.NewWindow(""), core, opts)
	t.Cleanup(func() {
		u.Close()
		u.waitIdle()
	})
	return u
}

// screen is the markup of what the window shows now: only visible objects
// are in it, so tests can ask what a person would read.
func screen(u *UI) string {
	return test.RenderToMarkup(u.win.Canvas())
}

var errBoom = errors.New("boom")

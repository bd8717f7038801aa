// Package tray is ssotray's light process: the tray icon and its menu over
// fyne.io/systray, with no Fyne driver and no window. It keeps the session
// (restore, background renewal, the notices of a session that ended by
// itself), starts the window's process (app/desktop, a binary of its own)
// when the person asks for it, and relays what other ssotray processes say
// over the per-user socket, so every view shows the same state.
package tray

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ssotray/ssotray/app"
)

// Core is what the tray needs from the application core; *app.Core is the
// real one.
type Core interface {
	Status() app.Status
	Subscribe(f func(app.Status)) (unsubscribe func())
	Methods() []app.Method
	SignIn(ctx context.Context, m app.Method, opts app.SignInOptions) error
	SignOut(ctx context.Context, opts app.SignOutOptions) (app.SignOutReport, error)
	OpenApp(ctx context.Context, name string) error
}

var _ Core = (*app.Core)(nil)

// Host shows the icon and the menu: the system tray (Systray) or a test's.
type Host interface {
	SetIcon(png []byte)
	// SetMenu replaces the menu; do runs an item's action, on a goroutine
	// of the host's.
	SetMenu(items []Item, do func(Action))
}

// Options are the tray's looks and its ways out of the tray.
type Options struct {
	SignedIn, SignedOut []byte // the icons (PNG) for the two states
	// Notify sends a desktop notification; nil sends none.
	Notify func(title, body string)
	// ShowWindow brings up the window (its process starts if need be).
	ShowWindow func()
	// Quit ends the tray (and the window with it).
	Quit func()
}

// Tray is the menu and icon of one core.
type Tray struct {
	core    Core
	host    Host
	opts    Options
	methods []app.Method

	mu         sync.Mutex
	status     app.Status
	items      []Item // the menu last given to the host
	signedIn   bool   // the icon last given
	iconSet    bool
	signingOut bool               // a sign-out from the menu runs
	cancel     context.CancelFunc // of the sign-in started from the menu
	closed     bool
	unsub      func()

	bg sync.WaitGroup // goroutines calling the core; tests wait on it
}

// New sets the icon and menu for the core's state and keeps them current.
func New(core Core, host Host, opts Options) *Tray {
	t := &Tray{core: core, host: host, opts: opts, methods: core.Methods()}
	// Subscribe before reading the state so no change is missed; applying
	// a state twice changes nothing.
	t.unsub = core.Subscribe(t.apply)
	t.apply(core.Status())
	return t
}

// Close stops following the core and cancels a sign-in from the menu.
func (t *Tray) Close() {
	t.mu.Lock()
	t.closed = true
	if t.cancel != nil {
		t.cancel()
	}
	t.mu.Unlock()
	t.unsub()
	t.bg.Wait()
}

// apply takes a new status: the menu and the icon follow, and a session
// that ended by itself is told.
func (t *Tray) apply(st app.Status) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	prev := t.status
	t.status = st
	if prev.IsSignedIn() && !st.IsSignedIn() && st.Notice != "" && !t.signingOut {
		t.notify(st.Notice)
	}
	if items := Menu(st, t.methods); !slices.Equal(items, t.items) {
		t.items = items
		t.host.SetMenu(items, t.do)
	}
	if in := st.IsSignedIn(); !t.iconSet || in != t.signedIn {
		t.iconSet, t.signedIn = true, in
		icon := t.opts.SignedOut
		if in {
			icon = t.opts.SignedIn
		}
		t.host.SetIcon(icon)
	}
}

// notify sends a notification off the caller's goroutine: it waits for
// the desktop's answer.
func (t *Tray) notify(body string) {
	if t.opts.Notify == nil {
		return
	}
	t.bg.Add(1)
	go func() {
		defer t.bg.Done()
		t.opts.Notify(app.Name, body)
	}()
}

// do runs a menu action.
func (t *Tray) do(a Action) {
	switch a.Kind {
	case ShowWindow, SignInNavidrome: // a password is needed: the form is in the window
		t.opts.ShowWindow()
	case SignInAuthentik:
		t.signIn()
	case OpenApp:
		t.goCore(func(ctx context.Context) {
			if err := t.core.OpenApp(ctx, a.App); err != nil {
				t.notify(err.Error())
			}
		})
	case SignOut:
		t.signOut()
	case Quit:
		t.opts.Quit()
	}
}

// goCore runs f with a bounded context on a goroutine of its own.
func (t *Tray) goCore(f func(ctx context.Context)) {
	t.bg.Add(1)
	go func() {
		defer t.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), app.ActionTimeout)
		defer cancel()
		f(ctx)
	}()
}

// signIn signs in with Authentik through the browser. When no browser
// opens, the window takes over: it shows the address to open by hand.
func (t *Tray) signIn() {
	ctx, cancel := context.WithCancel(context.Background())
	t.mu.Lock()
	if t.cancel != nil || t.closed {
		t.mu.Unlock()
		cancel()
		return
	}
	t.cancel = cancel
	t.mu.Unlock()
	var browserFailed atomic.Bool
	opts := app.SignInOptions{BrowserFailed: func(error) {
		browserFailed.Store(true)
		cancel()
	}}
	t.bg.Add(1)
	go func() {
		defer t.bg.Done()
		err := t.core.SignIn(ctx, app.Authentik, opts)
		t.mu.Lock()
		t.cancel = nil
		closed := t.closed
		t.mu.Unlock()
		cancel()
		switch {
		case err == nil:
			t.notify(t.core.Status().Profile.SignedInAs())
		case browserFailed.Load():
			t.opts.ShowWindow()
		case closed || errors.Is(err, context.Canceled) || errors.Is(err, app.ErrBusy):
		default:
			t.notify(err.Error())
		}
	}()
}

// signOut signs out and says what was done.
func (t *Tray) signOut() {
	t.mu.Lock()
	if t.signingOut {
		t.mu.Unlock()
		return
	}
	t.signingOut = true
	t.mu.Unlock()
	t.goCore(func(ctx context.Context) {
		report, err := t.core.SignOut(ctx, app.SignOutOptions{})
		t.mu.Lock()
		t.signingOut = false
		t.mu.Unlock()
		var forget *app.ForgetError
		switch {
		case errors.Is(err, app.ErrNotSignedIn):
		case errors.As(err, &forget):
			t.notify("You are signed out here, but " + err.Error())
		default:
			t.notify(report.String())
		}
	})
}

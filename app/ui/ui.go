// Package ui is ssotray's window: one Fyne window whose content follows the
// core's state (sign-in, waiting for the browser, signed in with the app
// launcher), and desktop notifications.
//
// The package observes the core and does no I/O of its own. Every action
// (sign in, sign out, open an app) calls the core on a goroutine of its own,
// never on the UI goroutine, and every change to widgets made from another
// goroutine goes through fyne.Do. It takes a fyne.App instead of creating
// one, so it runs under fyne.io/fyne/v2/test without a display.
//
// The tray is not here: it lives in a process of its own (app/tray), and
// this window's process lasts only while the window is open, so closing
// the window quits.
package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ssotray/ssotray/app"
)

// Core is what the window needs from the application core.
// *app.Core is the real one.
type Core interface {
	Status() app.Status
	// Subscribe calls f with every new Status, from whatever goroutine made
	// the change; it returns a func that stops that.
	Subscribe(f func(app.Status)) (unsubscribe func())
	// Methods are the enabled sign-in methods, Authentik first.
	Methods() []app.Method
	NavidromeServer() string
	// SignIn blocks until the sign-in is done, failed or ctx is cancelled.
	SignIn(ctx context.Context, m app.Method, opts app.SignInOptions) error
	// SignOut always signs out locally and reports what else it did; its
	// error lists what could not be done at the server.
	SignOut(ctx context.Context, opts app.SignOutOptions) (app.SignOutReport, error)
	OpenApp(ctx context.Context, name string) error
	// StillHere restarts the kiosk's idle wait.
	StillHere()
	// NoteInput records input in the window, for a kiosk whose display
	// cannot tell its idle time. It must not block: it is called on the UI
	// goroutine for every key and pointer movement.
	NoteInput()
}

var _ Core = (*app.Core)(nil)

// Options adjust the UI.
type Options struct {
	Title string // window title and name shown before sign-in; "" means app.Name
	// Icon is the application icon, also drawn on the sign-in screen;
	// WindowIcon is the window's icon for the desktop's task bar and
	// switcher (nil means Icon): a small picture is quicker to decode and
	// hand to the window system before the first frame. Either may be nil.
	Icon, WindowIcon fyne.Resource
	// Notify sends desktop notifications on sign-in, on sign-out and when
	// the session ends by itself; never in a kiosk.
	Notify bool
	// Kiosk makes the window full-screen with no way to close it: a shared
	// machine's sign-in screen, ended only by the system. It sends no
	// notifications (they name the person and stay in the desktop's
	// history) and empties the clipboard at each sign-out.
	Kiosk bool
	// Now is the clock for "until 15:30 today"; nil means time.Now.
	Now func() time.Time
}

// windowSize is the size the window opens with.
var windowSize = fyne.NewSize(480, 640)

// UI is the window of one core. Its methods are called on the
// UI goroutine (from elsewhere wrap them in fyne.Do).
type UI struct {
	app  fyne.App
	core Core
	opts Options
	win  fyne.Window

	methods []app.Method
	// The screens are built when first shown (startingScreen,
	// signInScreen, ...): the first frame needs one, and building the
	// others before it took about 2 ms of the start-up.
	starting fyne.CanvasObject
	signIn   *signInScreen
	waiting  *waitingScreen
	signedIn *signedInScreen

	// The fields below belong to the UI goroutine.
	status     app.Status
	note       note // what the UI itself has to say on the sign-in screen
	pending    bool // a sign-in started here is running
	pendingM   app.Method
	userCancel bool   // the person pressed Cancel on the running sign-in
	signInURL  string // where to sign in by hand, once the core says
	browserErr string // why the browser did not open
	signingOut bool   // the person asked to sign out and it is running
	// forgetFailed: the last sign-out left the session in the keyring; the
	// sign-in screen offers to try again (the core retries from the store).
	forgetFailed bool
	closed       bool
	unsub        func()

	mu     sync.Mutex
	cancel context.CancelFunc // of the running sign-in

	bg sync.WaitGroup // goroutines calling the core; tests wait on it
}

// note is a line the UI shows in place of the core's Notice: covers is the
// Notice it replaces ("" for none), so the same problem never shows twice.
type note struct {
	text, covers string
}

// New fills win, a new window of a (not shown yet), and sets it up.
// It does no blocking work: it only asks the core for its current state,
// which the core keeps in memory.
func New(a fyne.App, win fyne.Window, core Core, opts Options) *UI {
	if opts.Title == "" {
		opts.Title = app.Name
	}
	if opts.Kiosk {
		opts.Notify = false // the next person would read the last one's in the history
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	u := &UI{app: a, win: win, core: core, opts: opts, methods: core.Methods()}
	u.win.SetTitle(opts.Title)
	icon := opts.WindowIcon
	if icon == nil {
		icon = opts.Icon
	}
	if icon != nil {
		u.win.SetIcon(icon)
	}
	u.win.Resize(windowSize)

	// The window is its process's reason to be: closing it quits (the
	// tray's process lives on).
	u.win.SetMaster()
	if opts.Kiosk {
		// Nobody at a shared machine may close or leave it; the system ends it.
		u.win.SetFullScreen(true)
		u.win.SetCloseIntercept(func() {})
	}

	// Subscribe before reading the state so no change is missed; applying
	// a state twice does nothing.
	u.unsub = core.Subscribe(func(st app.Status) {
		fyne.Do(func() {
			if !u.closed {
				u.apply(st)
			}
		})
	})
	u.status = core.Status()
	u.render()

	// Enter on the sign-in screen starts the primary sign-in, so a keyboard
	// alone (a kiosk) can sign in. Keys a focused widget takes never get here.
	u.win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		u.noteInput()
		if (ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter) && u.signIn != nil && u.win.Content() == u.signIn.root {
			u.signInPrimary()
		}
	})
	u.win.Canvas().SetOnTypedRune(func(rune) { u.noteInput() })

	return u
}

// signInPrimary starts Authentik when it is enabled; with Navidrome alone
// it puts the cursor in the username.
func (u *UI) signInPrimary() {
	if u.signIn.authentik != nil {
		u.startSignIn(app.Authentik, "", "")
		return
	}
	if u.signIn.navidrome != nil {
		u.win.Canvas().Focus(u.signIn.username)
	}
}

// Show shows the window and brings it to the front, e.g. when a second
// start of ssotray asks for it.
func (u *UI) Show() {
	u.win.Show()
	u.win.RequestFocus()
}

// Close stops observing the core and cancels a running sign-in.
func (u *UI) Close() {
	if u.closed {
		return
	}
	u.closed = true
	if u.unsub != nil {
		u.unsub()
	}
	u.mu.Lock()
	if u.cancel != nil {
		u.cancel()
	}
	u.mu.Unlock()
	if u.waiting != nil {
		u.waiting.progress.Stop()
	}
}

func (u *UI) startingScreen() fyne.CanvasObject {
	if u.starting == nil {
		u.starting = newStartingScreen(u)
	}
	return u.starting
}

func (u *UI) signInScreen() *signInScreen {
	if u.signIn == nil {
		u.signIn = newSignInScreen(u, u.core.NavidromeServer())
	}
	return u.signIn
}

func (u *UI) waitingScreen() *waitingScreen {
	if u.waiting == nil {
		u.waiting = newWaitingScreen(u)
	}
	return u.waiting
}

func (u *UI) signedInScreen() *signedInScreen {
	if u.signedIn == nil {
		u.signedIn = newSignedInScreen(u)
	}
	return u.signedIn
}

// goCore runs f on a goroutine of its own (never the UI's).
func (u *UI) goCore(f func()) {
	u.bg.Add(1)
	go func() {
		defer u.bg.Done()
		f()
	}()
}

// apply takes a new Status from the core.
func (u *UI) apply(st app.Status) {
	prev := u.status
	u.status = st
	if st.State == app.SignedIn && prev.State != app.SignedIn && prev.State != app.Refreshing {
		u.note = note{}
	}
	u.notify(prev, st)
	if u.opts.Kiosk && st.State == app.SignedOut && (prev.IsSignedIn() || prev.State == app.SigningIn) {
		// What the last person copied (an address, a password from the
		// browser) is not for the next one, whether or not they got in.
		u.app.Clipboard().SetContent("")
	}
	if st.Idle && !prev.Idle && u.signIn != nil {
		// Whoever typed here and walked away: the next person must not
		// sign in as them with Enter, or read what they typed.
		u.signIn.clear()
		u.note = note{}
	}
	u.render()
	if st.Countdown > 0 && prev.Countdown == 0 {
		u.Show() // the person is likely in the browser: come to the front
	}
}

// noteInput passes input in the window on to a kiosk's idle watch.
func (u *UI) noteInput() {
	if u.opts.Kiosk {
		u.core.NoteInput()
	}
}

// stillHere tells the core the person is still at the machine.
func (u *UI) stillHere() {
	u.signedIn.setCountdown(0)
	u.goCore(u.core.StillHere)
}

// render shows the screen for the current state.
func (u *UI) render() {
	st := u.status
	var content fyne.CanvasObject
	switch {
	case st.IsSignedIn() && !u.pending:
		s := u.signedInScreen()
		s.update(st)
		s.setCountdown(st.Countdown)
		content = s.root
	case st.State == app.SigningIn || u.pending:
		m := st.Method
		if u.pending {
			m = u.pendingM
		}
		s := u.waitingScreen()
		s.update(m, u.signInURL, u.browserErr)
		content = s.root
	case st.State == app.Starting:
		content = u.startingScreen()
	default:
		s := u.signInScreen()
		s.update(u.noticeFor(st), u.forgetFailed && !u.signingOut)
		content = s.root
	}
	if u.waiting != nil {
		if content == u.waiting.root {
			u.waiting.progress.Start()
		} else {
			u.waiting.progress.Stop()
		}
	}
	if u.win.Content() != content {
		// Wrapped text gets its height once it has a width: Fyne lays the
		// new screen out again before its next frame (EnsureMinSize).
		u.win.SetContent(content)
	}
}

// noticeFor is the one line the sign-in screen shows for st.
func (u *UI) noticeFor(st app.Status) string {
	if u.note.text != "" && (st.Notice == "" || st.Notice == u.note.covers) {
		return u.note.text
	}
	return st.Notice
}

// notify sends a desktop notification for the moves people care about.
func (u *UI) notify(prev, st app.Status) {
	if !u.opts.Notify {
		return
	}
	var msg string
	switch {
	case st.State == app.SignedIn && prev.State == app.SigningIn:
		msg = st.Profile.SignedInAs()
	case st.State == app.SignedOut && prev.IsSignedIn() && u.signingOut:
		return // signOut tells what it did once it is done
	case st.State == app.SignedOut && prev.IsSignedIn() && st.Notice != "":
		msg = st.Notice
	default:
		return
	}
	// Fyne sends it over D-Bus and waits for the answer: not on the UI goroutine.
	n := fyne.NewNotification(u.opts.Title, msg)
	u.goCore(func() { u.app.SendNotification(n) })
}

// startSignIn begins a sign-in with m. username and password are for
// Navidrome.
func (u *UI) startSignIn(m app.Method, username, password string) {
	if u.pending || u.closed {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	u.mu.Lock()
	u.cancel = cancel
	u.mu.Unlock()
	u.pending, u.pendingM, u.userCancel = true, m, false
	u.note, u.signInURL, u.browserErr = note{}, "", ""
	u.render() // the waiting screen at once; the core's SigningIn follows

	opts := app.SignInOptions{
		Username: username,
		Password: password,
		ShowURL: func(url string) {
			fyne.Do(func() {
				u.signInURL = url
				u.render()
			})
		},
		BrowserFailed: func(err error) {
			fyne.Do(func() {
				u.browserErr = err.Error()
				u.render()
				u.Show() // started from the tray: the address to open by hand is in the window
			})
		},
	}
	u.goCore(func() {
		err := u.core.SignIn(ctx, m, opts)
		cancel()
		fyne.Do(func() { u.signInDone(err) })
	})
}

// signInDone takes the result of a sign-in started here.
func (u *UI) signInDone(err error) {
	u.mu.Lock()
	u.cancel = nil
	u.mu.Unlock()
	u.pending = false
	switch {
	case err == nil:
		u.note = note{}
		u.signInScreen().username.SetText("")
	case u.userCancel || errors.Is(err, context.Canceled):
		u.note = note{text: "Sign-in cancelled.", covers: err.Error()}
	default:
		u.note = note{text: err.Error(), covers: err.Error()}
	}
	u.signInURL, u.browserErr = "", ""
	if !u.closed {
		u.render()
	}
}

// cancelSignIn cancels the sign-in started here, if any.
func (u *UI) cancelSignIn() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.cancel != nil {
		u.userCancel = true
		u.cancel()
	}
}

// submitNavidrome signs in with the Navidrome form. The password entry is
// emptied at once: the UI never keeps a password.
func (u *UI) submitNavidrome() {
	user := strings.TrimSpace(u.signIn.username.Text)
	pass := u.signIn.password.Text
	u.signIn.password.SetText("")
	if user == "" || pass == "" {
		u.note = note{text: "Enter your Navidrome username and password.", covers: u.status.Notice}
		u.render()
		return
	}
	u.startSignIn(app.Navidrome, user, pass)
}

// signOut signs the person out; what could not be done at the server is
// shown on the sign-in screen, where they land anyway.
func (u *UI) signOut() {
	if u.signingOut || u.closed {
		return
	}
	u.signingOut = true
	u.signedIn.signOut.Disable()
	u.goCore(func() {
		ctx, cancel := context.WithTimeout(context.Background(), app.ActionTimeout)
		defer cancel()
		report, err := u.core.SignOut(ctx, app.SignOutOptions{})
		var forget *app.ForgetError
		if u.opts.Notify && !errors.Is(err, app.ErrNotSignedIn) && !errors.As(err, &forget) {
			u.app.SendNotification(fyne.NewNotification(u.opts.Title, report.String()))
		}
		fyne.Do(func() {
			u.signingOut = false
			u.signedIn.signOut.Enable()
			var forget *app.ForgetError
			u.forgetFailed = errors.As(err, &forget)
			switch {
			case err == nil || errors.Is(err, app.ErrNotSignedIn):
				u.note = note{}
			default:
				u.note = note{text: "You are signed out in this window, but " + err.Error(), covers: u.status.Notice}
			}
			if !u.closed {
				u.render()
			}
		})
	})
}

// openApp opens an app through the core; a failure is shown on the
// signed-in screen.
func (u *UI) openApp(name string) {
	u.signedIn.setLaunchError("")
	u.goCore(func() {
		ctx, cancel := context.WithTimeout(context.Background(), app.ActionTimeout)
		defer cancel()
		if err := u.core.OpenApp(ctx, name); err != nil {
			fyne.Do(func() {
				u.signedIn.setLaunchError(err.Error())
			})
		}
	})
}

// waitIdle waits until no goroutine started here is calling the core.
func (u *UI) waitIdle() { u.bg.Wait() }

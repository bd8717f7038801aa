package ui

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/launch"
)

func TestTrayMenu(t *testing.T) {
	sep := MenuItem{Separator: true}
	show := MenuItem{Label: "Show ssotray", Action: "show"}
	quit := MenuItem{Label: "Quit", Action: "quit"}
	authentik := MenuItem{Label: "Sign in with Authentik", Action: "signin:authentik"}
	navidrome := MenuItem{Label: "Sign in with Navidrome…", Action: "signin:navidrome"}
	signOut := MenuItem{Label: "Sign out", Action: "signout"}
	both := []app.Method{app.Authentik, app.Navidrome}
	apps := []launch.App{{Name: "Music"}, {Name: "Photos"}}

	for _, tc := range []struct {
		name    string
		st      app.Status
		methods []app.Method
		apps    []launch.App
		want    []MenuItem
	}{
		{"signed out, both methods", app.Status{}, both, nil,
			[]MenuItem{authentik, navidrome, sep, show, sep, quit}},
		{"signed out, Authentik only", app.Status{}, []app.Method{app.Authentik}, nil,
			[]MenuItem{authentik, sep, show, sep, quit}},
		{"signed out, Navidrome only", app.Status{Notice: "whatever"}, []app.Method{app.Navidrome}, nil,
			[]MenuItem{navidrome, sep, show, sep, quit}},
		{"signed out, no method", app.Status{}, nil, nil,
			[]MenuItem{show, sep, quit}},
		{"signing in", app.Status{State: app.SigningIn, Method: app.Authentik}, both, nil,
			[]MenuItem{{Label: "Signing in…", Disabled: true}, show, sep, quit}},
		{"signed in with apps", aliceStatus(), both, apps,
			[]MenuItem{{Label: "Signed in as Alice Liddell (alice)", Disabled: true}, sep,
				{Label: "Music", Action: "open:Music"}, {Label: "Photos", Action: "open:Photos"}, sep,
				show, signOut, sep, quit}},
		{"signed in, no apps", navidromeStatus(), both, nil,
			[]MenuItem{{Label: "Signed in as Bob Builder (bob)", Disabled: true}, sep, show, signOut, sep, quit}},
		{"refreshing counts as signed in",
			app.Status{State: app.Refreshing, Profile: app.Profile{Username: "carol"}}, both, apps[:1],
			[]MenuItem{{Label: "Signed in as carol", Disabled: true}, sep, {Label: "Music", Action: "open:Music"}, sep,
				show, signOut, sep, quit}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.st.Apps = tc.apps
			got := TrayMenu(tc.st, tc.methods)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("TrayMenu:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// trayItem finds an item of the menu last given to the tray.
func trayItem(t *testing.T, d *fakeDesk, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range d.menu().Items {
		if it.Label == label {
			return it
		}
	}
	t.Fatalf("no tray item %q", label)
	return nil
}

func labels(m *fyne.Menu) []string {
	var out []string
	for _, it := range m.Items {
		if it.IsSeparator {
			out = append(out, "---")
			continue
		}
		out = append(out, it.Label)
	}
	return out
}

// oneQuitLast checks the rule Fyne 2.7 applies to tray menus: it appends a
// Quit unless the last item is one, so ours must be last and the only one.
func oneQuitLast(t *testing.T, m *fyne.Menu) {
	t.Helper()
	n := 0
	for _, it := range m.Items {
		if it.IsQuit {
			n++
		}
	}
	if n != 1 || !m.Items[len(m.Items)-1].IsQuit || m.Items[len(m.Items)-1].Action == nil {
		t.Errorf("want exactly one Quit, last, with an action: %v", labels(m))
	}
}

func TestTrayFollowsState(t *testing.T) {
	core := newFakeCore(app.Authentik, app.Navidrome)
	core.apps = someApps(2)
	d := &fakeDesk{App: test.NewTempApp(t)}
	u := newTestUIOn(t, d, core, Options{TraySignedIn: testTraySignedIn, TraySignedOut: testTrayOut})

	if got := labels(d.menu()); !reflect.DeepEqual(got, []string{"Sign in with Authentik", "Sign in with Navidrome…", "---", "Show ssotray", "---", "Quit"}) {
		t.Errorf("signed-out tray menu %v", got)
	}
	oneQuitLast(t, d.menu())
	if d.icon() != testTrayOut {
		t.Error("signed out: want the signed-out tray icon")
	}
	if d.trayWin != u.win {
		t.Error("the window is not the tray's window (left-click would not show it)")
	}

	core.set(aliceStatus())
	if got := labels(d.menu()); !reflect.DeepEqual(got, []string{"Signed in as Alice Liddell (alice)", "---", "Music", "Photos", "---", "Show ssotray", "Sign out", "---", "Quit"}) {
		t.Errorf("signed-in tray menu %v", got)
	}
	oneQuitLast(t, d.menu())
	if d.icon() != testTraySignedIn {
		t.Error("signed in: want the signed-in tray icon")
	}
	if !trayItem(t, d, "Signed in as Alice Liddell (alice)").Disabled {
		t.Error("the 'Signed in as' item should be disabled")
	}
	menus := len(d.menus)
	core.set(aliceStatus())
	if len(d.menus) != menus {
		t.Error("the same state rebuilt the tray menu")
	}

	core.ui(trayItem(t, d, "Photos").Action)
	u.waitIdle()
	if _, _, opened := core.calls(); len(opened) != 1 || opened[0] != "Photos" {
		t.Errorf("tray app item: OpenApp %v", opened)
	}

	core.ui(trayItem(t, d, "Sign out").Action)
	u.waitIdle()
	if _, outs, _ := core.calls(); outs != 1 {
		t.Errorf("tray Sign out: SignOut called %d times", outs)
	}
	if d.icon() != testTrayOut || d.menu().Items[0].Label != "Sign in with Authentik" {
		t.Errorf("after sign-out the tray shows %v", labels(d.menu()))
	}

	core.ui(trayItem(t, d, "Quit").Action)
	if d.quits != 1 {
		t.Error("Quit did not quit the app")
	}
}

func TestTraySignInItems(t *testing.T) {
	core := newFakeCore(app.Authentik, app.Navidrome)
	started, release := make(chan struct{}), make(chan struct{})
	core.signIn = func(ctx context.Context, m app.Method, opts app.SignInOptions) error {
		close(started)
		<-release
		return nil
	}
	d := &fakeDesk{App: test.NewTempApp(t)}
	u := newTestUIOn(t, d, core, Options{})
	w := d.windows[0]
	w.Hide()

	core.ui(trayItem(t, d, "Sign in with Navidrome…").Action)
	if w.hidden {
		t.Error("Sign in with Navidrome… must show the window: it needs a password")
	}
	if calls, _, _ := core.calls(); len(calls) != 0 {
		t.Error("Sign in with Navidrome… started a sign-in without a password")
	}
	if u.win.Canvas().Focused() != u.signIn.username {
		t.Error("the username entry should have the focus")
	}

	core.ui(trayItem(t, d, "Sign in with Authentik").Action)
	<-started
	if got := labels(d.menu()); !reflect.DeepEqual(got, []string{"Signing in…", "Show ssotray", "---", "Quit"}) {
		t.Errorf("signing-in tray menu %v", got)
	}
	close(release)
	u.waitIdle()
	if calls, _, _ := core.calls(); len(calls) != 1 || calls[0].method != app.Authentik {
		t.Errorf("SignIn calls %+v", calls)
	}
}

func TestCloseQuitsWhenNoTrayHostShowsTheIcon(t *testing.T) {
	host := false
	d := &fakeDesk{App: test.NewTempApp(t)}
	newTestUIOn(t, d, newFakeCore(app.Authentik), Options{TrayHost: func() bool { return host }})
	w := d.windows[0]
	w.intercept()
	if w.hidden || d.quits != 1 {
		t.Errorf("no tray host: hidden %v, quits %d", w.hidden, d.quits)
	}
	host = true // the panel has started since
	w.intercept()
	if !w.hidden || d.quits != 1 {
		t.Errorf("tray host up: hidden %v, quits %d", w.hidden, d.quits)
	}
}

func TestCloseHidesToTray(t *testing.T) {
	d := &fakeDesk{App: test.NewTempApp(t)}
	u := newTestUIOn(t, d, newFakeCore(app.Authentik), Options{})
	w := d.windows[0]
	if w.intercept == nil || w.master {
		t.Fatal("with a tray, closing the window must be intercepted and it must not be the master")
	}
	w.intercept()
	if !w.hidden {
		t.Error("closing the window did not hide it")
	}
	u.Show()
	if w.hidden {
		t.Error("Show did not show the window")
	}
}

// plainApp is an app without a tray.
type plainApp struct {
	fyne.App
	windows []*recWindow
}

func (a *plainApp) NewWindow(title string) fyne.Window {
	w := &recWindow{Window: a.App.NewWindow(title)}
	a.windows = append(a.windows, w)
	return w
}

func TestNoTrayClosingQuits(t *testing.T) {
	a := &plainApp{App: test.NewTempApp(t)}
	u := newTestUIOn(t, a, newFakeCore(app.Authentik), Options{})
	if u.desk != nil {
		t.Fatal("an app without desktop.App got a tray")
	}
	if w := a.windows[0]; w.intercept != nil || !w.master {
		t.Error("without a tray, closing the window must quit (master window, no intercept)")
	}
}

func TestKioskWindow(t *testing.T) {
	d := &fakeDesk{App: test.NewTempApp(t)}
	core := newFakeCore(app.Authentik)
	u := newTestUIOn(t, d, core, Options{Kiosk: true})
	w := d.windows[0]
	if !w.FullScreen() {
		t.Error("the kiosk window is not full-screen")
	}
	if len(d.menus) != 0 || len(d.icons) != 0 {
		t.Error("a kiosk must not use the tray")
	}
	w.intercept()
	if w.hidden || d.quits != 0 {
		t.Errorf("closing the kiosk window: hidden %v, quits %d", w.hidden, d.quits)
	}

	// Idle: the countdown comes up, in front, with "I'm still here".
	st := aliceStatus()
	core.set(st)
	w.Hide()
	st.Countdown = 20 * time.Second
	core.set(st)
	if w.hidden || !u.signedIn.countdownB.Visible() || !strings.Contains(u.signedIn.countdown.Text, "signing out in 20 s") {
		t.Fatalf("countdown: hidden %v, banner %v %q", w.hidden, u.signedIn.countdownB.Visible(), u.signedIn.countdown.Text)
	}
	core.tap(u.signedIn.stillHere)
	u.waitIdle()
	core.mu.Lock()
	n := core.stillHere
	core.mu.Unlock()
	if n != 1 || u.signedIn.countdownB.Visible() {
		t.Errorf("I'm still here: %d calls, banner %v", n, u.signedIn.countdownB.Visible())
	}
}

// With DeferTray the tray is left alone until StartTray (so the window's
// first frame comes first), which then sets up all of it, once.
func TestDeferredTray(t *testing.T) {
	d := &fakeDesk{App: test.NewTempApp(t)}
	core := newFakeCore(app.Authentik)
	u := newTestUIOn(t, d, core, Options{Icon: testIcon, TraySignedIn: testTraySignedIn, TraySignedOut: testTrayOut, DeferTray: true})
	core.ui(func() {})
	if len(d.menus) != 0 || len(d.icons) != 0 || d.trayWin != nil {
		t.Fatalf("the tray was touched before StartTray: %d menus, %d icons, window %v", len(d.menus), len(d.icons), d.trayWin)
	}
	core.ui(u.StartTray)
	if len(d.menus) == 0 || d.icon() != testTrayOut || d.trayWin != u.win {
		t.Fatalf("after StartTray: %d menus, icon %v, tray window %v", len(d.menus), d.icon(), d.trayWin)
	}
	if w := d.windows[0]; w.intercept == nil || w.master {
		t.Error("with a tray, closing the window must hide it (an intercept, not a master window)")
	}
	menus := len(d.menus)
	core.ui(u.StartTray)
	if len(d.menus) != menus {
		t.Error("a second StartTray set the tray up again")
	}
}

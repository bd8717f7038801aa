package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/assets"
	"github.com/ssotray/ssotray/oidc"
)

func TestMain(m *testing.M) {
	// Session expiry is shown in local time: fix it for the snapshots.
	time.Local = time.UTC
	os.Exit(m.Run())
}

func TestSignInScreenBothMethods(t *testing.T) {
	core := newFakeCore(app.Authentik, app.Navidrome)
	u := newTestUI(t, core, Options{})

	if u.win.Content() != u.signIn.root {
		t.Fatal("signed out: the sign-in screen is not shown")
	}
	if u.win.Title() != "ssotray" {
		t.Errorf("title %q", u.win.Title())
	}
	if u.signIn.authentik == nil || u.signIn.authentik.Importance != widget.HighImportance {
		t.Error("Sign in with Authentik is missing or not the primary button")
	}
	if u.signIn.navidrome == nil || u.signIn.navidrome.Importance == widget.HighImportance {
		t.Error("Sign in with Navidrome is missing, or primary next to Authentik")
	}
	if got := u.signIn.server.Text; got != "Navidrome at https://music.example.com" {
		t.Errorf("server line %q", got)
	}
	m := screen(u)
	for _, want := range []string{"Sign in with Authentik", "Sign in with Navidrome", "Username", "Password", "icon.png", ">or<"} {
		if !strings.Contains(m, want) {
			t.Errorf("sign-in screen lacks %q", want)
		}
	}
	test.AssertRendersToMarkup(t, "signin_both.xml", u.win.Canvas())
}

func TestSignInScreenOnlyAuthentik(t *testing.T) {
	u := newTestUI(t, newFakeCore(app.Authentik), Options{})
	if u.signIn.authentik == nil || u.signIn.navidrome != nil || u.signIn.server != nil {
		t.Fatal("only Authentik is enabled: want its button and no Navidrome form")
	}
	m := screen(u)
	if !strings.Contains(m, "Sign in with Authentik") || strings.Contains(m, "Navidrome") || strings.Contains(m, "Password") || strings.Contains(m, ">or<") {
		t.Errorf("unexpected sign-in screen:\n%s", m)
	}
}

func TestSignInScreenOnlyNavidrome(t *testing.T) {
	u := newTestUI(t, newFakeCore(app.Navidrome), Options{})
	if u.signIn.authentik != nil || u.signIn.navidrome == nil {
		t.Fatal("only Navidrome is enabled: want its form and no Authentik button")
	}
	if u.signIn.navidrome.Importance != widget.HighImportance {
		t.Error("the only method should be the primary button")
	}
	m := screen(u)
	if strings.Contains(m, "Authentik") || !strings.Contains(m, "Sign in with Navidrome") || !strings.Contains(m, "https://music.example.com") {
		t.Errorf("unexpected sign-in screen:\n%s", m)
	}
}

func TestSignInScreenNoMethod(t *testing.T) {
	u := newTestUI(t, newFakeCore(), Options{})
	if m := screen(u); !strings.Contains(m, "No sign-in method is enabled") {
		t.Errorf("no method: want advice, got\n%s", m)
	}
}

func TestNoticeShownWhenSignedOut(t *testing.T) {
	core := newFakeCore(app.Authentik)
	core.status = app.Status{Notice: "your session has ended; sign in again"}
	u := newTestUI(t, core, Options{})
	if !u.signIn.notice.root.Visible() || u.signIn.notice.label.Text != core.status.Notice {
		t.Errorf("notice %q (visible %v)", u.signIn.notice.label.Text, u.signIn.notice.root.Visible())
	}
	core.set(app.Status{})
	if u.signIn.notice.root.Visible() {
		t.Error("an empty notice is still shown")
	}
}

// TestStartingScreen: until the core has looked for a stored session the
// window offers no sign-in (Enter does nothing either), then shows what
// the look found.
func TestStartingScreen(t *testing.T) {
	for _, tt := range []struct {
		name  string
		found app.Status
		want  string
	}{
		{"a session stored", app.Status{State: app.SignedIn, Method: app.Authentik, Profile: app.Profile{Name: "Alice Liddell", Username: "alice"}}, "Alice Liddell"},
		{"nothing stored", app.Status{}, "Sign in with Authentik"},
		{"keyring unavailable", app.Status{Notice: "the keyring is unavailable"}, "the keyring is unavailable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			core := newFakeCore(app.Authentik, app.Navidrome)
			core.status = app.Status{State: app.Starting}
			u := newTestUI(t, core, Options{})
			m := screen(u)
			if !strings.Contains(m, app.StartingText) || !strings.Contains(m, "icon.png") || strings.Contains(m, "Sign in") {
				t.Errorf("starting: want the icon and %q, no sign-in; got\n%s", app.StartingText, m)
			}
			core.ui(func() { u.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
			u.waitIdle()
			if calls, _, _ := core.calls(); len(calls) != 0 {
				t.Errorf("Enter while starting started a sign-in: %+v", calls)
			}
			core.set(tt.found)
			if m := screen(u); !strings.Contains(m, tt.want) || strings.Contains(m, app.StartingText) {
				t.Errorf("after the look: want %q, got\n%s", tt.want, m)
			}
		})
	}
}

func TestWaitingScreenAndCancel(t *testing.T) {
	core := newFakeCore(app.Authentik, app.Navidrome)
	started := make(chan struct{})
	var gotCtx context.Context
	core.signIn = func(ctx context.Context, m app.Method, opts app.SignInOptions) error {
		gotCtx = ctx
		opts.ShowURL("http://127.0.0.1:38111/")
		close(started)
		<-ctx.Done()
		return fmt.Errorf("signing in with Authentik: %w", ctx.Err())
	}
	u := newTestUI(t, core, Options{})

	core.tap(u.signIn.authentik)
	<-started
	if u.win.Content() != u.waiting.root {
		t.Fatal("the waiting screen is not shown while signing in")
	}
	if got := u.waiting.url.Text; got != "http://127.0.0.1:38111/" || !u.waiting.urlBox.Visible() {
		t.Errorf("address to open by hand: %q (visible %v)", got, u.waiting.urlBox.Visible())
	}
	if !u.waiting.url.Selectable {
		t.Error("the address cannot be selected and copied")
	}
	m := screen(u)
	if got := u.waiting.message.Text; got != "Waiting for you to finish signing in in your browser…" {
		t.Errorf("waiting message %q", got)
	}
	for _, want := range []string{"Waiting for you to finish signing in", "Cancel", "http://127.0.0.1:38111/", "Copy address", "ProgressBarInfinite"} {
		if !strings.Contains(m, want) {
			t.Errorf("waiting screen lacks %q", want)
		}
	}
	test.AssertRendersToMarkup(t, "waiting.xml", u.win.Canvas())

	core.tap(u.waiting.cancel)
	u.waitIdle()
	if gotCtx.Err() == nil {
		t.Error("Cancel did not cancel the sign-in context")
	}
	if u.win.Content() != u.signIn.root {
		t.Fatal("after Cancel the sign-in screen is not back")
	}
	m = screen(u)
	if !strings.Contains(m, "Sign-in cancelled.") || strings.Contains(m, "context canceled") {
		t.Errorf("after Cancel want a plain 'cancelled' line, got\n%s", m)
	}
	if u.signInURL != "" {
		t.Error("the old address stays for the next sign-in")
	}
}

func TestWaitingBrowserFailedShowsWindow(t *testing.T) {
	core := newFakeCore(app.Authentik)
	shown, release := make(chan struct{}), make(chan struct{})
	core.signIn = func(ctx context.Context, m app.Method, opts app.SignInOptions) error {
		opts.BrowserFailed(errors.New("xdg-open: no method available"))
		opts.ShowURL("http://127.0.0.1:38111/")
		close(shown)
		<-release
		return nil
	}
	a := &recApp{App: test.NewTempApp(t)}
	u := newTestUIOn(t, a, core, Options{})
	w := a.windows[0]
	// The window went behind the browser, or was minimised.
	core.tap(u.signIn.authentik)
	w.Hide()
	<-shown
	if w.hidden {
		t.Error("the browser did not open but the window stays hidden")
	}
	if got := u.waiting.browserErr.label.Text; got != "Your browser could not be opened: xdg-open: no method available" || !u.waiting.browserErr.root.Visible() {
		t.Errorf("browser failure shown as %q", got)
	}
	if !strings.Contains(screen(u), "Your browser could not be opened") {
		t.Error("browser failure not on screen")
	}
	close(release)
	u.waitIdle()
	if u.win.Content() != u.signedIn.root {
		t.Error("not signed in after the sign-in finished")
	}
}

func TestSignInErrorShownOnce(t *testing.T) {
	core := newFakeCore(app.Authentik, app.Navidrome)
	// What the core says when Authentik does not answer.
	down := &oidc.UnreachableError{URL: "https://auth.example.com/application/o/ssotray/.well-known/openid-configuration", Err: syscall.ECONNREFUSED}
	core.signIn = func(context.Context, app.Method, app.SignInOptions) error { return down }
	u := newTestUI(t, core, Options{})

	core.tap(u.signIn.authentik)
	u.waitIdle()
	if u.win.Content() != u.signIn.root {
		t.Fatal("after a failed sign-in the sign-in screen is not shown")
	}
	m := screen(u)
	if n := strings.Count(m, "connection refused"); n != 1 {
		t.Errorf("the error shows %d times, want once:\n%s", n, m)
	}
	test.AssertRendersToMarkup(t, "signin_error.xml", u.win.Canvas())
}

func TestSignInErrorNotInNotice(t *testing.T) {
	core := newFakeCore(app.Authentik)
	u := newTestUI(t, busyCore{core}, Options{})
	core.tap(u.signIn.authentik)
	u.waitIdle()
	if m := screen(u); strings.Count(m, app.ErrBusy.Error()) != 1 {
		t.Errorf("an error the core kept out of Status.Notice must still show once:\n%s", m)
	}
}

// busyCore refuses every sign-in without touching its state, as the real
// core does while another sign-in runs.
type busyCore struct{ *fakeCore }

func (b busyCore) SignIn(context.Context, app.Method, app.SignInOptions) error {
	b.barrier()
	return app.ErrBusy
}

func TestNavidromeFormEnterSubmits(t *testing.T) {
	core := newFakeCore(app.Authentik, app.Navidrome)
	seen, release := make(chan struct{}), make(chan struct{})
	core.signIn = func(ctx context.Context, m app.Method, opts app.SignInOptions) error {
		seen <- struct{}{} // the waiting screen is up: the test checks it below
		<-release
		return nil
	}
	u := newTestUI(t, core, Options{})

	test.Type(u.signIn.username, "bob")
	test.Type(u.signIn.password, "s3cret")
	core.ui(func() { u.signIn.password.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
	<-seen
	if got := u.signIn.password.Text; got != "" {
		t.Errorf("the password entry still holds %q during the attempt", got)
	}
	if m := screen(u); !strings.Contains(m, "Signing in to Navidrome…") {
		t.Errorf("Navidrome waiting screen:\n%s", m)
	}
	close(release)
	u.waitIdle()

	calls, _, _ := core.calls()
	if len(calls) != 1 || calls[0] != (signInCall{app.Navidrome, "bob", "s3cret"}) {
		t.Fatalf("SignIn calls: %+v", calls)
	}
	if u.signIn.password.Text != "" || u.signIn.username.Text != "" {
		t.Errorf("after sign-in the form keeps %q / %q", u.signIn.username.Text, u.signIn.password.Text)
	}
	u.signIn.password.Undo()
	if u.signIn.password.Text != "" {
		t.Error("Undo brings the password back")
	}
	if u.win.Content() != u.signedIn.root {
		t.Error("not on the signed-in screen")
	}
}

func TestNavidromeFailedAttemptClearsPassword(t *testing.T) {
	core := newFakeCore(app.Navidrome)
	core.signIn = func(context.Context, app.Method, app.SignInOptions) error {
		return errors.New("Navidrome refused the username or password; check them and try again")
	}
	u := newTestUI(t, core, Options{})
	test.Type(u.signIn.username, "bob")
	test.Type(u.signIn.password, "wrong")
	core.tap(u.signIn.navidrome)
	u.waitIdle()
	if u.signIn.password.Text != "" {
		t.Error("the password is kept after a failed attempt")
	}
	if u.signIn.username.Text != "bob" {
		t.Error("the username should stay for the next try")
	}
	if m := screen(u); strings.Count(m, "Navidrome refused the username or password") != 1 {
		t.Errorf("error not shown once:\n%s", m)
	}
}

// At a kiosk what one person typed and left is not for the next: the form
// empties when the machine has been left alone (Status.Idle), and the
// password has no eye to show it.
func TestKioskFormForgetsWhatWasTyped(t *testing.T) {
	for _, kiosk := range []bool{false, true} {
		core := newFakeCore(app.Navidrome)
		core.signIn = func(context.Context, app.Method, app.SignInOptions) error {
			return errors.New("Navidrome refused the username or password; check them and try again")
		}
		u := newTestUI(t, core, Options{Kiosk: kiosk})
		if _, eye := u.signIn.password.ActionItem.(fyne.Tappable); eye == kiosk {
			t.Errorf("kiosk %v: the password entry has an eye to show the password: %v", kiosk, eye)
		}
		if !kiosk {
			continue // Status.Idle is a kiosk's
		}
		test.Type(u.signIn.username, "alice")
		core.tap(u.signIn.navidrome) // without the password: a hint
		u.waitIdle()
		test.Type(u.signIn.password, "half-typed")
		core.set(app.Status{State: app.SignedOut, Idle: true})
		u.waitIdle()
		var user, pass, m string
		core.ui(func() { user, pass, m = u.signIn.username.Text, u.signIn.password.Text, screen(u) })
		if user != "" || pass != "" || strings.Contains(m, "Enter your Navidrome username and password.") {
			t.Errorf("after the machine was left alone the form holds %q / %q, and the screen:\n%s", user, pass, m)
		}
	}
}

func TestNavidromeMissingPassword(t *testing.T) {
	core := newFakeCore(app.Navidrome)
	core.status = app.Status{Notice: "an older problem"}
	u := newTestUI(t, core, Options{})
	test.Type(u.signIn.username, "bob")
	core.ui(func() { u.signIn.password.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
	u.waitIdle()
	if calls, _, _ := core.calls(); len(calls) != 0 {
		t.Errorf("signed in without a password: %+v", calls)
	}
	if m := screen(u); !strings.Contains(m, "Enter your Navidrome username and password.") || strings.Contains(m, "an older problem") {
		t.Errorf("want only the hint for the missing password:\n%s", m)
	}
}

func TestSignedInWithGroups(t *testing.T) {
	core := newFakeCore(app.Authentik, app.Navidrome)
	core.apps = someApps(4)
	core.status = aliceStatus()
	u := newTestUI(t, core, Options{})

	if u.win.Content() != u.signedIn.root {
		t.Fatal("the signed-in screen is not shown")
	}
	var chips []string
	for _, o := range u.signedIn.groups.Objects {
		if c, ok := o.(*chip); ok {
			chips = append(chips, c.text)
		}
	}
	if strings.Join(chips, ",") != "family,music-lovers,admins" {
		t.Errorf("group chips %v", chips)
	}
	if u.signedIn.avatar.initials != "AL" {
		t.Errorf("avatar initials %q", u.signedIn.avatar.initials)
	}
	m := screen(u)
	for _, want := range []string{"Alice Liddell", "alice@example.com", "7f3c9a2e-alice", ">alice<", ">Authentik<",
		"Renews by itself; no need to sign in again", "Groups", "Sign out", "Music", "Immich photo"} {
		if !strings.Contains(m, want) {
			t.Errorf("signed-in screen lacks %q", want)
		}
	}
	if u.signedIn.search.Visible() {
		t.Error("4 apps: the search box should be hidden")
	}
	if len(u.signedIn.grid.Objects) != 4 {
		t.Errorf("%d tiles, want 4", len(u.signedIn.grid.Objects))
	}
	test.AssertRendersToMarkup(t, "signedin_groups.xml", u.win.Canvas())
}

// TestGroupChipsBuiltOnChange: a status that changes something else (a
// kiosk's countdown, every second) keeps the chips; new groups or the
// Navidrome role replace them.
func TestGroupChipsBuiltOnChange(t *testing.T) {
	core := newFakeCore(app.Authentik, app.Navidrome)
	core.status = aliceStatus()
	u := newTestUI(t, core, Options{})
	texts := func() (out []string) {
		for _, o := range u.signedIn.groups.Objects {
			if c, ok := o.(*chip); ok {
				out = append(out, c.text)
			}
		}
		return out
	}
	first := u.signedIn.groups.Objects[0]

	tick := aliceStatus()
	tick.Countdown = 30 * time.Second
	core.set(tick)
	if u.signedIn.groups.Objects[0] != first {
		t.Error("a countdown tick built the group chips again")
	}
	regrouped := aliceStatus()
	regrouped.Profile.Groups = []string{"family"}
	core.set(regrouped)
	if got := strings.Join(texts(), ","); got != "family" || u.signedIn.groups.Objects[0] == first {
		t.Errorf("new groups: chips %q", got)
	}
	core.set(navidromeStatus())
	if got := strings.Join(texts(), ","); got != "admin" || u.signedIn.form.Items[len(u.signedIn.form.Items)-1].Text != "Role" {
		t.Errorf("Navidrome: chips %q", got)
	}
	none := aliceStatus()
	none.Profile.Groups = nil
	core.set(none)
	if l, ok := u.signedIn.groups.Objects[0].(*widget.Label); !ok || len(u.signedIn.groups.Objects) != 1 || l.Text != "—" {
		t.Errorf("no groups: want a dash, got %v", u.signedIn.groups.Objects)
	}
}

func TestSignedInNavidromeShowsRole(t *testing.T) {
	core := newFakeCore(app.Navidrome)
	core.status = navidromeStatus()
	u := newTestUI(t, core, Options{})
	var chips []string
	for _, o := range u.signedIn.groups.Objects {
		if c, ok := o.(*chip); ok {
			chips = append(chips, c.text)
		}
	}
	if len(chips) != 1 || chips[0] != "admin" {
		t.Errorf("Navidrome: want the role as the only chip, got %v", chips)
	}
	m := screen(u)
	if !strings.Contains(m, ">Role<") || strings.Contains(m, ">Groups<") || strings.Contains(m, app.NavidromeAdminsGroup) {
		t.Errorf("Navidrome shows groups instead of the role:\n%s", m)
	}
	if !strings.Contains(m, ">Navidrome<") || !strings.Contains(m, "No apps are available to you.") || u.signedIn.grid.Visible() {
		t.Errorf("method or empty launcher missing:\n%s", m)
	}
}

func TestManyAppsSearch(t *testing.T) {
	core := newFakeCore(app.Authentik)
	core.apps = someApps(11)
	core.status = aliceStatus()
	u := newTestUI(t, core, Options{})

	if !u.signedIn.search.Visible() {
		t.Fatal("11 apps: want a search box")
	}
	if len(u.signedIn.grid.Objects) != 11 {
		t.Fatalf("%d tiles, want 11", len(u.signedIn.grid.Objects))
	}
	test.AssertRendersToMarkup(t, "many_apps.xml", u.win.Canvas())

	shown := func() []string {
		var names []string
		for _, o := range u.signedIn.grid.Objects {
			names = append(names, o.(*appTile).app.Name)
		}
		return names
	}
	test.Type(u.signedIn.search, "PHOTO")
	if got := shown(); len(got) != 1 || got[0] != "Photos" {
		t.Errorf("search by name: %v", got)
	}
	u.signedIn.search.SetText("")
	test.Type(u.signedIn.search, "jellyfin")
	if got := shown(); len(got) != 1 || got[0] != "Films" {
		t.Errorf("search by description: %v", got)
	}
	u.signedIn.search.SetText("")
	test.Type(u.signedIn.search, "zzz")
	if len(shown()) != 0 || !strings.Contains(screen(u), "No app matches “zzz”.") {
		t.Error("no match: want an empty grid and a line saying so")
	}
	if u.signedIn.grid.Visible() {
		t.Error("no match: the empty grid still takes a row's height")
	}
	u.signedIn.search.SetText("")
	if len(shown()) != 11 || !u.signedIn.grid.Visible() {
		t.Error("clearing the search does not bring all apps back")
	}

	// Down to 8 apps: no search box.
	core.apps = someApps(8)
	core.set(aliceStatus())
	if u.signedIn.search.Visible() || len(shown()) != 8 {
		t.Errorf("8 apps: search visible %v, %d tiles", u.signedIn.search.Visible(), len(shown()))
	}
}

func TestTileOpensApp(t *testing.T) {
	core := newFakeCore(app.Authentik)
	core.apps = someApps(3)
	core.status = aliceStatus()
	u := newTestUI(t, core, Options{})

	core.tap(u.signedIn.grid.Objects[1].(*appTile))
	u.waitIdle()
	if _, _, opened := core.calls(); len(opened) != 1 || opened[0] != "Photos" {
		t.Errorf("OpenApp calls: %v", opened)
	}
	if u.signedIn.launchErr.root.Visible() {
		t.Error("an error line shows after a successful launch")
	}

	core.openErr = errors.New(`opening Files: no browser could be started; set browser_command in the configuration`)
	core.tap(u.signedIn.grid.Objects[2].(*appTile))
	u.waitIdle()
	if m := screen(u); !strings.Contains(m, "opening Files: no browser could be started") {
		t.Errorf("launch error not shown:\n%s", m)
	}
}

func TestSignOutButton(t *testing.T) {
	core := newFakeCore(app.Authentik)
	core.status = aliceStatus()
	u := newTestUI(t, core, Options{})

	core.tap(u.signedIn.signOut)
	u.waitIdle()
	if _, outs, _ := core.calls(); outs != 1 {
		t.Fatalf("SignOut called %d times", outs)
	}
	if u.win.Content() != u.signIn.root {
		t.Fatal("not back on the sign-in screen")
	}
	if !u.signIn.notice.root.Visible() || u.signIn.notice.label.Text != signedOutReport.String() {
		t.Errorf("a clean sign-out says what it did: %q", u.signIn.notice.label.Text)
	}

	// Warnings: the person is signed out anyway and told what failed.
	core.set(aliceStatus())
	core.signOutErr = errors.New("revoking the token at https://auth.example.com: connection refused")
	core.tap(u.signedIn.signOut)
	u.waitIdle()
	if u.win.Content() != u.signIn.root {
		t.Fatal("not signed out after a sign-out with warnings")
	}
	if m := screen(u); !strings.Contains(m, "You are signed out in this window, but revoking the token") {
		t.Errorf("sign-out warning not shown:\n%s", m)
	}
	if u.signIn.retryBox.Visible() {
		t.Error("a server-side warning offers to sign out again")
	}
}

func TestSignOutKeyringKeptSession(t *testing.T) {
	core := newFakeCore(app.Authentik)
	core.status = aliceStatus()
	core.signOutErr = &app.ForgetError{Err: errors.New("locked collection")}
	u := newTestUI(t, core, Options{})

	core.tap(u.signedIn.signOut)
	u.waitIdle()
	if got := u.signIn.notice.label.Text; !strings.Contains(got, "could not remove the session from the keyring") || !u.signIn.retryBox.Visible() {
		t.Fatalf("want the keyring problem and a way to try again; notice %q, retry visible %v", got, u.signIn.retryBox.Visible())
	}
	if !strings.Contains(screen(u), "Sign out again") {
		t.Error("the retry button is not on screen")
	}
	core.signOutErr = nil
	core.tap(u.signIn.retry)
	u.waitIdle()
	if _, outs, _ := core.calls(); outs != 2 {
		t.Errorf("Sign out again: SignOut called %d times in all, want 2", outs)
	}
	if u.signIn.retryBox.Visible() || u.signIn.notice.label.Text != signedOutReport.String() {
		t.Errorf("after a clean retry the problem is still shown: %q", u.signIn.notice.label.Text)
	}
}

func TestStatusFromAnotherGoroutine(t *testing.T) {
	core := newFakeCore(app.Authentik)
	core.apps = someApps(2)
	u := newTestUI(t, core, Options{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		core.set(aliceStatus())
	}()
	<-done
	waitFor(t, func() bool { return u.win.Content() == u.signedIn.root })
	if u.signedIn.name.Text != "Alice Liddell (alice)" || len(u.signedIn.grid.Objects) != 2 {
		t.Errorf("window not updated: name %q, %d tiles", u.signedIn.name.Text, len(u.signedIn.grid.Objects))
	}

	done = make(chan struct{})
	go func() {
		defer close(done)
		core.set(app.Status{State: app.Refreshing, Method: app.Authentik, Profile: aliceStatus().Profile})
		core.set(app.Status{Notice: "your session has ended; sign in again"})
	}()
	<-done
	waitFor(t, func() bool { return u.win.Content() == u.signIn.root })
	if u.signIn.notice.label.Text != "your session has ended; sign in again" {
		t.Errorf("notice %q", u.signIn.notice.label.Text)
	}
}

func TestNotifications(t *testing.T) {
	core := newFakeCore(app.Authentik)
	u := newTestUI(t, core, Options{Notify: true})

	test.AssertNotificationSent(t, fyne.NewNotification("ssotray", "Signed in as Alice Liddell (alice)"), func() {
		core.tap(u.signIn.authentik)
		u.waitIdle()
	})
	test.AssertNotificationSent(t, nil, func() {
		core.set(app.Status{State: app.Refreshing, Method: app.Authentik, Profile: aliceStatus().Profile})
		core.set(aliceStatus())
		u.waitIdle()
	})
	// What the sign-out did, no more.
	test.AssertNotificationSent(t, fyne.NewNotification("ssotray", signedOutReport.String()), func() {
		core.tap(u.signedIn.signOut)
		u.waitIdle()
	})
	if u.signIn.notice.label.Text != signedOutReport.String() {
		t.Errorf("sign-in screen after sign-out: %q", u.signIn.notice.label.Text)
	}
	core.set(aliceStatus()) // e.g. restored at start: no notification
	test.AssertNotificationSent(t, fyne.NewNotification("ssotray", "your session has ended; sign in again"), func() {
		core.set(app.Status{Notice: "your session has ended; sign in again"})
		u.waitIdle()
	})
}

func TestNoNotificationsUnlessAsked(t *testing.T) {
	core := newFakeCore(app.Authentik)
	u := newTestUI(t, core, Options{})
	test.AssertNotificationSent(t, nil, func() {
		core.tap(u.signIn.authentik)
		u.waitIdle()
		core.tap(u.signedIn.signOut)
		u.waitIdle()
	})
}

func TestCloseUnsubscribes(t *testing.T) {
	core := newFakeCore(app.Authentik)
	u := newTestUI(t, core, Options{})
	if core.subscribers() != 1 {
		t.Fatalf("%d subscribers", core.subscribers())
	}
	u.Close()
	if core.subscribers() != 0 {
		t.Error("Close did not unsubscribe")
	}
	core.set(aliceStatus())
	if u.win.Content() != u.signIn.root {
		t.Error("a closed UI still follows the core")
	}
}

// waitFor polls cond: fyne.Do may run later on a real driver.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEnterStartsPrimarySignIn(t *testing.T) {
	tests := []struct {
		name    string
		methods []app.Method
		want    int // sign-ins started
	}{
		{"authentik is primary", []app.Method{app.Authentik, app.Navidrome}, 1},
		{"navidrome alone focuses the username", []app.Method{app.Navidrome}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := newFakeCore(tt.methods...)
			u := newTestUI(t, core, Options{})
			core.ui(func() { u.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
			u.waitIdle()
			calls, _, _ := core.calls()
			if len(calls) != tt.want || (tt.want == 1 && calls[0].method != app.Authentik) {
				t.Errorf("sign-ins after Enter: %+v", calls)
			}
			if tt.want == 0 && u.win.Canvas().Focused() != u.signIn.username {
				t.Error("Enter did not put the cursor in the username")
			}
		})
	}
}

func TestAvatarPictureAndAppIcons(t *testing.T) {
	core := newFakeCore(app.Authentik)
	core.apps = someApps(2)
	core.apps[0].Icon = assets.Icon
	st := aliceStatus()
	st.Avatar = assets.TraySignedIn
	core.status = st
	u := newTestUI(t, core, Options{})
	m := screen(u)
	if !strings.Contains(m, `rsc="avatar-`) || strings.Count(m, `rsc="icon-`) != 1 {
		t.Errorf("want the avatar picture and one app icon:\n%s", m)
	}
	if !strings.Contains(m, ">"+string([]rune(core.apps[1].Name)[0:1])+"<") {
		t.Errorf("the app without an icon lost its letter:\n%s", m)
	}
	// Without a picture the initials come back.
	core.set(aliceStatus())
	u.waitIdle()
	if m := screen(u); strings.Contains(m, `rsc="avatar-`) || !strings.Contains(m, ">AL<") {
		t.Errorf("avatar picture stayed after it was removed:\n%s", m)
	}
}

func TestEnterActivatesTheFocusedButton(t *testing.T) {
	core := newFakeCore(app.Authentik)
	core.status = aliceStatus()
	u := newTestUI(t, core, Options{})
	// With the focus on "Sign out" (Tab gets there), Enter signs out.
	core.ui(func() { u.win.Canvas().Focus(u.signedIn.signOut) })
	core.ui(func() { u.signedIn.signOut.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
	u.waitIdle()
	if _, outs, _ := core.calls(); outs != 1 {
		t.Errorf("Enter on the focused Sign out button: %d sign-outs", outs)
	}
	core.ui(func() { u.signIn.authentik.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace}) })
	u.waitIdle()
	if calls, _, _ := core.calls(); len(calls) != 1 {
		t.Errorf("Space on the focused sign-in button: %+v", calls)
	}
}

// A kiosk may have a keyboard and no mouse: Tab must reach every app and
// Sign out, and Enter on a focused tile opens its app.
func TestTabReachesTheAppsAndEnterOpensOne(t *testing.T) {
	core := newFakeCore(app.Authentik)
	core.apps = someApps(3)
	core.status = aliceStatus()
	u := newTestUI(t, core, Options{Kiosk: true})
	var order []fyne.Focusable
	core.ui(func() {
		for range 8 {
			u.win.Canvas().FocusNext()
			order = append(order, u.win.Canvas().Focused())
		}
	})
	for i, tile := range u.signedIn.tiles {
		if !slices.Contains(order, fyne.Focusable(tile)) {
			t.Errorf("Tab never reaches app %d %q; focus went %v", i, tile.app.Name, order)
		}
	}
	if !slices.Contains(order, fyne.Focusable(u.signedIn.signOut)) {
		t.Errorf("Tab never reaches Sign out; focus went %v", order)
	}

	second := u.signedIn.tiles[1]
	core.ui(func() { u.win.Canvas().Focus(second) })
	if m := screen(u); !strings.Contains(m, `strokeColor="focus"`) {
		t.Errorf("the focused tile does not show it:\n%s", m)
	}
	core.ui(func() { second.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
	u.waitIdle()
	if _, _, opened := core.calls(); !slices.Equal(opened, []string{second.app.Name}) {
		t.Errorf("Enter on the focused tile opened %v, want %q", opened, second.app.Name)
	}
}

// A kiosk whose display cannot tell its idle time counts input in the
// window: each of these must reach the core; outside a kiosk none does.
func TestWindowInputReachesTheKioskIdleWatch(t *testing.T) {
	events := []struct {
		name string
		do   func(u *UI)
	}{
		{"pointer over the profile", func(u *UI) {
			test.MoveMouse(u.win.Canvas(), fyne.CurrentApp().Driver().AbsolutePositionForObject(u.signedIn.name).AddXY(2, 2))
		}},
		{"pointer over an app", func(u *UI) {
			test.MoveMouse(u.win.Canvas(), fyne.CurrentApp().Driver().AbsolutePositionForObject(u.signedIn.tiles[0]).AddXY(5, 5))
		}},
		{"pointer over Sign out", func(u *UI) {
			test.MoveMouse(u.win.Canvas(), fyne.CurrentApp().Driver().AbsolutePositionForObject(u.signedIn.signOut).AddXY(5, 5))
		}},
		{"a key with nothing focused", func(u *UI) { u.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDown}) }},
		{"a letter with nothing focused", func(u *UI) { u.win.Canvas().OnTypedRune()('a') }},
		{"a key on a focused app", func(u *UI) { u.signedIn.tiles[0].TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown}) }},
		{"typing in the app search", func(u *UI) { test.Type(u.signedIn.search, "no") }},
		{"the mouse wheel over the profile", func(u *UI) {
			test.Scroll(u.win.Canvas(), fyne.CurrentApp().Driver().AbsolutePositionForObject(u.signedIn.name).AddXY(2, 2), 0, -40)
		}},
	}
	for _, kiosk := range []bool{true, false} {
		for _, ev := range events {
			t.Run(fmt.Sprintf("%s/kiosk=%v", ev.name, kiosk), func(t *testing.T) {
				core := newFakeCore(app.Authentik)
				core.apps = someApps(maxAppsWithoutSearch + 1)
				core.status = aliceStatus()
				u := newTestUI(t, core, Options{Kiosk: kiosk})
				core.ui(func() {
					test.MoveMouse(u.win.Canvas(), fyne.NewPos(-1, -1)) // away from the window
				})
				before := core.noted()
				core.ui(func() { ev.do(u) })
				switch got := core.noted() - before; {
				case kiosk && got == 0:
					t.Error("the kiosk's idle watch never heard of it")
				case !kiosk && got != 0:
					t.Errorf("outside a kiosk the core heard of it %d times", got)
				}
			})
		}
	}
}

// A kiosk leaves nothing of a person on the desktop: no notification
// (they name the person and stay in the desktop's history), and the
// clipboard is emptied when they are signed out, by the button or by the
// core (idle timeout). A desktop ssotray notifies and leaves the clipboard.
func TestKioskLeavesNoNotificationsOrClipboard(t *testing.T) {
	for _, kiosk := range []bool{false, true} {
		for _, byButton := range []bool{true, false} {
			core := newFakeCore(app.Authentik)
			u := newTestUI(t, core, Options{Notify: true, Kiosk: kiosk})
			var signedIn, signedOut *fyne.Notification
			if !kiosk {
				signedIn = fyne.NewNotification("ssotray", "Signed in as Alice Liddell (alice)")
				signedOut = fyne.NewNotification("ssotray", signedOutReport.String())
			}
			test.AssertNotificationSent(t, signedIn, func() {
				core.tap(u.signIn.authentik)
				u.waitIdle()
			})
			core.ui(func() { u.app.Clipboard().SetContent("alice's copied password") })
			if !kiosk && !byButton {
				signedOut = fyne.NewNotification("ssotray", "Signed out after 5m0s without activity.")
			}
			test.AssertNotificationSent(t, signedOut, func() {
				if byButton {
					core.tap(u.signedIn.signOut)
				} else {
					core.set(app.Status{State: app.SignedOut, Notice: "Signed out after 5m0s without activity."})
				}
				u.waitIdle()
			})
			waitFor(t, func() bool { return u.win.Content() == u.signIn.root })
			var clip string
			core.ui(func() { clip = u.app.Clipboard().Content() })
			if want := map[bool]string{false: "alice's copied password", true: ""}[kiosk]; clip != want {
				t.Errorf("kiosk %v, by button %v: clipboard %q after sign-out, want %q", kiosk, byButton, clip, want)
			}
		}
	}
}

// A kiosk empties the clipboard after a sign-in that did not finish too:
// the person may have copied a password on the way.
func TestKioskFailedSignInEmptiesTheClipboard(t *testing.T) {
	for _, kiosk := range []bool{false, true} {
		core := newFakeCore(app.Authentik)
		u := newTestUI(t, core, Options{Kiosk: kiosk})
		core.set(app.Status{State: app.SigningIn, Method: app.Authentik})
		u.waitIdle()
		core.ui(func() { u.app.Clipboard().SetContent("bob's copied password") })
		core.set(app.Status{State: app.SignedOut, Notice: "access_denied: Permission denied"})
		u.waitIdle()
		var clip string
		core.ui(func() { clip = u.app.Clipboard().Content() })
		if want := map[bool]string{false: "bob's copied password", true: ""}[kiosk]; clip != want {
			t.Errorf("kiosk %v: clipboard %q after the failed sign-in, want %q", kiosk, clip, want)
		}
	}
}

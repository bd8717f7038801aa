package tray

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/launch"
)

var (
	iconIn  = []byte("in")
	iconOut = []byte("out")
)

func newTestTray(t *testing.T, core *fakeCore) (*Tray, *fakeShell, *notes, *int) {
	t.Helper()
	shell, n := newFakeShell(), &notes{}
	shows := 0
	tr := New(core, shell, Options{SignedIn: iconIn, SignedOut: iconOut, Notify: n.notify, ShowWindow: func() { shows++ }, Quit: shell.Quit})
	t.Cleanup(tr.Close)
	return tr, shell, n, &shows
}

func TestTrayFollowsState(t *testing.T) {
	core := newFakeCore()
	tr, shell, n, _ := newTestTray(t, core)
	if got := shell.labels(); !reflect.DeepEqual(got, []string{"Sign in with Authentik", "Sign in with Navidrome…", "", "Show ssotray", "", "Quit"}) {
		t.Errorf("signed out: %q", got)
	}
	if !bytes.Equal(shell.icon, iconOut) {
		t.Error("signed out: want the signed-out icon")
	}
	st := alice
	st.Apps = []launch.App{{Name: "Music"}}
	core.set(st)
	if got := shell.labels(); !reflect.DeepEqual(got, []string{"Signed in as Alice Liddell (alice)", "", "Music", "", "Show ssotray", "Sign out", "", "Quit"}) {
		t.Errorf("signed in: %q", got)
	}
	if !bytes.Equal(shell.icon, iconIn) {
		t.Error("signed in: want the signed-in icon")
	}
	menus := len(shell.menus)
	core.set(st)
	if len(shell.menus) != menus {
		t.Error("the same state rebuilt the menu")
	}
	shell.click(t, "Music")
	tr.bg.Wait()
	if !slices.Equal(core.opened, []string{"Music"}) {
		t.Errorf("opened %v", core.opened)
	}
	// A session that ends by itself is told; nothing else was.
	core.set(app.Status{Notice: "Your session has ended; sign in again."})
	tr.bg.Wait()
	if got := n.list(); !slices.Equal(got, []string{"Your session has ended; sign in again."}) {
		t.Errorf("notifications %q", got)
	}
}

func TestTrayActions(t *testing.T) {
	for _, tc := range []struct {
		name      string
		signIn    func(context.Context, app.SignInOptions) error
		click     []string
		wantShows int
		wantNotes []string
		wantFirst string // the menu's first label afterwards
	}{
		{name: "sign in with Authentik", click: []string{"Sign in with Authentik"},
			wantNotes: []string{"Signed in as Alice Liddell (alice)"}, wantFirst: "Signed in as Alice Liddell (alice)"},
		{name: "the provider refuses", signIn: func(context.Context, app.SignInOptions) error { return errRefused },
			click: []string{"Sign in with Authentik"}, wantNotes: []string{errRefused.Error()}, wantFirst: "Sign in with Authentik"},
		{name: "no browser opens: the window takes over", click: []string{"Sign in with Authentik"},
			signIn: func(ctx context.Context, o app.SignInOptions) error {
				o.BrowserFailed(context.DeadlineExceeded)
				<-ctx.Done()
				return ctx.Err()
			}, wantShows: 1, wantFirst: "Sign in with Authentik"},
		{name: "Navidrome needs the password form", click: []string{"Sign in with Navidrome…"}, wantShows: 1, wantFirst: "Sign in with Authentik"},
		{name: "show", click: []string{"Show ssotray"}, wantShows: 1, wantFirst: "Sign in with Authentik"},
		{name: "sign in, then out: what was done is told", click: []string{"Sign in with Authentik", "Sign out"},
			wantNotes: []string{"Signed in as Alice Liddell (alice)", app.SignOutReport{Revoked: true}.String()}, wantFirst: "Sign in with Authentik"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core := newFakeCore()
			core.signIn = tc.signIn
			core.report = app.SignOutReport{Revoked: true}
			tr, shell, n, shows := newTestTray(t, core)
			for _, label := range tc.click {
				shell.click(t, label)
				tr.bg.Wait()
			}
			if *shows != tc.wantShows {
				t.Errorf("window shown %d times, want %d", *shows, tc.wantShows)
			}
			if got := n.list(); !slices.Equal(got, tc.wantNotes) {
				t.Errorf("notifications %q, want %q", got, tc.wantNotes)
			}
			if got := shell.labels(); got[0] != tc.wantFirst {
				t.Errorf("menu %q, want it to start with %q", got, tc.wantFirst)
			}
		})
	}
}

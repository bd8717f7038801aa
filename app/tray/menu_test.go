package tray

import (
	"reflect"
	"testing"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/launch"
)

func TestMenu(t *testing.T) {
	sep := Item{Separator: true}
	show := Item{Label: "Show ssotray", Action: Action{Kind: ShowWindow}}
	quit := Item{Label: "Quit", Action: Action{Kind: Quit}}
	authentik := Item{Label: "Sign in with Authentik", Action: Action{Kind: SignInAuthentik}}
	navidrome := Item{Label: "Sign in with Navidrome…", Action: Action{Kind: SignInNavidrome}}
	signOut := Item{Label: "Sign out", Action: Action{Kind: SignOut}}
	both := []app.Method{app.Authentik, app.Navidrome}
	apps := []launch.App{{Name: "Music"}, {Name: "Photos"}}
	alice := app.Status{State: app.SignedIn, Profile: app.Profile{Name: "Alice Liddell", Username: "alice"}, Apps: apps}

	for _, tc := range []struct {
		name    string
		st      app.Status
		methods []app.Method
		want    []Item
	}{
		{"signed out, both methods", app.Status{}, both,
			[]Item{authentik, navidrome, sep, show, sep, quit}},
		{"signed out, Authentik only", app.Status{}, []app.Method{app.Authentik},
			[]Item{authentik, sep, show, sep, quit}},
		{"signed out, Navidrome only", app.Status{Notice: "whatever"}, []app.Method{app.Navidrome},
			[]Item{navidrome, sep, show, sep, quit}},
		{"signed out, no method", app.Status{}, nil,
			[]Item{show, sep, quit}},
		{"starting: no sign-in offered before the keyring answers", app.Status{State: app.Starting}, both,
			[]Item{{Label: "Looking for your saved session…", Disabled: true}, show, sep, quit}},
		{"signing in", app.Status{State: app.SigningIn, Method: app.Authentik}, both,
			[]Item{{Label: "Signing in…", Disabled: true}, show, sep, quit}},
		{"signed in with apps", alice, both,
			[]Item{{Label: "Signed in as Alice Liddell (alice)", Disabled: true}, sep,
				{Label: "Music", Action: Action{Kind: OpenApp, App: "Music"}}, {Label: "Photos", Action: Action{Kind: OpenApp, App: "Photos"}}, sep,
				show, signOut, sep, quit}},
		{"signed in, no apps", app.Status{State: app.SignedIn, Profile: app.Profile{Name: "Bob Builder", Username: "bob"}}, both,
			[]Item{{Label: "Signed in as Bob Builder (bob)", Disabled: true}, sep, show, signOut, sep, quit}},
		{"refreshing counts as signed in",
			app.Status{State: app.Refreshing, Profile: app.Profile{Username: "carol"}, Apps: apps[:1]}, both,
			[]Item{{Label: "Signed in as carol", Disabled: true}, sep, {Label: "Music", Action: Action{Kind: OpenApp, App: "Music"}}, sep,
				show, signOut, sep, quit}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Menu(tc.st, tc.methods); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Menu:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

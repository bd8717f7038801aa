package tray

import (
	"github.com/ssotray/ssotray/app"
)

// Item is one entry of the tray menu as a model, so the menu for each
// state can be checked without a tray.
type Item struct {
	Label     string
	Disabled  bool
	Separator bool
	// Action says what the item does ("" for items that only inform); an
	// app's item opens Action.App.
	Action Action
}

// Action is what a menu item does.
type Action struct {
	Kind Kind
	App  string // the app's name, for OpenApp
}

// Kind is the kind of an Action.
type Kind int

const (
	None Kind = iota
	ShowWindow
	SignInAuthentik
	SignInNavidrome // the password form is in the window
	OpenApp
	SignOut
	Quit
)

var separator = Item{Separator: true}

// Menu is the tray menu for a state: methods are the enabled sign-in
// methods; the apps come with the status.
func Menu(st app.Status, methods []app.Method) []Item {
	show := Item{Label: "Show " + app.Name, Action: Action{Kind: ShowWindow}}
	var items []Item
	switch st.State {
	case app.SignedIn, app.Refreshing:
		items = append(items, Item{Label: st.Profile.SignedInAs(), Disabled: true}, separator)
		for _, a := range st.Apps {
			items = append(items, Item{Label: a.Name, Action: Action{Kind: OpenApp, App: a.Name}})
		}
		if len(st.Apps) > 0 {
			items = append(items, separator)
		}
		items = append(items, show, Item{Label: "Sign out", Action: Action{Kind: SignOut}})
	case app.SigningIn:
		items = append(items, Item{Label: "Signing in…", Disabled: true}, show)
	case app.Starting:
		items = append(items, Item{Label: app.StartingText, Disabled: true}, show)
	default:
		for _, m := range methods {
			switch m {
			case app.Authentik:
				items = append(items, Item{Label: app.Authentik.SignInLabel(), Action: Action{Kind: SignInAuthentik}})
			case app.Navidrome:
				// "…": the item asks for more (the password, in the window).
				items = append(items, Item{Label: app.Navidrome.SignInLabel() + "…", Action: Action{Kind: SignInNavidrome}})
			}
		}
		if len(items) > 0 {
			items = append(items, separator)
		}
		items = append(items, show)
	}
	return append(items, separator, Item{Label: "Quit", Action: Action{Kind: Quit}})
}

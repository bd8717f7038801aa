package ui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"

	"github.com/ssotray/ssotray/app"
)

// MenuItem is one entry of the tray menu as a model, so the menu for each
// state can be checked without a tray.
type MenuItem struct {
	Label     string
	Disabled  bool
	Separator bool
	// Action says what the item does: "show", "signin:authentik",
	// "signin:navidrome", "open:<app name>", "signout" or "quit"; "" for
	// items that only inform.
	Action string
}

// Tray menu actions (see MenuItem.Action).
const (
	actionShow            = "show"
	actionSignInAuthentik = "signin:authentik"
	actionSignInNavidrome = "signin:navidrome"
	actionOpenPrefix      = "open:"
	actionSignOut         = "signout"
	actionQuit            = "quit"
)

var separator = MenuItem{Separator: true}

// TrayMenu is the tray menu for a state: methods are the enabled sign-in
// methods and apps the apps the signed-in person may see. It always ends
// with Quit, so Fyne does not add one of its own.
func TrayMenu(st app.Status, methods []app.Method) []MenuItem {
	show := MenuItem{Label: "Show ssotray", Action: actionShow}
	var items []MenuItem
	switch st.State {
	case app.SignedIn, app.Refreshing:
		items = append(items, MenuItem{Label: "Signed in as " + st.Profile.DisplayName(), Disabled: true}, separator)
		for _, a := range st.Apps {
			items = append(items, MenuItem{Label: a.Name, Action: actionOpenPrefix + a.Name})
		}
		if len(st.Apps) > 0 {
			items = append(items, separator)
		}
		items = append(items, show, MenuItem{Label: "Sign out", Action: actionSignOut})
	case app.SigningIn:
		items = append(items, MenuItem{Label: "Signing in…", Disabled: true}, show)
	default:
		for _, m := range methods {
			switch m {
			case app.Authentik:
				items = append(items, MenuItem{Label: "Sign in with " + app.Authentik.Title(), Action: actionSignInAuthentik})
			case app.Navidrome:
				items = append(items, MenuItem{Label: "Sign in with " + app.Navidrome.Title() + "…", Action: actionSignInNavidrome})
			}
		}
		if len(items) > 0 {
			items = append(items, separator)
		}
		items = append(items, show)
	}
	return append(items, separator, MenuItem{Label: "Quit", Action: actionQuit})
}

// fyneItems turns the model into Fyne menu items that run u's actions.
// The last item is marked IsQuit: Fyne 2.7 appends a Quit of its own to a
// tray menu whose last item is not one, so marking ours keeps exactly one.
func (u *UI) fyneItems(items []MenuItem) []*fyne.MenuItem {
	out := make([]*fyne.MenuItem, 0, len(items))
	for _, it := range items {
		if it.Separator {
			out = append(out, fyne.NewMenuItemSeparator())
			continue
		}
		mi := &fyne.MenuItem{Label: it.Label, Disabled: it.Disabled}
		if it.Action != "" {
			action := it.Action
			mi.Action = func() { u.trayAction(action) }
		}
		if it.Action == actionQuit {
			mi.IsQuit = true
		}
		out = append(out, mi)
	}
	return out
}

// trayAction runs a menu action; Fyne calls it on the UI goroutine.
func (u *UI) trayAction(action string) {
	switch {
	case action == actionShow:
		u.Show()
	case action == actionSignInAuthentik:
		u.startSignIn(app.Authentik, "", "")
	case action == actionSignInNavidrome:
		// A password is needed: the form is in the window.
		u.Show()
		u.win.Canvas().Focus(u.signIn.username)
	case strings.HasPrefix(action, actionOpenPrefix):
		u.openApp(strings.TrimPrefix(action, actionOpenPrefix), true)
	case action == actionSignOut:
		u.signOut()
	case action == actionQuit:
		u.app.Quit()
	}
}

// refreshTray rebuilds the tray menu and sets the icon for the state.
func (u *UI) refreshTray() {
	if u.desk == nil || !u.trayOn {
		return
	}
	st := u.status
	if u.pending && st.State == app.SignedOut {
		st.State = app.SigningIn
	}
	if items := TrayMenu(st, u.methods); u.trayItems == nil || !slices.Equal(items, u.trayItems) {
		u.trayItems = items
		// One menu for the app's life, its items replaced: Fyne re-applies
		// the menu it was first given once the tray is ready, and that must
		// be the current one, not a stale copy.
		if u.trayMenu == nil {
			u.trayMenu = fyne.NewMenu(u.opts.Title)
		}
		u.trayMenu.Items = u.fyneItems(items)
		u.desk.SetSystemTrayMenu(u.trayMenu)
	}
	icon := u.opts.TraySignedOut
	if isSignedIn(st) {
		icon = u.opts.TraySignedIn
	}
	if icon != nil && icon != u.trayIcon {
		u.trayIcon = icon
		u.desk.SetSystemTrayIcon(icon)
	}
}

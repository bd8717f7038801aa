package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssotray/ssotray/app"
)

// signInScreen is shown while nobody is signed in.
type signInScreen struct {
	root      fyne.CanvasObject
	box       *fyne.Container
	notice    *noticeLine
	retry     *keyButton // sign out again when the keyring kept the session
	retryBox  *fyne.Container
	authentik *keyButton    // nil when Authentik is not enabled
	server    *widget.Label // the Navidrome server; nil when not enabled
	username  *widget.Entry
	password  *widget.Entry
	navidrome *keyButton // nil when Navidrome is not enabled
}

func newSignInScreen(u *UI, navidromeServer string) *signInScreen {
	s := &signInScreen{notice: newNoticeLine(widget.WarningImportance)}
	// The entries exist even with Navidrome off, so code needs no nil checks.
	s.username = widget.NewEntry()
	s.password = widget.NewPasswordEntry()
	if u.opts.Kiosk {
		// No eye to show the password: the one typed, and left, by the
		// last person is not for the next one to read.
		s.password.ActionItem = canvas.NewRectangle(color.Transparent)
	}

	s.retry = newKeyButton("Sign out again", theme.LogoutIcon(), u.signOut)
	s.retryBox = container.NewCenter(s.retry)
	s.retryBox.Hide()
	top := append(u.appHeader(), heading("Sign in to reach your apps"), s.notice.root, s.retryBox)

	var methods []fyne.CanvasObject
	for _, m := range u.methods {
		if len(methods) > 0 {
			or := widget.NewLabelWithStyle("or", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
			line := func() fyne.CanvasObject {
				return container.NewVBox(layout.NewSpacer(), widget.NewSeparator(), layout.NewSpacer())
			}
			methods = append(methods, container.NewGridWithColumns(3, line(), or, line()))
		}
		switch m {
		case app.Authentik:
			s.authentik = newKeyButton(app.Authentik.SignInLabel(), theme.LoginIcon(), func() {
				u.startSignIn(app.Authentik, "", "")
			})
			s.authentik.Importance = widget.HighImportance
			methods = append(methods, s.authentik,
				hint("Opens your browser to sign in with your "+app.Authentik.Title()+" account."))
		case app.Navidrome:
			where := "your " + app.Navidrome.Title() + " server"
			if navidromeServer != "" {
				where = navidromeServer
			}
			s.server = widget.NewLabel(app.Navidrome.Title() + " at " + where)
			s.server.Wrapping = fyne.TextWrapBreak
			s.server.Alignment = fyne.TextAlignCenter
			s.username.OnSubmitted = func(string) { u.win.Canvas().Focus(s.password) }
			s.password.OnSubmitted = func(string) { u.submitNavidrome() }
			s.navidrome = newKeyButton(app.Navidrome.SignInLabel(), theme.LoginIcon(), u.submitNavidrome)
			if len(u.methods) == 1 {
				s.navidrome.Importance = widget.HighImportance
			}
			form := widget.NewForm(
				widget.NewFormItem("Username", s.username),
				widget.NewFormItem("Password", s.password),
			)
			methods = append(methods, s.server, form, s.navidrome)
		}
	}
	if len(methods) == 0 {
		l := widget.NewLabel("No sign-in method is enabled. Set authentik.enabled or navidrome.enabled to true in the configuration file, then start ssotray again.")
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.DangerImportance
		methods = append(methods, l)
	}

	// Centred as one group; the gap sets the methods apart from the heading.
	gap := canvas.NewRectangle(color.Transparent)
	gap.SetMinSize(fyne.NewSize(0, 2*theme.Padding()))
	objs := append([]fyne.CanvasObject{layout.NewSpacer()}, top...)
	objs = append(append(append(objs, gap), methods...), layout.NewSpacer())
	s.box = container.NewVBox(objs...) // one layout: Add lays out each time
	s.root = container.NewVScroll(newCentred(signInWidth, container.NewPadded(s.box)))
	return s
}

// clear empties what was typed in the form.
func (s *signInScreen) clear() {
	s.username.SetText("")
	s.password.SetText("")
}

func (s *signInScreen) update(notice string, offerRetry bool) {
	changed := s.notice.set(notice)
	if offerRetry != s.retryBox.Visible() {
		changed = true
		if offerRetry {
			s.retryBox.Show()
		} else {
			s.retryBox.Hide()
		}
	}
	// Only a change needs another layout: the first time, before the
	// window shows, it was most of the work of building the screen.
	if changed {
		relayout(s.box, s.root)
	}
}

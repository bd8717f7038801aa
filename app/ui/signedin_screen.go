package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/launch"
)

// maxAppsWithoutSearch is how many apps fit without a search box.
const maxAppsWithoutSearch = 8

// signedInScreen shows who is signed in and their apps.
type signedInScreen struct {
	u    *UI
	root fyne.CanvasObject
	body *fyne.Container

	avatar   *avatar
	name     *widget.Label
	username *widget.Label
	email    *widget.Label
	subject  *widget.Label // nil in a kiosk: an opaque id the next person has no business reading
	method   *widget.Label
	session  *widget.Label // when to sign in again
	form     *widget.Form
	groups   *fyne.Container // chips
	notice   *noticeLine

	search    *widget.Entry
	look      tileLook
	grid      *fyne.Container
	empty     *widget.Label
	launchErr *noticeLine
	signOut   *keyButton

	// The kiosk's warning before an idle sign-out.
	countdown  *widget.Label
	stillHere  *keyButton
	countdownB *fyne.Container

	subjectShown string   // whose profile is shown
	chipsShown   []string // the groups (or the role) the chips show
	apps         []launch.App
	tiles        []*appTile
}

func newSignedInScreen(u *UI) *signedInScreen {
	s := &signedInScreen{
		u:         u,
		avatar:    newAvatar(),
		name:      widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		username:  detail(),
		email:     detail(),
		method:    detail(),
		session:   detail(),
		groups:    container.New(layout.NewRowWrapLayout()),
		notice:    newNoticeLine(widget.WarningImportance),
		search:    widget.NewEntry(),
		look:      windowTiles,
		empty:     widget.NewLabel(""),
		launchErr: newNoticeLine(widget.DangerImportance),
	}
	if u.opts.Kiosk {
		s.look = kioskTiles
	}
	s.grid = container.NewGridWrap(s.look.cell)
	s.name.SizeName = theme.SizeNameSubHeadingText
	s.name.Truncation = fyne.TextTruncateEllipsis
	s.search.SetPlaceHolder("Search apps")
	s.search.OnChanged = func(string) {
		u.noteInput()
		s.filter()
	}
	s.search.Hide()
	s.empty.Wrapping = fyne.TextWrapWord
	s.empty.Importance = widget.LowImportance
	s.empty.Hide()
	s.form = widget.NewForm(
		widget.NewFormItem("Username", s.username),
		widget.NewFormItem("Email", s.email),
	)
	if !u.opts.Kiosk {
		s.subject = detail()
		s.subject.Selectable = true
		s.form.Append("Subject", s.subject)
	}
	s.form.Append("Signed in with", s.method)
	s.form.Append("Session", s.session)
	// Padded like the labels above, so the row lines up with its title.
	s.form.Append("Groups", container.New(layout.NewCustomPaddedLayout(
		theme.InnerPadding(), theme.InnerPadding(), theme.InnerPadding(), 0), s.groups))
	s.signOut = newKeyButton("Sign out", theme.LogoutIcon(), u.signOut)
	s.signOut.onInput = u.noteInput

	header := container.NewBorder(nil, nil, container.NewCenter(s.avatar), nil,
		container.NewVBox(layout.NewSpacer(), s.name, layout.NewSpacer()))
	appsTitle := widget.NewLabelWithStyle("Your apps", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.body = container.NewVBox(
		header,
		s.notice.root,
		s.form,
		widget.NewSeparator(),
		appsTitle,
		s.search,
		s.grid,
		s.empty,
	)
	s.countdown = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.countdown.Importance = widget.WarningImportance
	s.countdown.Wrapping = fyne.TextWrapWord
	s.stillHere = newKeyButton("I'm still here", theme.ConfirmIcon(), u.stillHere)
	s.stillHere.Importance = widget.HighImportance
	s.stillHere.onInput = u.noteInput
	s.countdownB = container.NewBorder(nil, nil, nil, s.stillHere, s.countdown)
	s.countdownB.Hide()
	bottom := container.NewVBox(s.countdownB, s.launchErr.root, container.NewHBox(layout.NewSpacer(), s.signOut))
	// The scroll spans the whole window, so the wheel works anywhere on a
	// full screen; what it scrolls is centred.
	scroll := container.NewVScroll(newCentred(signedInWidth, container.NewPadded(s.body)))
	scroll.OnScrolled = func(fyne.Position) { u.noteInput() } // the wheel never reaches inputWatch
	bar := newCentred(signedInWidth, container.NewPadded(bottom))
	s.root = newInputWatch(container.NewBorder(nil, bar, nil, nil, scroll), u.noteInput)
	return s
}

// detail is a value line of the profile form.
func detail() *widget.Label {
	l := widget.NewLabel("")
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// orDash shows an empty value as a dash.
func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func (s *signedInScreen) update(st app.Status) {
	p := st.Profile
	if p.Subject != s.subjectShown {
		// Someone else: nothing of the previous person stays on screen.
		s.subjectShown = p.Subject
		s.search.SetText("")
		s.setLaunchError("")
	}
	s.avatar.SetName(cmp.Or(strings.TrimSpace(p.Name), p.DisplayName())) // initials of the name
	s.avatar.SetPicture(st.Avatar)
	s.name.SetText(p.DisplayName())
	s.username.SetText(orDash(p.Username))
	s.email.SetText(orDash(p.Email))
	if s.subject != nil {
		s.subject.SetText(orDash(p.Subject))
	}
	s.method.SetText(orDash(st.Method.Title()))
	line := st.SessionLine(s.u.opts.Now())
	if line == "" {
		line = "—"
	}
	s.session.SetText(line)

	// Navidrome has no groups: its role takes their place.
	label, names := "Groups", p.Groups
	if st.Method == app.Navidrome {
		label, names = "Role", nil
		if p.Role != "" {
			names = []string{p.Role}
		}
	}
	// Built again only when they change: a kiosk's countdown brings a new
	// status every second.
	if groupsItem := s.form.Items[len(s.form.Items)-1]; label != groupsItem.Text || !slices.Equal(names, s.chipsShown) || len(s.groups.Objects) == 0 {
		groupsItem.Text = label
		s.chipsShown = slices.Clone(names)
		var chips []fyne.CanvasObject
		for _, n := range names {
			chips = append(chips, newChip(n))
		}
		if len(chips) == 0 {
			chips = append(chips, widget.NewLabel("—")) // a widget: it follows a change of theme
		}
		s.groups.Objects = chips
		s.groups.Refresh()
	}
	s.form.Refresh()

	s.notice.set(st.Notice)
	s.setApps(st.Apps)
}

// setCountdown shows how long until an idle sign-out; 0 hides it.
func (s *signedInScreen) setCountdown(left time.Duration) {
	if left <= 0 {
		s.countdownB.Hide()
		return
	}
	s.countdown.SetText(fmt.Sprintf("Nobody seems to be here: signing out in %d s.", int(left.Round(time.Second)/time.Second)))
	s.countdownB.Show()
}

func (s *signedInScreen) setLaunchError(text string) {
	s.launchErr.set(text)
	relayout(s.root)
}

// setApps rebuilds the tiles when the list changed.
func (s *signedInScreen) setApps(apps []launch.App) {
	if sameApps(s.apps, apps) && s.tiles != nil {
		s.filter()
		return
	}
	s.apps = apps
	s.tiles = make([]*appTile, len(apps))
	for i, a := range apps {
		name := a.Name
		s.tiles[i] = newAppTile(a, s.look, func() { s.u.openApp(name) }, s.u.noteInput)
	}
	if len(s.tiles) > 0 {
		cell := s.look.cell.Max(s.tiles[0].MinSize())
		s.grid.Layout = layout.NewGridWrapLayout(cell)
	}
	if len(apps) > maxAppsWithoutSearch {
		s.search.Show()
	} else {
		s.search.SetText("")
		s.search.Hide()
	}
	s.filter()
}

func sameApps(a, b []launch.App) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Description != b[i].Description || a[i].URL != b[i].URL {
			return false
		}
	}
	return true
}

// filter shows the tiles that match the search box.
func (s *signedInScreen) filter() {
	q := strings.ToLower(strings.TrimSpace(s.search.Text))
	var shown []fyne.CanvasObject
	for i, a := range s.apps {
		if q == "" || strings.Contains(strings.ToLower(a.Name), q) || strings.Contains(strings.ToLower(a.Description), q) {
			shown = append(shown, s.tiles[i])
		}
	}
	s.grid.Objects = shown
	s.grid.Refresh()
	switch {
	case len(s.apps) == 0:
		s.empty.SetText("No apps are available to you.")
		s.empty.Show()
	case len(shown) == 0:
		s.empty.SetText(fmt.Sprintf("No app matches “%s”.", strings.TrimSpace(s.search.Text)))
		s.empty.Show()
	default:
		s.empty.Hide()
	}
	// An empty grid still takes a row of tiles' height: a gap above the line
	// that says why it is empty.
	if len(shown) == 0 {
		s.grid.Hide()
	} else {
		s.grid.Show()
	}
	relayout(s.body, s.root)
}

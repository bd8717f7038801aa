package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/doctor"
	"github.com/ssotray/ssotray/app/setup"
)

// Setup is what the first-run window needs: testing what was typed against
// the servers, and saving it as the configuration file. setup.Service is
// the real one.
type Setup interface {
	// Test checks in against the servers; it returns when ctx ends at the latest.
	Test(ctx context.Context, in setup.Input) []doctor.Finding
	// Save writes the configuration and says where.
	Save(in setup.Input) (path string, err error)
}

var _ Setup = setup.Service{}

// setupWindowSize is the size the setup window opens with: taller than the
// main window, for the form and the findings under it.
var setupWindowSize = fyne.NewSize(520, 720)

// setupTestTimeout bounds one "Test connection".
const setupTestTimeout = 30 * time.Second

// SetupWindow is the first-run window: a form for where Authentik (and
// Navidrome) are, "Test connection" and "Save and continue". Its methods are
// called on the UI goroutine.
type SetupWindow struct {
	app  fyne.App
	s    Setup
	opts Options
	done func(path string)
	win  fyne.Window

	server, slug, clientID, navidrome *widget.Entry
	test, save                        *keyButton
	busyBox                           *fyne.Container
	busyLabel                         *widget.Label
	progress                          *widget.ProgressBarInfinite
	saveErr                           *noticeLine
	summary                           *widget.Label
	results                           *fyne.Container // summary and one row a finding
	top, root                         *fyne.Container
	scroll                            *container.Scroll
	rows                              []*findingRow

	// The fields below belong to the UI goroutine.
	busy, saved, closed bool

	mu     sync.Mutex
	cancel context.CancelFunc // of the running test

	bg sync.WaitGroup // goroutines calling s; tests wait on it
}

// NewSetup builds the setup window (not shown yet). done is called on the
// UI goroutine with the path of the configuration once it is saved; it is
// the caller's to close this window then.
func NewSetup(a fyne.App, s Setup, opts Options, done func(path string)) *SetupWindow {
	if opts.Title == "" {
		opts.Title = app.Name
	}
	w := &SetupWindow{app: a, s: s, opts: opts, done: done}
	w.win = a.NewWindow("Set up " + opts.Title)
	if opts.Icon != nil {
		w.win.SetIcon(opts.Icon)
	}
	w.win.Resize(setupWindowSize)
	w.win.SetContent(w.build())
	w.win.SetOnClosed(w.Close)
	return w
}

func (w *SetupWindow) build() fyne.CanvasObject {
	w.server = widget.NewEntry()
	w.server.SetPlaceHolder("https://auth.example.com")
	def := config.Default().Authentik
	w.slug = widget.NewEntry()
	w.slug.SetText(def.AppSlug)
	w.clientID = widget.NewEntry()
	w.clientID.SetText(def.ClientID)
	w.navidrome = widget.NewEntry()
	w.navidrome.SetPlaceHolder("https://music.example.com")
	// Enter moves on to the next field; in the last one it tests.
	w.server.OnSubmitted = func(string) { w.win.Canvas().Focus(w.slug) }
	w.slug.OnSubmitted = func(string) { w.win.Canvas().Focus(w.clientID) }
	w.clientID.OnSubmitted = func(string) { w.win.Canvas().Focus(w.navidrome) }
	w.navidrome.OnSubmitted = func(string) { w.runTest() }

	item := func(text string, e *widget.Entry, hint string) *widget.FormItem {
		i := widget.NewFormItem(text, e)
		i.HintText = hint
		return i
	}
	form := widget.NewForm(
		item(setup.FieldServerURL, w.server, "The address you open Authentik at."),
		item(setup.FieldSlug, w.slug, "The Slug of the application in Authentik."),
		item(setup.FieldClientID, w.clientID, "The Client ID of its OAuth2/OpenID provider."),
		item(setup.FieldNavidromeURL+" (optional)", w.navidrome, "Leave it empty to sign in with Authentik only."),
	)

	w.test = newKeyButton("Test connection", theme.SearchIcon(), w.runTest)
	w.save = newKeyButton("Save and continue", theme.DocumentSaveIcon(), w.runSave)
	w.save.Importance = widget.HighImportance

	w.progress = widget.NewProgressBarInfinite()
	w.progress.Stop()
	w.busyLabel = widget.NewLabel("")
	w.busyBox = container.NewVBox(w.busyLabel, w.progress)
	w.busyBox.Hide()
	w.saveErr = newNoticeLine(widget.DangerImportance)

	title := widget.NewLabelWithStyle("Set up "+w.opts.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	intro := widget.NewLabel("No configuration yet: tell " + w.opts.Title + " where your Authentik is.")
	intro.Wrapping = fyne.TextWrapWord
	var header fyne.CanvasObject = container.NewVBox(title, intro)
	if w.opts.Icon != nil {
		img := canvas.NewImageFromResource(w.opts.Icon)
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSquareSize(48))
		header = container.NewBorder(nil, nil, container.NewCenter(img), nil, header)
	}

	w.top = container.NewVBox(
		header,
		form,
		container.NewHBox(layout.NewSpacer(), w.test, w.save),
		w.busyBox,
		w.saveErr.root,
	)
	w.summary = widget.NewLabel("")
	w.summary.Wrapping = fyne.TextWrapWord
	w.summary.TextStyle.Bold = true
	w.summary.Hide()
	w.results = container.NewVBox(w.summary)
	w.scroll = container.NewVScroll(w.results)
	w.root = container.NewBorder(w.top, nil, nil, nil, w.scroll)
	return container.NewPadded(w.root)
}

// Window is the setup window.
func (w *SetupWindow) Window() fyne.Window { return w.win }

// Show shows the window with the cursor in the first field.
func (w *SetupWindow) Show() {
	w.win.Show()
	w.win.RequestFocus()
	if !w.busy && !w.saved {
		w.win.Canvas().Focus(w.server)
	}
}

// Close cancels a running test; the window itself is closed by its owner.
func (w *SetupWindow) Close() {
	if w.closed {
		return
	}
	w.closed = true
	w.mu.Lock()
	if w.cancel != nil {
		w.cancel()
	}
	w.mu.Unlock()
	w.progress.Stop()
}

// input is what the form holds now.
func (w *SetupWindow) input() setup.Input {
	return setup.Input{ServerURL: w.server.Text, Slug: w.slug.Text, ClientID: w.clientID.Text, NavidromeURL: w.navidrome.Text}
}

// goSetup runs f on a goroutine of its own (never the UI's).
func (w *SetupWindow) goSetup(f func()) {
	w.bg.Add(1)
	go func() {
		defer w.bg.Done()
		f()
	}()
}

// setBusy shows what runs and keeps the buttons from starting more; ""
// ends it.
func (w *SetupWindow) setBusy(what string) {
	w.busy = what != ""
	w.busyLabel.SetText(what)
	if w.busy {
		w.test.Disable()
		w.save.Disable()
		w.busyBox.Show()
		w.progress.Start()
	} else {
		w.test.Enable()
		if !w.saved {
			w.save.Enable()
		}
		w.progress.Stop()
		w.busyBox.Hide()
	}
	relayout(w.top, w.root)
}

// runTest runs "Test connection".
func (w *SetupWindow) runTest() {
	if w.busy || w.closed {
		return
	}
	in := w.input()
	ctx, cancel := context.WithTimeout(context.Background(), setupTestTimeout)
	w.mu.Lock()
	w.cancel = cancel
	w.mu.Unlock()
	w.saveErr.set("")
	w.setBusy("Testing the connection to " + strings.TrimSpace(in.ServerURL) + "…")
	if strings.TrimSpace(in.ServerURL) == "" {
		w.busyLabel.SetText("Testing the connection…")
	}
	w.goSetup(func() {
		fs := w.s.Test(ctx, in)
		cancel()
		fyne.Do(func() {
			w.mu.Lock()
			w.cancel = nil
			w.mu.Unlock()
			if w.closed {
				return
			}
			w.setBusy("")
			w.showFindings(fs)
		})
	})
}

// runSave runs "Save and continue".
func (w *SetupWindow) runSave() {
	if w.busy || w.closed || w.saved {
		return
	}
	in := w.input()
	w.saveErr.set("")
	w.setBusy("Saving the configuration…")
	w.goSetup(func() {
		path, err := w.s.Save(in)
		fyne.Do(func() {
			if w.closed {
				return
			}
			if err != nil {
				w.setBusy("")
				w.showSaveError(err)
				return
			}
			w.saved = true
			w.setBusy("")
			if w.done != nil {
				w.done(path)
			}
		})
	})
}

// showSaveError says why nothing was saved, and puts the cursor in the
// field to correct.
func (w *SetupWindow) showSaveError(err error) {
	msg := "The configuration was not saved: " + err.Error()
	var ie *setup.InputError
	if errors.As(err, &ie) && ie.Field != "" {
		msg += fmt.Sprintf("\nCorrect the “%s” field and save again.", ie.Field)
		if e := w.entryFor(ie.Field); e != nil {
			w.win.Canvas().Focus(e)
		}
	}
	w.saveErr.set(msg)
	relayout(w.top, w.root)
}

func (w *SetupWindow) entryFor(field string) *widget.Entry {
	switch field {
	case setup.FieldServerURL:
		return w.server
	case setup.FieldSlug:
		return w.slug
	case setup.FieldClientID:
		return w.clientID
	case setup.FieldNavidromeURL:
		return w.navidrome
	}
	return nil
}

// showFindings lists what the test found, a summary line first.
func (w *SetupWindow) showFindings(fs []doctor.Finding) {
	var fails, warns int
	for _, f := range fs {
		switch f.Level {
		case doctor.Fail:
			fails++
		case doctor.Warn:
			warns++
		}
	}
	switch {
	case fails > 0:
		w.summary.SetText(plural(fails, "problem") + " found: fix what is marked FAIL, then test again.")
		w.summary.Importance = widget.DangerImportance
	case warns > 0:
		w.summary.SetText("It works, with " + plural(warns, "warning") + ". Register the redirect URIs below in Authentik, then save.")
		w.summary.Importance = widget.WarningImportance
	default:
		w.summary.SetText("Everything works. Register the redirect URIs below in Authentik, then save.")
		w.summary.Importance = widget.SuccessImportance
	}
	w.summary.Show()
	w.rows = w.rows[:0]
	objs := []fyne.CanvasObject{w.summary}
	for _, f := range ordered(fs) {
		r := newFindingRow(w.app, f)
		w.rows = append(w.rows, r)
		objs = append(objs, widget.NewSeparator(), r.root)
	}
	w.results.Objects = objs
	// Wrapped labels know their height once they have a width: lay the
	// list out again now that it has one.
	relayout(w.results, w.scroll)
	w.scroll.ScrollToTop()
}

// ordered puts what needs doing first, so it shows without scrolling:
// failures, warnings, the redirect URIs to register, then the rest.
func ordered(fs []doctor.Finding) []doctor.Finding {
	rank := func(f doctor.Finding) int {
		switch {
		case f.Level == doctor.Fail:
			return 0
		case f.Level == doctor.Warn:
			return 1
		case f.Check == doctor.CheckRedirectURIs:
			return 2
		}
		return 3
	}
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b doctor.Finding) int { return rank(a) - rank(b) })
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// waitIdle waits until no goroutine started here is calling the Setup.
func (w *SetupWindow) waitIdle() { w.bg.Wait() }

// ShowError shows a problem that came after saving (such as a saved
// configuration that cannot be used) in the window.
func (w *SetupWindow) ShowError(err error) {
	w.saveErr.set(err.Error())
	relayout(w.top, w.root)
}

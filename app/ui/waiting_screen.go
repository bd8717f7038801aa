package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssotray/ssotray/app"
)

// waitingScreen is shown while a sign-in runs.
type waitingScreen struct {
	root       fyne.CanvasObject
	message    *widget.Label
	progress   *widget.ProgressBarInfinite
	browserErr *noticeLine
	urlBox     *fyne.Container
	url        *widget.Label
	copyURL    *keyButton
	cancel     *keyButton
}

func newWaitingScreen(u *UI) *waitingScreen {
	w := &waitingScreen{
		message:    heading(""),
		progress:   widget.NewProgressBarInfinite(),
		browserErr: newNoticeLine(widget.WarningImportance),
	}
	w.message.Wrapping = fyne.TextWrapWord
	w.progress.Stop()
	w.url = widget.NewLabel("")
	w.url.Selectable = true
	w.url.Wrapping = fyne.TextWrapBreak
	w.url.Alignment = fyne.TextAlignCenter
	w.copyURL = newKeyButton("Copy address", theme.ContentCopyIcon(), func() {
		u.win.Clipboard().SetContent(w.url.Text)
	})
	w.urlBox = container.NewVBox(
		hint("If your browser did not open, open this address in it by hand:"),
		w.url,
		container.NewCenter(w.copyURL),
	)
	w.urlBox.Hide()
	w.cancel = newKeyButton("Cancel", theme.CancelIcon(), u.cancelSignIn)
	box := container.NewVBox(
		layout.NewSpacer(),
		w.message,
		w.progress,
		w.browserErr.root,
		w.urlBox,
		container.NewCenter(w.cancel),
		layout.NewSpacer(),
	)
	w.root = newCentred(signInWidth, container.NewPadded(box))
	return w
}

func (w *waitingScreen) update(m app.Method, url, browserErr string) {
	if m == app.Navidrome {
		w.message.SetText("Signing in to " + app.Navidrome.Title() + "…")
		url, browserErr = "", "" // no browser involved
	} else {
		w.message.SetText("Waiting for you to finish signing in in your browser…")
	}
	if browserErr != "" {
		browserErr = "Your browser could not be opened: " + browserErr
	}
	w.browserErr.set(browserErr)
	w.url.SetText(url)
	if url == "" {
		w.urlBox.Hide()
	} else {
		w.urlBox.Show()
	}
	relayout(w.root)
}

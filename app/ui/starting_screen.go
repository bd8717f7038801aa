package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"

	"github.com/ssotray/ssotray/app"
)

// newStartingScreen is shown until the core has looked for a stored
// session: the sign-in screen would offer a signed-in person to sign in.
// It is the first frame of most starts, so it holds little.
func newStartingScreen(u *UI) fyne.CanvasObject {
	objs := append([]fyne.CanvasObject{layout.NewSpacer()}, u.appHeader()...)
	objs = append(objs, hint(app.StartingText), layout.NewSpacer())
	return newCentred(signInWidth, container.NewPadded(container.NewVBox(objs...)))
}

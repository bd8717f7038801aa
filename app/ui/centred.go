package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// Content widths: on the kiosk's full screen, a line of text or a button
// stretched over 1280 pixels is hard to read and looks broken. Both are
// wider than the 480-pixel window, which they leave as it is.
const (
	signInWidth   = 520 // the sign-in and waiting screens
	signedInWidth = 960 // the profile and the launcher
)

// centred lays every object out at most maxWidth wide, in the middle of
// the space, at its full height.
type centred struct{ maxWidth float32 }

var _ fyne.Layout = centred{}

// newCentred puts objs in a container that is centred, at most maxWidth wide.
func newCentred(maxWidth float32, objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(centred{maxWidth}, objs...)
}

func (c centred) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(size.Width, c.maxWidth)
	for _, o := range objs {
		o.Resize(fyne.NewSize(w, size.Height))
		o.Move(fyne.NewPos((size.Width-w)/2, 0))
	}
}

func (c centred) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		if o.Visible() {
			s = s.Max(o.MinSize())
		}
	}
	return s
}

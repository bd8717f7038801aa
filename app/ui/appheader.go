package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// appHeader is the application's icon (when there is one) and name, at the
// top of the screens shown before sign-in.
func (u *UI) appHeader() []fyne.CanvasObject {
	var objs []fyne.CanvasObject
	if u.opts.Icon != nil {
		img := canvas.NewImageFromResource(u.opts.Icon)
		img.FillMode = canvas.ImageFillContain
		// Scaled as it is drawn (OpenGL): Fyne's smooth scaling runs on the
		// CPU before the first frame, and the picture is at most twice the
		// size it is shown at (assets.Icon192).
		img.ScaleMode = canvas.ImageScaleFastest
		img.SetMinSize(fyne.NewSize(96, 96))
		objs = append(objs, container.NewCenter(img))
	}
	name := widget.NewLabelWithStyle(u.opts.Title, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	name.SizeName = theme.SizeNameHeadingText
	return append(objs, name)
}

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// chip is a small rounded label, for a group or a role.
type chip struct {
	widget.BaseWidget
	text string
}

func newChip(text string) *chip {
	c := &chip{text: text}
	c.ExtendBaseWidget(c)
	return c
}

func (c *chip) CreateRenderer() fyne.WidgetRenderer {
	r := &chipRenderer{c: c, bg: &canvas.Rectangle{}, text: canvas.NewText(c.text, nil)}
	r.Refresh()
	return r
}

type chipRenderer struct {
	c    *chip
	bg   *canvas.Rectangle
	text *canvas.Text
}

func (r *chipRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	r.bg.CornerRadius = size.Height / 2
	ts := r.text.MinSize()
	r.text.Resize(ts)
	r.text.Move(fyne.NewPos((size.Width-ts.Width)/2, (size.Height-ts.Height)/2))
}

func (r *chipRenderer) MinSize() fyne.Size {
	pad := sizeOf(r.c, theme.SizeNameInnerPadding)
	return r.text.MinSize().AddWidthHeight(2*pad, pad/2)
}

func (r *chipRenderer) Refresh() {
	r.bg.FillColor = colorOf(r.c, theme.ColorNameSelection)
	r.bg.StrokeColor = colorOf(r.c, theme.ColorNamePrimary)
	r.bg.StrokeWidth = 1
	r.text.Text = r.c.text
	r.text.Color = colorOf(r.c, theme.ColorNameForeground)
	r.text.TextSize = sizeOf(r.c, theme.SizeNameCaptionText)
	r.Layout(r.c.Size())
	r.bg.Refresh()
	r.text.Refresh()
}

func (r *chipRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.bg, r.text} }
func (r *chipRenderer) Destroy()                     {}

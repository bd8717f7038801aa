package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

// hint is a small line of help text.
func hint(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Alignment = fyne.TextAlignCenter
	l.SizeName = theme.SizeNameCaptionText
	return l
}

// relayout lays objects out again after children were shown, hidden or
// replaced: Fyne does not do that by itself for a container whose size
// stays the same. Inner objects come first.
func relayout(objs ...fyne.CanvasObject) {
	for _, o := range objs {
		o.Refresh()
	}
}

// pictureResource names a picture by its content: Fyne caches drawn SVGs by
// resource name, so a shared name would show one person's picture for another's.
func pictureResource(kind string, data []byte) fyne.Resource {
	sum := sha256.Sum256(data)
	return fyne.NewStaticResource(kind+"-"+hex.EncodeToString(sum[:8]), data)
}

// colorOf looks a color up in w's theme.
func colorOf(w fyne.Widget, name fyne.ThemeColorName) color.Color {
	return theme.ColorForWidget(name, w)
}

func sizeOf(w fyne.Widget, name fyne.ThemeSizeName) float32 {
	return theme.SizeForWidget(name, w)
}

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// noticeLine is a warning icon and a wrapped line of text, hidden while empty.
type noticeLine struct {
	label *widget.Label
	root  *fyne.Container
}

func newNoticeLine(importance widget.Importance) *noticeLine {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Importance = importance
	icon := widget.NewIcon(theme.WarningIcon())
	if importance == widget.DangerImportance {
		icon.SetResource(theme.ErrorIcon())
	}
	n := &noticeLine{label: l, root: container.NewBorder(nil, nil, container.NewCenter(icon), nil, l)}
	n.root.Hide()
	return n
}

// set shows text (an empty one hides the line) and tells whether it changed.
func (n *noticeLine) set(text string) (changed bool) {
	if text == n.label.Text {
		return false
	}
	n.label.SetText(text)
	if text == "" {
		n.root.Hide()
	} else {
		n.root.Show()
	}
	return true
}

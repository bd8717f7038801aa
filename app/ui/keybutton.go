package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// keyButton is a button that Enter activates too, not only Space: kiosks
// often have a keyboard and no mouse, and Enter is what people press.
type keyButton struct {
	widget.Button
	onInput func() // any key or pointer movement on it
}

func newKeyButton(label string, icon fyne.Resource, tapped func()) *keyButton {
	b := &keyButton{onInput: func() {}}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// TypedKey activates the button on Enter and Return as well as Space.
func (b *keyButton) TypedKey(ev *fyne.KeyEvent) {
	b.onInput()
	if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
		if !b.Disabled() {
			b.Tapped(nil)
		}
		return
	}
	b.Button.TypedKey(ev)
}

func (b *keyButton) MouseIn(ev *desktop.MouseEvent) {
	b.onInput()
	b.Button.MouseIn(ev)
}

func (b *keyButton) MouseMoved(ev *desktop.MouseEvent) {
	b.onInput()
	b.Button.MouseMoved(ev)
}

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// inputWatch reports pointer movement over content where no control of its
// own takes it: the kiosk's last-resort idle source is input in the window.
type inputWatch struct {
	widget.BaseWidget
	content fyne.CanvasObject
	onInput func()
}

var _ desktop.Hoverable = (*inputWatch)(nil)

func newInputWatch(content fyne.CanvasObject, onInput func()) *inputWatch {
	w := &inputWatch{content: content, onInput: onInput}
	w.ExtendBaseWidget(w)
	return w
}

func (w *inputWatch) MouseIn(*desktop.MouseEvent)    { w.onInput() }
func (w *inputWatch) MouseMoved(*desktop.MouseEvent) { w.onInput() }
func (w *inputWatch) MouseOut()                      {}

func (w *inputWatch) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(w.content)
}

// Command barewindow is the baseline of `make bench`: the least a Fyne
// program does to show a window, so that ssotray's start-up, memory and size
// are compared with what the toolkit costs anyway.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	// An ID as ssotray has one: without it Fyne keeps no preferences file,
	// and the baseline would skip work that any real app does at start.
	a := app.NewWithID("io.github.ssotray.bench.barewindow")
	w := a.NewWindow("barewindow")
	w.SetContent(widget.NewLabel("Hello from a bare Fyne window"))
	// The size of ssotray's window (app/ui windowSize): a first frame costs
	// in proportion to its pixels.
	w.Resize(fyne.NewSize(480, 640))
	w.ShowAndRun()
}

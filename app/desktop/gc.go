package desktop

import (
	"runtime/debug"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// collectLessUntilShown raises the garbage collector's GOGC to 200, unless
// it is higher already (or off), and returns the func that puts it back:
// start-up allocates a lot at once (fonts above all), and on a desktop's
// few cores the collector's work would delay the first frame. Calling the
// func again does no harm.
func collectLessUntilShown() (restore func()) {
	const startGC = 200
	prev := debug.SetGCPercent(startGC)
	if prev < 0 || prev > startGC {
		debug.SetGCPercent(prev)
	}
	return func() { debug.SetGCPercent(prev) }
}

// warmSystemFonts builds Fyne's index of the system's fonts on another core
// while the UI goroutine sets up the window: every text style's first
// measuring looks a font for the language up in it, and building it is
// much of the work before the first frame. It measures the monospace
// style, which the window does not draw at start: each style has font
// faces of its own, whose glyph caches are not safe for two goroutines,
// while the index is shared and is.
func warmSystemFonts() {
	fyne.MeasureText("", theme.TextSize(), fyne.TextStyle{Monospace: true})
}

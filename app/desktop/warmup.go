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

// warmFonts loads the fonts of the first screen on another core while the
// UI goroutine sets up the window. Fyne loads a text style's fonts (the
// theme's, its emoji font and a system font for the language) the first time
// text in that style is measured, which is most of the work before the first
// frame. The sign-in screen measures its bold headings and buttons first, so
// this takes the regular style: by the time the UI goroutine gets to it, it
// is loaded. Fyne's font caches are safe for concurrent use; should both
// goroutines load the same style, the second copy is merely wasted.
func warmFonts() {
	fyne.MeasureText("ssotray", theme.TextSize(), fyne.TextStyle{})
}

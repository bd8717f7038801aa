package desktop

import (
	"runtime/debug"
	"sync"

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

// warmFonts loads the fonts of the first screen's two text styles, regular
// and bold, each on a goroutine of its own, and returns the func that
// waits for both. Fyne loads a style's fonts (the theme's, its emoji font,
// a system font for the language) the first time text in that style is
// measured, which is most of the work before the first frame; two cores do
// it in about half the time. The window is built only after the wait: a
// style's glyph caches are not safe for two goroutines at once.
func warmFonts() (wait func()) {
	var wg sync.WaitGroup
	for _, style := range []fyne.TextStyle{{}, {Bold: true}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fyne.MeasureText("ssotray", theme.TextSize(), style)
		}()
	}
	return wg.Wait
}

// shownAfter is a window that shows only once the OpenGL driver's loading
// (glwarm) is done.
type shownAfter struct {
	fyne.Window
	wait func()
}

func (w shownAfter) Show() {
	w.wait() // at once after the first time
	w.Window.Show()
}

package desktop

import "runtime/debug"

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


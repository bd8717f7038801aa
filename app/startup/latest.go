package startup

import "sync"

// Latest returns a func that runs f on a goroutine of its own, never twice
// at once: calls that come while f runs make one more run after it. The
// caller never waits (a reload of the session may take a renewal's time,
// and the messages behind it, a Show or a Quit, must not).
func Latest(f func()) (kick func()) {
	var mu sync.Mutex
	running, again := false, false
	var loop func()
	loop = func() {
		for {
			f()
			mu.Lock()
			if !again {
				running = false
				mu.Unlock()
				return
			}
			again = false
			mu.Unlock()
		}
	}
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if running {
			again = true
			return
		}
		running = true
		go loop()
	}
}

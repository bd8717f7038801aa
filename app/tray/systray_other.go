//go:build !unix || darwin

package tray

import "fyne.io/systray"

// run runs the library's own loop, which on Windows and macOS must run on
// the thread that made the icon (the main one, locked at init).
func run(ready func(), quit <-chan struct{}) {
	go func() {
		<-quit
		systray.Quit()
	}()
	systray.Run(ready, nil)
}

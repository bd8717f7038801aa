//go:build unix && !darwin

package tray

import (
	"fyne.io/systray"
	"github.com/godbus/dbus/v5"
)

// run exports the StatusNotifierItem and only then lets ready set the icon
// and the menu: systray.Run calls its ready at the start of the export,
// and an icon set while the export runs is lost. With no session bus there
// is no tray to show (the library would fail at its end); the tray's
// process still keeps the session and starts the window.
func run(ready func(), quit <-chan struct{}) {
	if _, err := dbus.SessionBus(); err != nil {
		go ready()
		<-quit
		return
	}
	start, end := systray.RunWithExternalLoop(nil, nil)
	start()
	go ready()
	<-quit
	end()
}

package tray

import (
	"context"
	"time"

	"github.com/godbus/dbus/v5"
)

// NotifyDBus is the real Options.Notify on desktops with the freedesktop
// notification service (Linux, the BSDs). Where there is none (Windows,
// macOS, a bare session) nothing is shown: a notification is never the
// only place a thing is said, the menu and the window say it too.
func NotifyDBus(title, body string) {
	conn, err := dbus.SessionBus()
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	_ = obj.CallWithContext(ctx, "org.freedesktop.Notifications.Notify", 0,
		title, uint32(0), "", title, body, []string{}, map[string]dbus.Variant{}, int32(-1)).Err
}

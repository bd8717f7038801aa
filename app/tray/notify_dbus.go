//go:build !windows

package tray

import (
	"context"
	"time"

	"github.com/godbus/dbus/v5"
)

// Notify is the real Deps.Notify: on desktops with the freedesktop
// notification service (Linux, the BSDs) it goes there. Where there is none
// (macOS, a bare session) nothing is shown.
func Notify(title, body string) {
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

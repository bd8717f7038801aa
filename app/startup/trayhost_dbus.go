//go:build !windows

package startup

import (
	"context"
	"time"

	"github.com/godbus/dbus/v5"
)

// watcherName is the bus name of the desktop's StatusNotifier host.
const watcherName = "org.kde.StatusNotifierWatcher"

// WatchTrayHost is the real Deps.WatchTrayHost on a free desktop: it
// reports whether the StatusNotifierWatcher has an owner on the session
// bus, first once asked (false when there is no bus or it does not answer:
// macOS, not built, so counts as having no tray and shows the window) and
// then at every change, until ctx ends.
func WatchTrayHost(ctx context.Context, report func(up bool)) {
	conn, err := dbus.SessionBus()
	if err != nil {
		report(false)
		return
	}
	ch := make(chan *dbus.Signal, 8)
	conn.Signal(ch)
	defer conn.RemoveSignal(ch)
	_ = conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, watcherName))
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	// A bus that does not answer leaves has false: no host known.
	var has bool
	_ = conn.BusObject().CallWithContext(cctx, "org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&has)
	cancel()
	report(has)
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-ch:
			if sig == nil || sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) < 3 || sig.Body[0] != watcherName {
				continue
			}
			owner, _ := sig.Body[2].(string)
			report(owner != "")
		}
	}
}

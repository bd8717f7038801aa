package startup

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"
)

// watcherName is the bus name of the desktop's StatusNotifier host.
const watcherName = "org.kde.StatusNotifierWatcher"

// TrayHost follows whether a tray host shows the icon: panels often start
// after autostarted programs, and restart. fyne.io/systray registers again
// by itself when one appears. Until the watcher has answered (the tray
// starts following it once its window is up), up is false, as it stays when
// there is no session bus at all: closing the window then quits rather than
// hiding it where nothing could bring it back.
type TrayHost struct {
	up atomic.Bool
}

// Up tells the latest answer.
func (h *TrayHost) Up() bool { return h.up.Load() }

// Follow runs watch until ctx ends, keeping Up current; known is told the
// first answer.
func (h *TrayHost) Follow(ctx context.Context, watch func(context.Context, func(bool)), known func(up bool)) {
	first := true
	watch(ctx, func(up bool) {
		h.up.Store(up)
		if first {
			first = false
			known(up)
		}
	})
}

// WatchSessionBus is the real Deps.WatchTrayHost: it reports whether the
// StatusNotifierWatcher has an owner on the session bus, first once asked
// (false when there is no bus or it does not answer) and then at every
// change, until ctx ends.
func WatchSessionBus(ctx context.Context, report func(up bool)) {
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

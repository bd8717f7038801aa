package idle

import (
	"context"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// The idle monitor GNOME Shell serves on the session bus, on Wayland and X11.
const (
	mutterName   = "org.gnome.Mutter.IdleMonitor"
	mutterPath   = "/org/gnome/Mutter/IdleMonitor/Core"
	mutterMethod = mutterName + ".GetIdletime"
)

// callTimeout bounds one question to the desktop: a hung bus must not stop
// the kiosk's checks.
const callTimeout = 2 * time.Second

// Mutter reads the idle time from GNOME's Mutter over D-Bus.
type Mutter struct {
	conn *dbus.Conn
	obj  dbus.BusObject
}

// OpenMutter connects to the session bus and asks the idle monitor once, so
// a desktop without one is known at once.
func OpenMutter() (*Mutter, error) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, fmt.Errorf("cannot reach the session bus for GNOME's idle time: %w", err)
	}
	m := &Mutter{conn: conn, obj: conn.Object(mutterName, mutterPath)}
	if _, err := m.Idle(); err != nil {
		conn.Close()
		return nil, err
	}
	return m, nil
}

// Idle is the time since the last input anywhere on the desktop.
func (m *Mutter) Idle() (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var ms uint64
	if err := m.obj.CallWithContext(ctx, mutterMethod, 0).Store(&ms); err != nil {
		return 0, fmt.Errorf("asking GNOME (%s) for the idle time: %w", mutterName, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Close disconnects from the session bus.
func (m *Mutter) Close() { m.conn.Close() }

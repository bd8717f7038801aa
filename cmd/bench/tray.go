package main

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// A tray host as a desktop panel provides it: Debian's
// status-notifier-watcher on the session bus. ssotray only shows its tray
// icon (and closes to the tray) when one is there.
const sniWatcher = "org.kde.StatusNotifierWatcher"

func hasOwner(conn *dbus.Conn, name string) bool {
	var has bool
	return conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has) == nil && has
}

// startTrayHost runs status-notifier-watcher until the returned proc is
// stopped.
func startTrayHost(conn *dbus.Conn) (*proc, error) {
	path, err := exec.LookPath("status-notifier-watcher")
	if err != nil {
		return nil, errors.New("status-notifier-watcher is not installed; run `make deps` (Debian package haskell-status-notifier-item-utils)")
	}
	if hasOwner(conn, sniWatcher) {
		return nil, fmt.Errorf("%s already runs on this session bus; the benchmark needs its own desktop session (make bench)", sniWatcher)
	}
	p, err := startProc(exec.Command(path))
	if err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(5 * time.Second); !hasOwner(conn, sniWatcher); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("status-notifier-watcher did not take %s within 5s: %s", sniWatcher, p.output())
		}
	}
	return p, nil
}

// waitTrayItem waits until the tray host lists an item of process pid.
func waitTrayItem(conn *dbus.Conn, pid int, timeout time.Duration) error {
	watcher := conn.Object(sniWatcher, "/StatusNotifierWatcher")
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		v, err := watcher.GetProperty(sniWatcher + ".RegisteredStatusNotifierItems")
		if err != nil {
			continue
		}
		items, _ := v.Value().([]string)
		for _, item := range items {
			name, _, _ := strings.Cut(item, "/")
			var owner uint32
			if conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, name).Store(&owner) == nil && int(owner) == pid {
				return nil
			}
		}
	}
	return fmt.Errorf("ssotray (pid %d) put no icon in the tray within %s", pid, timeout)
}

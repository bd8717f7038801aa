package main

import (
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"slices"
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

// trayMenu is the com.canonical.dbusmenu of one tray icon, read and
// clicked as a panel does.
type trayMenu struct {
	obj dbus.BusObject
}

const dbusmenu = "com.canonical.dbusmenu"

// waitTrayMenu waits until the tray host lists an item of process pid, and
// returns the item's menu.
func waitTrayMenu(conn *dbus.Conn, pid int, timeout time.Duration) (*trayMenu, error) {
	watcher := conn.Object(sniWatcher, "/StatusNotifierWatcher")
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		v, err := watcher.GetProperty(sniWatcher + ".RegisteredStatusNotifierItems")
		if err != nil {
			continue
		}
		items, _ := v.Value().([]string)
		for _, item := range items {
			// "NAME/PATH", or a bare bus name for the default path.
			name, path, _ := strings.Cut(item, "/")
			if path == "" {
				path = "StatusNotifierItem"
			}
			var owner uint32
			if conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, name).Store(&owner) != nil || int(owner) != pid {
				continue
			}
			mv, err := conn.Object(name, dbus.ObjectPath("/"+path)).GetProperty("org.kde.StatusNotifierItem.Menu")
			if err != nil {
				return nil, fmt.Errorf("the tray item of pid %d: %w", pid, err)
			}
			menuPath, _ := mv.Value().(dbus.ObjectPath)
			return &trayMenu{obj: conn.Object(name, menuPath)}, nil
		}
	}
	return nil, fmt.Errorf("ssotray (pid %d) put no icon in the tray within %s", pid, timeout)
}

// items reads the menu's top level (GetLayout: revision, (id, properties,
// children)): each label with its item id.
func (m *trayMenu) items() (map[string]int32, error) {
	var revision uint32
	var root struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	if err := m.obj.Call(dbusmenu+".GetLayout", 0, int32(0), int32(1), []string{"label"}).Store(&revision, &root); err != nil {
		return nil, fmt.Errorf("reading the tray menu: %w", err)
	}
	items := map[string]int32{}
	for _, c := range root.Children {
		var id int32
		var props map[string]dbus.Variant
		var sub []dbus.Variant
		fields, _ := c.Value().([]any)
		if err := dbus.Store(fields, &id, &props, &sub); err != nil {
			return nil, fmt.Errorf("a malformed tray menu item: %w", err)
		}
		if label, ok := props["label"].Value().(string); ok {
			items[label] = id
		}
	}
	return items, nil
}

// waitSignedIn waits until the menu says that someone is signed in, as it
// does once the tray has restored the stored session.
func (m *trayMenu) waitSignedIn(timeout time.Duration) error {
	var labels []string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		items, err := m.items()
		if err != nil {
			return err
		}
		labels = slices.Collect(maps.Keys(items))
		if slices.ContainsFunc(labels, func(l string) bool { return strings.HasPrefix(l, "Signed in as ") }) {
			return nil
		}
	}
	return fmt.Errorf("the tray menu did not say \"Signed in as\" within %s: %q", timeout, labels)
}

// click sends the item labelled label a "clicked" event, as a panel does
// when the person picks it.
func (m *trayMenu) click(label string) error {
	items, err := m.items()
	if err != nil {
		return err
	}
	id, ok := items[label]
	if !ok {
		return fmt.Errorf("the tray menu has no item %q", label)
	}
	return m.obj.Call(dbusmenu+".Event", 0, id, "clicked", dbus.MakeVariant(""), uint32(0)).Err
}

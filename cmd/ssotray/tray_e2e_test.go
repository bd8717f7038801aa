package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/ssotray/ssotray/oidc/oidctest"
)

// The tray as a desktop sees it: Debian's status-notifier-watcher on the
// private session bus, the built binary registering its StatusNotifierItem,
// and its com.canonical.dbusmenu menu read and clicked over D-Bus.

const (
	sniWatcherName  = "org.kde.StatusNotifierWatcher"
	sniWatcherPath  = "/StatusNotifierWatcher"
	sniItemIface    = "org.kde.StatusNotifierItem"
	dbusmenuIface   = "com.canonical.dbusmenu"
	trayWaitTimeout = 15 * time.Second
)

func TestTrayOverDBus(t *testing.T) {
	conn := trayBus(t)

	w := newWorld(t, time.Minute)
	appBase := fmt.Sprintf("http://127.0.0.1:%d", oidctest.FreePorts(t, 1)[0])
	dir := t.TempDir()
	opened := filepath.Join(dir, "opened.txt")
	recorder := filepath.Join(dir, "record-browser")
	script := fmt.Sprintf("#!/bin/sh\necho \"$@\" >> '%s'\n", opened)
	if err := os.WriteFile(recorder, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	apps := fmt.Sprintf(`apps:
  - name: Music
    url: %[1]s/music
  - name: Admin
    url: %[1]s/admin
    groups: [admins]
  - name: Hidden
    url: %[1]s/hidden
    groups: [nobody]
`, appBase)
	writeTrayConfig(w, apps, recorder)

	signedOut := []string{"Sign in with Authentik", "Show ssotray", "Quit"}
	signedIn := []string{"Signed in as Alice Example (alice) [disabled]", "Music", "Admin", "Show ssotray", "Sign out", "Quit"}

	// Nobody signed in: the sign-in items, and Quit ends the app.
	gui := startTrayGUI(t, w)
	item := gui.waitForItem(t, conn)
	gui.waitForWindow(t, true) // started by hand: the window shows
	menu := item.waitForMenu(t, "signed out", signedOut)
	outIcon := item.iconPixmap(t)
	item.click(t, menu, "Quit")
	select {
	case <-gui.done:
	case <-time.After(5 * time.Second):
		t.Fatalf("the tray's Quit did not end the app within 5s\n%s", gui.output())
	}

	// Signed in through the CLI; the GUI restores the session from the keyring.
	writeTrayConfig(w, apps, bin.browser)
	w.mustRun("login", "--timeout", "90s")
	writeTrayConfig(w, apps, recorder)
	gui = startTrayGUI(t, w, "--background") // as autostart at login
	item = gui.waitForItem(t, conn)
	menu = item.waitForMenu(t, "signed in as alice", signedIn)
	gui.waitForWindow(t, false)
	if inIcon := item.iconPixmap(t); len(inIcon) == 0 || len(outIcon) == 0 || bytes.Equal(inIcon, outIcon) {
		t.Errorf("the tray icon does not differ between signed out (%d bytes) and signed in (%d bytes)", len(outIcon), len(inIcon))
	}

	// An app item opens the app's URL through browser_command, once.
	item.click(t, menu, "Music")
	want := appBase + "/music\n"
	var got string
	for deadline := time.Now().Add(5 * time.Second); got != want && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile(opened)
		got = string(b)
	}
	time.Sleep(200 * time.Millisecond) // a second open would show up by now
	if b, _ := os.ReadFile(opened); string(b) != want {
		t.Fatalf("after clicking Music the browser was given %q, want %q\nmenu clicked: %v\nmenu now: %v\n%s", b, want, menu, item.menu(t), gui.output())
	}

	item.click(t, menu, "Show ssotray")
	gui.waitForWindow(t, true)

	// Sign out from the tray: the menu goes back to the sign-in items.
	item.click(t, item.menu(t), "Sign out")
	item.waitForMenu(t, "after Sign out", signedOut)
	if stored(t) != nil {
		t.Error("the keyring still holds a session after the tray's Sign out")
	}
}

// trayBus is the test session's bus with a tray host (a
// StatusNotifierWatcher) on it.
func trayBus(t *testing.T) *dbus.Conn {
	t.Helper()
	needDesktop(t)
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatalf("connecting to the session bus: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	startSNIWatcher(t, conn)
	return conn
}

// startSNIWatcher runs Debian's status-notifier-watcher until the test ends
// and waits until it owns its name.
func startSNIWatcher(t *testing.T, conn *dbus.Conn) {
	t.Helper()
	path, err := exec.LookPath("status-notifier-watcher")
	if err != nil {
		t.Fatalf("status-notifier-watcher is not installed (%v); run `make deps` (Debian package haskell-status-notifier-item-utils)", err)
	}
	if hasOwner(conn, sniWatcherName) {
		t.Fatalf("%s already has an owner on the test session bus", sniWatcherName)
	}
	var out liveOutput
	cmd := exec.Command(path)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting status-notifier-watcher: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	for deadline := time.Now().Add(5 * time.Second); !hasOwner(conn, sniWatcherName); time.Sleep(20 * time.Millisecond) {
		select {
		case <-done:
			t.Fatalf("status-notifier-watcher exited at start: %s\n%s", cmd.ProcessState, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("status-notifier-watcher did not take %s within 5s\n%s", sniWatcherName, out.String())
		}
	}
}

func hasOwner(conn *dbus.Conn, name string) bool {
	var has bool
	err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has)
	return err == nil && has
}

// writeTrayConfig writes w's config with apps and a browser command.
func writeTrayConfig(w *world, apps string, browser ...string) {
	w.t.Helper()
	cfg := fmt.Sprintf(`authentik:
  server_url: %s
  app_slug: ssotray
  client_id: ssotray
  callback_ports: [%d, %d]
browser_command: [%s]
%s`, w.provider.URL(), w.ports[0], w.ports[1], strings.Join(browser, ", "), apps)
	if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// trayGUI is a running `ssotray` with no verb.
type trayGUI struct {
	cmd  *exec.Cmd
	out  *liveOutput
	done chan struct{}
	env  []string // XDG_RUNTIME_DIR among them: verbs run with it reach this ssotray
}

func startTrayGUI(t *testing.T, w *world, args ...string) *trayGUI {
	t.Helper()
	return startTrayGUIWith(t, w, "en_US.UTF-8", args...)
}

// startTrayGUIWith starts ssotray with LANG=lang.
func startTrayGUIWith(t *testing.T, w *world, lang string, args ...string) *trayGUI {
	t.Helper()
	g := &trayGUI{cmd: exec.Command(bin.ssotray, append([]string{"--config", w.config}, args...)...), out: &liveOutput{}, done: make(chan struct{})}
	g.env = []string{"XDG_RUNTIME_DIR=" + t.TempDir(), "LANG=" + lang, "LC_ALL=", "LC_MESSAGES=", "LANGUAGE="}
	g.cmd.Env = append(append([]string{}, w.env...), g.env...)
	g.cmd.Stdout, g.cmd.Stderr = g.out, g.out
	if err := g.cmd.Start(); err != nil {
		t.Fatalf("starting the GUI: %v", err)
	}
	go func() { _ = g.cmd.Wait(); close(g.done) }()
	t.Cleanup(func() { killTray(t, g.cmd.Process); <-g.done })
	return g
}

func (g *trayGUI) output() string { return "ssotray output:\n" + g.out.String() }

// waitForWindow waits until g's window is shown (or, for shown false, that
// it stays hidden for a while after the tray item is up).
func (g *trayGUI) waitForWindow(t *testing.T, shown bool) {
	t.Helper()
	visible := func() bool {
		return len(findWindows(g.cmd.Process.Pid)) > 0
	}
	if !shown {
		time.Sleep(time.Second)
		if visible() {
			t.Errorf("ssotray --background showed its window although a tray shows its icon\n%s", g.output())
		}
		return
	}
	for deadline := time.Now().Add(10 * time.Second); !visible(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the window did not show\n%s", g.output())
		}
	}
}

// trayItem is the GUI's StatusNotifierItem on the bus.
type trayItem struct {
	conn     *dbus.Conn
	gui      *trayGUI
	busName  string
	path     dbus.ObjectPath
	menuPath dbus.ObjectPath
}

// waitForItem waits until the watcher lists an item of g's process, and
// reads the item's Menu.
func (g *trayGUI) waitForItem(t *testing.T, conn *dbus.Conn) *trayItem {
	t.Helper()
	watcher := conn.Object(sniWatcherName, sniWatcherPath)
	var seen []string
	for deadline := time.Now().Add(trayWaitTimeout); ; time.Sleep(50 * time.Millisecond) {
		select {
		case <-g.done:
			t.Fatalf("the GUI exited before it registered a tray item: %s\n%s", g.cmd.ProcessState, g.output())
		default:
		}
		v, err := watcher.GetProperty(sniWatcherName + ".RegisteredStatusNotifierItems")
		if err == nil {
			seen, _ = v.Value().([]string)
		}
		for _, entry := range seen {
			name, path := entry, dbus.ObjectPath("/StatusNotifierItem")
			if i := strings.Index(entry, "/"); i > 0 {
				name, path = entry[:i], dbus.ObjectPath(entry[i:])
			}
			var pid uint32
			if conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, name).Store(&pid) != nil || int(pid) != g.cmd.Process.Pid {
				continue
			}
			it := &trayItem{conn: conn, gui: g, busName: name, path: path}
			mv, err := conn.Object(name, path).GetProperty(sniItemIface + ".Menu")
			if err != nil {
				t.Fatalf("reading the Menu property of tray item %s: %v", entry, err)
			}
			if it.menuPath, _ = mv.Value().(dbus.ObjectPath); !it.menuPath.IsValid() || it.menuPath == "/" {
				t.Fatalf("tray item %s has no menu: Menu = %v", entry, mv)
			}
			return it
		}
		if time.Now().After(deadline) {
			t.Fatalf("no tray item of the GUI (pid %d) registered with the watcher within %s; registered: %q (err %v)\n%s",
				g.cmd.Process.Pid, trayWaitTimeout, seen, err, g.output())
		}
	}
}

func (it *trayItem) iconPixmap(t *testing.T) []byte {
	t.Helper()
	v, err := it.conn.Object(it.busName, it.path).GetProperty(sniItemIface + ".IconPixmap")
	if err != nil {
		t.Errorf("reading IconPixmap: %v", err)
		return nil
	}
	var pixmaps []struct {
		W, H int32
		Data []byte
	}
	if err := dbus.Store([]any{v.Value()}, &pixmaps); err != nil {
		t.Errorf("IconPixmap %s: %v", v.Signature(), err)
		return nil
	}
	var all []byte
	for _, p := range pixmaps {
		all = append(all, p.Data...)
	}
	return all
}

// trayEntry is one visible entry of the tray menu.
type trayEntry struct {
	id        int32
	label     string
	enabled   bool
	separator bool
}

func (e trayEntry) String() string {
	switch {
	case e.separator:
		return "---"
	case !e.enabled:
		return e.label + " [disabled]"
	}
	return fmt.Sprintf("%s(id %d)", e.label, e.id)
}

// menu reads the whole menu with GetLayout: (revision, (id, props, children)).
func (it *trayItem) menu(t *testing.T) []trayEntry {
	t.Helper()
	_, entries, err := it.readMenu()
	if err != nil {
		t.Fatalf("%v\n%s", err, it.gui.output())
	}
	return entries
}

func (it *trayItem) readMenu() (uint32, []trayEntry, error) {
	var revision uint32
	var root []any
	call := it.conn.Object(it.busName, it.menuPath).Call(dbusmenuIface+".GetLayout", 0, int32(0), int32(-1), []string{})
	if err := call.Store(&revision, &root); err != nil {
		return 0, nil, fmt.Errorf("GetLayout on %s %s: %w", it.busName, it.menuPath, err)
	}
	var entries []trayEntry
	var walk func(node []any, top bool) error
	walk = func(node []any, top bool) error {
		var id int32
		var props map[string]dbus.Variant
		var children []dbus.Variant
		if err := dbus.Store(node, &id, &props, &children); err != nil {
			return fmt.Errorf("GetLayout returned a malformed item %v: %w", node, err)
		}
		if !top {
			if visible, ok := props["visible"].Value().(bool); ok && !visible {
				return nil
			}
			e := trayEntry{id: id, enabled: true}
			if typ, _ := props["type"].Value().(string); typ == "separator" {
				e.separator = true
			} else {
				label, _ := props["label"].Value().(string)
				e.label = trayWithoutMnemonics(label)
				if enabled, ok := props["enabled"].Value().(bool); ok {
					e.enabled = enabled
				}
			}
			entries = append(entries, e)
		}
		for _, c := range children {
			child, ok := c.Value().([]any)
			if !ok {
				return fmt.Errorf("GetLayout returned a child of type %s", c.Signature())
			}
			if err := walk(child, false); err != nil {
				return err
			}
		}
		return nil
	}
	return revision, entries, walk(root, true)
}

// trayWithoutMnemonics drops dbusmenu's access-key marks: "_x" is x, "__" is _.
func trayWithoutMnemonics(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// trayLabels gives the non-separator entries, disabled ones marked.
func trayLabels(entries []trayEntry) []string {
	var out []string
	for _, e := range entries {
		switch {
		case e.separator:
		case !e.enabled:
			out = append(out, e.label+" [disabled]")
		default:
			out = append(out, e.label)
		}
	}
	return out
}

// waitForMenu polls the menu until its items are want (in order; separators
// aside), as the session restore and sign-out are asynchronous, and until
// the menu has stayed so for a moment: Fyne may still rebuild it (new item
// ids) just after the tray comes up.
func (it *trayItem) waitForMenu(t *testing.T, state string, want []string) []trayEntry {
	t.Helper()
	const settle = 300 * time.Millisecond
	var entries []trayEntry
	var err error
	var revision, matchedRev uint32
	var matchedAt time.Time
	for deadline := time.Now().Add(trayWaitTimeout); ; time.Sleep(50 * time.Millisecond) {
		revision, entries, err = it.readMenu()
		switch {
		case err != nil || !slices.Equal(trayLabels(entries), want):
			matchedAt = time.Time{}
		case matchedAt.IsZero() || revision != matchedRev:
			matchedAt, matchedRev = time.Now(), revision
		case time.Since(matchedAt) >= settle:
			return entries
		}
		if time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("tray menu %s: %v\n%s", state, err, it.gui.output())
	}
	t.Fatalf("tray menu %s, after %s:\n got  %q\n want %q\n(all entries, revision %d: %v)\n%s",
		state, trayWaitTimeout, trayLabels(entries), want, revision, entries, it.gui.output())
	return nil
}

// click sends a dbusmenu "clicked" event to the one entry labelled label.
func (it *trayItem) click(t *testing.T, entries []trayEntry, label string) {
	t.Helper()
	var ids []int32
	for _, e := range entries {
		if !e.separator && e.label == label {
			ids = append(ids, e.id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("want one tray menu item %q, have %d in %q", label, len(ids), trayLabels(entries))
	}
	call := it.conn.Object(it.busName, it.menuPath).Call(dbusmenuIface+".Event", 0, ids[0], "clicked", dbus.MakeVariant(""), uint32(0))
	if call.Err != nil {
		t.Fatalf("clicking %q (id %d): %v\n%s", label, ids[0], call.Err, it.gui.output())
	}
}

// TestTrayAndWindowProcesses: the tray waits in a light process and the
// window is a process of its own, there only while it is open; a sign-out
// in a terminal reaches the tray's menu within a second.
func TestTrayAndWindowProcesses(t *testing.T) {
	conn := trayBus(t)
	w := newWorld(t, time.Minute)
	writeTrayConfig(w, "", bin.browser)
	signedOut := []string{"Sign in with Authentik", "Show ssotray", "Quit"}
	signedIn := []string{"Signed in as Alice Example (alice) [disabled]", "Show ssotray", "Sign out", "Quit"}

	// At login, in a session whose locale is C.UTF-8 (containers, SSH,
	// systemd units): only the tray, no window process.
	gui := startTrayGUIWith(t, w, "C.UTF-8", "--background")
	pid := gui.cmd.Process.Pid
	item := gui.waitForItem(t, conn)
	menu := item.waitForMenu(t, "signed out", signedOut)
	gui.waitForWindow(t, false)
	if ps := windowProcesses(t, pid); len(ps) != 0 {
		t.Fatalf("window processes %v while only the tray is there", ps)
	}

	// Sign in from the tray: the browser signs alice in.
	item.click(t, menu, "Sign in with Authentik")
	menu = item.waitForMenu(t, "signed in from the tray", signedIn)
	s := stored(t)
	if s == nil || s.Username != "alice" {
		t.Fatalf("the keyring holds %v after the tray's sign-in", s)
	}
	// A script's `ssotray token` gets the tray's token: here the keyring
	// is out of its reach, so only the tray can have answered.
	noKeyring := append(slices.Clone(gui.env), "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent")
	if r := w.run(noKeyring, "token"); r.code != 0 || r.stdout != s.AccessToken+"\n" {
		t.Fatalf("ssotray token beside the tray, without the keyring: %+v", r)
	}
	if r := w.run(noKeyring, "token", "--id-token"); r.code != 0 || r.stdout != s.IDToken+"\n" {
		t.Fatalf("ssotray token --id-token beside the tray: %+v", r)
	}

	// The window comes and goes, a process each time.
	for round := range 3 {
		item.click(t, menu, "Show ssotray")
		id := waitWindow(pid, 20*time.Second)
		if id == "" {
			t.Fatalf("round %d: Show ssotray showed no window\n%s", round, gui.output())
		}
		if ps := windowProcesses(t, pid); len(ps) != 1 {
			t.Fatalf("round %d: window processes %v, want one", round, ps)
		}
		closeWindow(t, id)
		for deadline := time.Now().Add(5 * time.Second); len(windowProcesses(t, pid)) != 0; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				left := windowProcesses(t, pid)
				dumpStacks(left)
				t.Fatalf("round %d: a window process remains after its window closed: %v\n%s", round, left, gui.output())
			}
		}
		select {
		case <-gui.done:
			t.Fatalf("round %d: closing the window ended the tray\n%s", round, gui.output())
		default:
		}
	}

	// Signed out in a terminal (revoked, the provider's page opened) with
	// the window open: the tray's menu and the window follow within a
	// second. The window shows alice's avatar (a blue circle at the top
	// left) until it is back at the sign-in screen.
	item.click(t, menu, "Show ssotray")
	id := waitWindow(pid, 20*time.Second)
	if id == "" {
		t.Fatalf("Show ssotray showed no window\n%s", gui.output())
	}
	for deadline := time.Now().Add(20 * time.Second); avatarShown(id) <= 1500; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the window does not show alice signed in (avatar pixels %d)\n%s", avatarShown(id), gui.output())
		}
	}
	if r := w.run(gui.env, "logout"); r.code != 0 || !strings.Contains(r.stdout, "your tokens were revoked") {
		t.Fatalf("ssotray logout: %+v", r)
	}
	start := time.Now()
	// At once, before the tray may have heard: it lends nothing signed out.
	if r := w.run(noKeyring, "token"); r.code == 0 {
		t.Errorf("ssotray token right after ssotray logout printed %q: the tray lent a session signed out elsewhere", r.stdout)
	}
	// Each is timed when a reading showed it (an upper bound); the window
	// counts once two screenshots in a row show no avatar, so that one
	// frame drawn in between does not pass for the sign-in screen.
	var menuAt, windowAt, firstClear time.Duration
	var entries []trayEntry
	cleared := 0 // screenshots in a row without the avatar
	for (menuAt == 0 || windowAt == 0) && time.Since(start) < 3*time.Second {
		if menuAt == 0 {
			var err error
			if _, entries, err = item.readMenu(); err == nil && slices.Equal(trayLabels(entries), signedOut) {
				menuAt = time.Since(start)
			}
		}
		if windowAt == 0 {
			if n := avatarShown(id); n >= 0 && n < 100 {
				if cleared++; cleared == 1 {
					firstClear = time.Since(start)
				} else {
					windowAt = firstClear
				}
			} else {
				cleared = 0
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if menuAt == 0 || menuAt > time.Second || windowAt == 0 || windowAt > time.Second {
		t.Fatalf("after ssotray logout: tray menu %q (want %q) at %s, the window's sign-in screen at %s; want both within 1 s\n%s",
			trayLabels(entries), signedOut, menuAt, windowAt, gui.output())
	}
	t.Logf("after ssotray logout ended, the tray's menu changed within %s and the window within %s", menuAt.Round(time.Millisecond), windowAt.Round(time.Millisecond))
	if ps := windowProcesses(t, pid); len(ps) != 1 || len(findWindows(pid)) != 1 {
		t.Errorf("after the sign-out the window is gone (processes %v): it should show the sign-in screen", ps)
	}
	closeWindow(t, id)
	w.waitForBrowsers() // the provider's sign-out page

	// Signed in again from the terminal, then out from a process without
	// the desktop's XDG_RUNTIME_DIR (cron, sudo -u): the tray hears no
	// news of it, but lends that session's token no more.
	if r := w.run(gui.env, "login", "--timeout", "90s"); r.code != 0 {
		t.Fatalf("ssotray login: %+v", r)
	}
	item.waitForMenu(t, "signed in from the terminal", signedIn)
	if r := w.run(noKeyring, "token"); r.code != 0 {
		t.Fatalf("ssotray token beside the tray after a sign-in in the terminal: %+v", r)
	}
	if r := w.run([]string{"XDG_RUNTIME_DIR="}, "logout", "--local"); r.code != 0 {
		t.Fatalf("ssotray logout without XDG_RUNTIME_DIR: %+v", r)
	}
	if r := w.run(noKeyring, "token"); r.code == 0 {
		t.Errorf("ssotray token after a sign-out from a process without XDG_RUNTIME_DIR printed %q: the tray lent a session signed out there", r.stdout)
	}
	if out := gui.output(); strings.Contains(out, "locale") {
		t.Errorf("the tray and its windows printed Fyne's complaint about the locale:\n%s", out)
	}
}

// avatarShown counts the avatar's blue pixels in window id's top left
// corner (see avatarPixels); -1 when no screenshot could be taken.
func avatarShown(id string) int {
	b, err := exec.Command("import", "-window", id, "png:-").Output()
	if err != nil {
		return -1
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return -1
	}
	return avatarPixels(img)
}

// closeWindow asks the window id (decimal, as xdotool prints it) to close,
// as a window manager's close button does: WM_DELETE_WINDOW.
func closeWindow(t *testing.T, id string) {
	t.Helper()
	n, err := strconv.ParseUint(id, 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	x, err := xgb.NewConn()
	if err != nil {
		t.Fatalf("connecting to the X server: %v", err)
	}
	defer x.Close()
	atom := func(name string) xproto.Atom {
		r, err := xproto.InternAtom(x, false, uint16(len(name)), name).Reply()
		if err != nil {
			t.Fatalf("atom %s: %v", name, err)
		}
		return r.Atom
	}
	win := xproto.Window(n)
	ev := xproto.ClientMessageEvent{Format: 32, Window: win, Type: atom("WM_PROTOCOLS"),
		Data: xproto.ClientMessageDataUnionData32New([]uint32{uint32(atom("WM_DELETE_WINDOW")), 0, 0, 0, 0})}
	if err := xproto.SendEventChecked(x, false, win, xproto.EventMaskNoEvent, string(ev.Bytes())).Check(); err != nil {
		t.Fatalf("closing window %s: %v", id, err)
	}
}

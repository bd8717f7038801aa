package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"github.com/godbus/dbus/v5"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/instance"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/app/ui"
	"github.com/ssotray/ssotray/assets"
)

// runGUI starts the window and the tray: the wiring of the real Fyne app,
// keyring, browser and single-instance socket around the core and app/ui.
func runGUI(ctx context.Context, configPath string, logger *slog.Logger) error {
	inst, err := instance.Claim(instance.SocketPath(os.Getenv))
	if errors.Is(err, instance.ErrRunning) {
		fmt.Fprintln(os.Stderr, "ssotray: "+err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	defer inst.Close()

	path, err := config.DefaultLocator().Find(configPath)
	if err != nil {
		return err
	}
	cfg, err := config.Load(path, os.Getenv)
	if err != nil {
		return err
	}
	core := app.New(app.Deps{
		Config:  cfg,
		Store:   tokenstore.NewKeyring(),
		Browser: launch.Browser{Command: cfg.BrowserCommand}.Open,
		Logger:  logger,
	})

	a := fyneapp.NewWithID("io.github.ssotray")
	a.SetIcon(fyne.NewStaticResource("ssotray.png", assets.Icon))
	var shell fyne.App = a
	if !trayHostRunning() {
		// Without a tray host closing the window must quit, not hide it.
		shell = struct{ fyne.App }{a}
	}
	u := ui.New(shell, core, ui.Options{
		Icon:          fyne.NewStaticResource("ssotray.png", assets.Icon),
		TraySignedIn:  fyne.NewStaticResource("tray-signed-in.png", assets.TraySignedIn),
		TraySignedOut: fyne.NewStaticResource("tray-signed-out.png", assets.TraySignedOut),
		Notify:        true,
	})
	defer u.Close()
	go func() {
		for range inst.ShowRequests() {
			fyne.Do(u.Show)
		}
	}()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	// The window appears at once; the stored session (and any refresh)
	// arrives through the core's status.
	go func() { _ = core.Restore(ctx) }()
	u.Show()
	a.Run()
	return nil
}

// trayHostRunning reports whether a StatusNotifier host (the desktop's tray)
// is on the session bus.
func trayHostRunning() bool {
	conn, err := dbus.SessionBus()
	if err != nil {
		return false
	}
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	return err == nil && has
}

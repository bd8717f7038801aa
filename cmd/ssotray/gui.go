package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"github.com/godbus/dbus/v5"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/instance"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/setup"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/app/ui"
	"github.com/ssotray/ssotray/assets"
)

// runGUI starts the window and the tray: the wiring of the real Fyne app,
// keyring, browser and single-instance socket around the core and app/ui.
func runGUI(ctx context.Context, configPath string, logger *slog.Logger) error {
	// Quit from the tray ends Run; the background work ends with it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inst, err := instance.Claim(instance.SocketPath(os.Getenv))
	if errors.Is(err, instance.ErrRunning) {
		fmt.Fprintln(os.Stderr, "ssotray: "+err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	defer inst.Close()

	locator := config.DefaultLocator()
	var cfg *config.Config
	path, err := locator.Find(configPath)
	var notFound *config.NotFoundError
	switch {
	case errors.As(err, &notFound) && configPath == "":
		// First run: the setup window writes the configuration.
	case err != nil:
		return err
	default:
		if cfg, err = config.Load(path, os.Getenv); err != nil {
			return err
		}
	}

	a := fyneapp.NewWithID("io.github.ssotray")
	a.SetIcon(fyne.NewStaticResource("ssotray.png", assets.Icon))
	var shell fyne.App = a
	if !trayHostRunning() {
		// Without a tray host closing the window must quit, not hide it.
		shell = struct{ fyne.App }{a}
	}
	opts := ui.Options{
		Icon:          fyne.NewStaticResource("ssotray.png", assets.Icon),
		TraySignedIn:  fyne.NewStaticResource("tray-signed-in.png", assets.TraySignedIn),
		TraySignedOut: fyne.NewStaticResource("tray-signed-out.png", assets.TraySignedOut),
		Notify:        true,
	}

	// These two belong to the UI goroutine once it runs.
	var (
		u  *ui.UI
		sw *ui.SetupWindow
	)
	if cfg != nil {
		u = startMain(ctx, shell, cfg, opts, logger)
	} else {
		svc := setup.Service{HTTPClient: &http.Client{Timeout: 10 * time.Second}, Locator: locator}
		sw = ui.NewSetup(shell, svc, opts, func(path string) {
			cfg, err := config.Load(path, os.Getenv)
			if err != nil {
				sw.ShowError(fmt.Errorf("the configuration was saved, but cannot be used: %w; correct it and start ssotray again", err))
				return
			}
			u = startMain(ctx, shell, cfg, opts, logger)
			sw.Window().Close()
			sw = nil
		})
		sw.Show()
	}
	go func() {
		for range inst.ShowRequests() {
			fyne.Do(func() {
				if u != nil {
					u.Show()
				} else if sw != nil {
					sw.Show()
				}
			})
		}
	}()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	a.Run()
	cancel()
	if u != nil {
		u.Close()
	}
	return nil
}

// startMain builds the core for cfg and the window and tray around it, and
// shows the window.
func startMain(ctx context.Context, shell fyne.App, cfg *config.Config, opts ui.Options, logger *slog.Logger) *ui.UI {
	core := app.New(app.Deps{
		Config:  cfg,
		Store:   tokenstore.NewKeyring(),
		Browser: launch.Browser{Command: cfg.BrowserCommand}.Open,
		Logger:  logger,
	})
	u := ui.New(shell, core, opts)
	// The window appears at once; the stored session (and any refresh)
	// arrives through the core's status.
	go func() {
		_ = core.Restore(ctx)
		core.KeepFresh(ctx) // renews before expiry; retries while the provider is down
	}()
	u.Show()
	return u
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

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"github.com/godbus/dbus/v5"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/idle"
	"github.com/ssotray/ssotray/app/instance"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/setup"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/app/ui"
	"github.com/ssotray/ssotray/assets"
)

// runGUI starts the window and the tray: the wiring of the real Fyne app,
// keyring, browser and single-instance socket around the core and app/ui.
func runGUI(ctx context.Context, configPath string, kiosk bool, logger *slog.Logger) error {
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
	shell := a
	opts := ui.Options{
		TrayHost:      watchTrayHost(ctx),
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
		u = startMain(ctx, shell, cfg, kiosk, opts, logger)
	} else {
		svc := setup.Service{HTTPClient: &http.Client{Timeout: 10 * time.Second}, Locator: locator}
		sw = ui.NewSetup(shell, svc, opts, func(path string) {
			cfg, err := config.Load(path, os.Getenv)
			if err != nil {
				sw.ShowError(fmt.Errorf("the configuration was saved, but cannot be used: %w; correct it and start ssotray again", err))
				return
			}
			u = startMain(ctx, shell, cfg, kiosk, opts, logger)
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
func startMain(ctx context.Context, shell fyne.App, cfg *config.Config, kiosk bool, opts ui.Options, logger *slog.Logger) *ui.UI {
	kiosk = kiosk || cfg.Kiosk.Enabled
	var store tokenstore.Store = tokenstore.NewKeyring()
	if kiosk && !cfg.Kiosk.Remember {
		store = tokenstore.NewMemory() // nothing of a person outlives the process
	}
	browser := launch.NewBrowser(cfg.BrowserCommand)
	core := app.New(app.Deps{
		Config:        cfg,
		Store:         store,
		Browser:       browser.Open,
		Logger:        logger,
		Kiosk:         kiosk,
		CloseBrowsers: browser.CloseAll,
	})
	opts.Kiosk = kiosk
	u := ui.New(shell, core, opts)
	if kiosk {
		go watchKiosk(ctx, core, logger)
	}
	// The window appears at once; the stored session (and any refresh)
	// arrives through the core's status.
	go func() {
		_ = core.Restore(ctx)
		core.KeepFresh(ctx) // renews before expiry; retries while the provider is down
	}()
	u.Show()
	return u
}

// watcherName is the bus name of the desktop's StatusNotifier host.
const watcherName = "org.kde.StatusNotifierWatcher"

// watchTrayHost follows, in the background, whether a tray host is on the
// session bus: panels often start after autostarted programs, and restart.
// Fyne's tray registers again by itself when one appears.
func watchTrayHost(ctx context.Context) func() bool {
	var up atomic.Bool
	conn, err := dbus.SessionBus()
	if err != nil {
		return up.Load
	}
	go func() {
		ch := make(chan *dbus.Signal, 8)
		conn.Signal(ch)
		defer conn.RemoveSignal(ch)
		_ = conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, watcherName))
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		var has bool
		if conn.BusObject().CallWithContext(cctx, "org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&has) == nil {
			up.Store(has)
		}
		cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case sig := <-ch:
				if sig == nil || sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) < 3 || sig.Body[0] != watcherName {
					continue
				}
				owner, _ := sig.Body[2].(string)
				up.Store(owner != "")
			}
		}
	}()
	return up.Load
}

// watchKiosk applies the idle timeout and session limit, reading the idle
// time of the whole display, or of ssotray's own window where the display
// cannot tell it.
func watchKiosk(ctx context.Context, core *app.Core, logger *slog.Logger) {
	var src app.IdleSource
	if s, err := idle.Open(os.Getenv); err == nil {
		defer s.Close()
		src = s
	} else {
		logger.Warn("kiosk: the display does not tell its idle time; only input in ssotray's window counts", "err", err)
		src = core.WindowInput()
	}
	core.WatchKiosk(ctx, src)
}

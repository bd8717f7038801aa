package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"github.com/godbus/dbus/v5"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/cli"
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
// getenv sees the SSOTRAY_* variables that main took out of the environment.
func runGUI(ctx context.Context, o cli.GUIOptions, getenv func(string) string, logger *slog.Logger) error {
	configPath, kiosk := o.ConfigPath, o.Kiosk
	// Until the window is up the garbage collector runs half as often:
	// start-up allocates a lot at once (fonts above all), and on a desktop's
	// few cores the collector's work would delay the first frame.
	restoreGC := collectLessUntilShown()
	// Quit from the tray ends Run; the background work ends with it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inst, err := claimInstance()
	if errors.Is(err, instance.ErrRunning) {
		fmt.Fprintln(os.Stderr, "ssotray: "+err.Error())
		return nil
	}
	if err != nil {
		// The window matters more than the one-window check.
		fmt.Fprintln(os.Stderr, "ssotray: warning: running without the check for a second window: "+err.Error())
	} else {
		defer inst.Close()
	}

	locator := config.DefaultLocator()
	locator.Getenv = getenv
	// Whether this is a kiosk is decided with the file it may read (only
	// one its user cannot change): see config.Locator.Open.
	cfg, err := locator.Open(configPath, kiosk)
	var notFound *config.NotFoundError
	switch {
	case errors.As(err, &notFound) && configPath == "" && !kiosk:
		// First run: the setup window writes the configuration.
	case err != nil:
		return err
	default:
		kiosk = cfg.Kiosk.Enabled
		if kiosk {
			if err := launch.KioskBrowser(cfg.BrowserCommand); err != nil {
				return err
			}
			// Once a signal has started the kiosk's sign-out, more of them
			// (logind sends SIGTERM and SIGHUP together) must not cut it
			// short: while this is registered they are caught, not fatal.
			hold := make(chan os.Signal, 1)
			signal.Notify(hold, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer signal.Stop(hold)
		}
	}

	a := fyneapp.NewWithID("io.github.ssotray")
	go warmFonts()
	// The application icon (for notifications, say) at full size; the window
	// and the sign-in screen take the sizes they show.
	a.SetIcon(fyne.NewStaticResource("ssotray.png", assets.Icon))
	shell := a
	var host trayHost
	opts := ui.Options{
		TrayHost:      host.up.Load,
		Icon:          fyne.NewStaticResource("ssotray-192.png", assets.Icon192),
		WindowIcon:    fyne.NewStaticResource("ssotray-64.png", assets.Icon64),
		TraySignedIn:  fyne.NewStaticResource("tray-signed-in.png", assets.TraySignedIn),
		TraySignedOut: fyne.NewStaticResource("tray-signed-out.png", assets.TraySignedOut),
		Notify:        true,
		// The window's first frame first, then the tray (startMain sets it
		// up, a.Run starts it).
		DeferTray: true,
	}

	// These two belong to the UI goroutine once it runs.
	var (
		u    *ui.UI
		sw   *ui.SetupWindow
		core *app.Core
	)
	// Autostarted at login, ssotray waits in the tray; the window shows
	// anyway once it is known that no tray host would show the icon.
	background := o.Background && !kiosk
	if cfg != nil {
		u, core = startMain(ctx, shell, cfg, kiosk, !background, opts, getenv, logger)
	} else {
		// Fyne starts a tray only if it has one when Run begins, and the main
		// window's real tray comes after the setup, so hold its place.
		placeholder := false
		if desk, ok := shell.(desktop.App); ok && !kiosk {
			desk.SetSystemTrayMenu(fyne.NewMenu("ssotray"))
			placeholder = true
		}
		svc := setup.Service{HTTPClient: &http.Client{Timeout: 10 * time.Second}, Locator: locator}
		sw = ui.NewSetup(shell, svc, opts, func(path string) {
			cfg, err := config.Load(path, getenv)
			if err == nil && (kiosk || cfg.Kiosk.Enabled) {
				err = launch.KioskBrowser(cfg.BrowserCommand)
			}
			if err != nil {
				sw.ShowError(fmt.Errorf("the configuration was saved, but cannot be used: %w; correct it and start ssotray again", err))
				return
			}
			if cfg.Kiosk.Enabled {
				// A kiosk reads only a file its user cannot change, which this one is not.
				sw.ShowError(fmt.Errorf("the configuration was saved with kiosk mode on, but a kiosk takes its configuration only from a file its user cannot change: as root, install -o root -g root -m 644 %s /etc/ssotray/config.yaml, then start ssotray again", path))
				return
			}
			u, core = startMain(ctx, shell, cfg, kiosk, true, opts, getenv, logger)
			sw.Window().Close()
			sw = nil
		})
		if placeholder {
			// With a tray Fyne would keep running behind a closed setup window.
			sw.Window().SetCloseIntercept(a.Quit)
		}
		sw.Show()
	}
	// The window is drawn: now the work that could wait for it.
	restoreGC()
	// Start-up garbage (font tables above all) would otherwise stay with
	// the process for minutes, until the runtime's scavenger returns it; a
	// tray app then idles for hours, so hand it back once things settle.
	time.AfterFunc(5*time.Second, debug.FreeOSMemory)
	go host.watch(ctx, func(up bool) {
		if background && !up {
			fyne.Do(func() {
				if u != nil {
					u.Show()
				}
			})
		}
	})
	go func() {
		if inst == nil {
			return
		}
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
	if core != nil {
		// A kiosk ended by a signal signs out first (closes the browsers,
		// revokes briefly); then any renewed session reaches the keyring.
		core.EndKiosk(context.Background())
		core.Flush() // a renewed session may still be on its way to the keyring
	}
	return nil
}

// claimInstance claims the per-user socket in a private directory.
func claimInstance() (*instance.Instance, error) {
	path, err := instance.SocketPath(os.Getenv)
	if err != nil {
		return nil, err
	}
	return instance.Claim(path)
}

// startMain builds the core for cfg and the window and tray around it, and
// shows the window if show.
func startMain(ctx context.Context, shell fyne.App, cfg *config.Config, kiosk, show bool, opts ui.Options, getenv func(string) string, logger *slog.Logger) (*ui.UI, *app.Core) {
	kiosk = kiosk || cfg.Kiosk.Enabled
	var store tokenstore.Store = tokenstore.NewKeyring()
	// The keyring's session is renewed by `ssotray token` too.
	lock := renewLock(logger)
	if kiosk && !cfg.Kiosk.Remember {
		store = tokenstore.NewMemory() // nothing of a person outlives the process
		lock = nil                     // and no other process sees it
	}
	browser := launch.NewBrowser(cfg.BrowserCommand)
	if kiosk {
		browser = kioskBrowser(cfg.BrowserCommand, getenv, logger)
	}
	core := app.New(app.Deps{
		Config:        cfg,
		Store:         store,
		RenewLock:     lock,
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
	// arrives through the core's status. Restoring starts once the window
	// is drawn, so its keyring and network work does not compete with the
	// first frame, and goes on while the tray is set up; the window shows
	// the session as soon as the app runs.
	if show {
		u.Show()
	}
	go func() {
		_ = core.Restore(ctx)
		core.KeepFresh(ctx) // renews before expiry; retries while the provider is down
	}()
	u.StartTray()
	return u, core
}

// watcherName is the bus name of the desktop's StatusNotifier host.
const watcherName = "org.kde.StatusNotifierWatcher"

// trayHost follows whether a tray host is on the session bus: panels often
// start after autostarted programs, and restart. Fyne's tray registers again
// by itself when one appears. Until watch has asked the bus (it is started
// once the window is drawn), up is false, as it stays when there is no
// session bus at all: closing the window then quits rather than hiding it
// where nothing could bring it back.
type trayHost struct {
	up atomic.Bool
}

// watch keeps up current until ctx ends; known is told the first answer.
func (h *trayHost) watch(ctx context.Context, known func(up bool)) {
	conn, err := dbus.SessionBus()
	if err != nil {
		known(false)
		return
	}
	ch := make(chan *dbus.Signal, 8)
	conn.Signal(ch)
	defer conn.RemoveSignal(ch)
	_ = conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, watcherName))
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	var has bool
	if conn.BusObject().CallWithContext(cctx, "org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&has) == nil {
		h.up.Store(has)
	}
	cancel()
	known(has)
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-ch:
			if sig == nil || sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) < 3 || sig.Body[0] != watcherName {
				continue
			}
			owner, _ := sig.Body[2].(string)
			h.up.Store(owner != "")
		}
	}
}

// collectLessUntilShown raises the garbage collector's GOGC to 200, unless
// it is higher already (or off), and returns the func that puts it back.
func collectLessUntilShown() (restore func()) {
	const startGC = 200
	prev := debug.SetGCPercent(startGC)
	if prev < 0 || prev > startGC {
		debug.SetGCPercent(prev)
	}
	return func() { debug.SetGCPercent(prev) }
}

// warmFonts loads the fonts of the first screen on another core while the
// UI goroutine sets up the window. Fyne loads a text style's fonts (the
// theme's, its emoji font and a system font for the language) the first time
// text in that style is measured, which is most of the work before the first
// frame. The sign-in screen measures its bold headings and buttons first, so
// this takes the regular style: by the time the UI goroutine gets to it, it
// is loaded. Fyne's font caches are safe for concurrent use; should both
// goroutines load the same style, the second copy is merely wasted.
func warmFonts() {
	fyne.MeasureText("ssotray", theme.TextSize(), fyne.TextStyle{})
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

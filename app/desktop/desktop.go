// Package desktop is ssotray's start-up with a display: first-run setup or
// the main window, --background, kiosk mode, the tray host watch and the
// single instance. It takes the Fyne app and every OS piece from Deps, so
// its decisions run headless in tests; cmd/ssotray creates the real ones
// (and so this package never imports fyne.io/fyne/v2/app).
package desktop

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/idle"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/app/ui"
	"github.com/ssotray/ssotray/assets"
)

// Options are the global flags that shape the start (cli.GUIOptions).
type Options struct {
	ConfigPath string
	Kiosk      bool // the shared-machine rules, as kiosk.enabled
	// Background starts with only the tray icon (autostart at login); the
	// window opens anyway when no tray host shows the icon.
	Background bool
}

// Deps are the real world the start-up needs; cmd/ssotray passes the real
// ones, tests their stand-ins.
type Deps struct {
	// NewApp makes the Fyne app. It is called only once the start is
	// decided: a second instance or a refused configuration never pays
	// for the driver.
	NewApp func() fyne.App
	// Locator finds the configuration; its Getenv sees the SSOTRAY_*
	// variables.
	Locator config.Locator
	Getenv  func(string) string
	Logger  *slog.Logger // nil: discard
	Stderr  io.Writer    // the lines about another instance
	// Claim claims the single instance (ClaimInstance).
	Claim func() (Instance, error)
	// WatchTrayHost reports whether a tray host shows the icon, first once
	// known and then at every change, until ctx ends (WatchSessionBus).
	WatchTrayHost func(ctx context.Context, report func(up bool))
	Store         func() tokenstore.Store // the keyring
	RenewLock     func() app.RenewLock    // across processes; may return nil
	// KioskBrowser starts and follows a kiosk's browser (TrackedKioskBrowser).
	KioskBrowser func(command []string) *launch.Browser
	OpenIdle     func() (idle.Source, error) // the display's idle time (OpenIdle)
	// HoldSignals keeps further signals from ending a kiosk's sign-out
	// (HoldSignals).
	HoldSignals func() (release func())
}

// Run starts the window and the tray and returns when the app quits or ctx
// ends; then a kiosk signs out and any renewed session reaches the store.
func Run(ctx context.Context, d Deps, o Options) error {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	restoreGC := collectLessUntilShown()
	defer restoreGC()
	// Quit from the tray ends Run; the background work ends with it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inst, err := d.Claim()
	claimed, msg := onClaim(err)
	if msg != "" {
		fmt.Fprintln(d.Stderr, msg)
	}
	switch claimed {
	case Leave:
		return nil
	case ProceedUnchecked:
		inst = nil
	default:
		defer inst.Close()
	}

	// Whether this is a kiosk is decided with the file it may read (only
	// one its user cannot change): see config.Locator.Open.
	cfg, err := d.Locator.Open(o.ConfigPath, o.Kiosk)
	start := Decide(cfg, err, o)
	if start.Screen == ScreenError {
		return start.Err
	}
	if start.Kiosk {
		defer d.HoldSignals()()
	}

	a := d.NewApp()
	go warmFonts()
	// The application icon (for notifications, say) at full size; the window
	// and the sign-in screen take the sizes they show.
	a.SetIcon(fyne.NewStaticResource("ssotray.png", assets.Icon))
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

	w := &windows{}
	background := inBackground(o, start.Kiosk)
	if start.Screen == ScreenMain {
		w.main, w.core = startMain(ctx, d, a, start.Config, start.Kiosk, !background, opts)
	} else {
		w.setup = startSetup(ctx, d, a, opts, w)
	}
	// The window is drawn: now the work that could wait for it.
	restoreGC()
	// Start-up garbage (font tables above all) would otherwise stay with
	// the process for minutes, until the runtime's scavenger returns it; a
	// tray app then idles for hours, so hand it back once things settle.
	time.AfterFunc(5*time.Second, debug.FreeOSMemory)
	go host.follow(ctx, d.WatchTrayHost, func(up bool) {
		if showWhenHostKnown(background, up) {
			fyne.Do(w.showMain)
		}
	})
	if inst != nil {
		go func() {
			for range inst.ShowRequests() {
				fyne.Do(w.showAny)
			}
		}()
	}
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	a.Run()
	cancel()
	w.end()
	return nil
}

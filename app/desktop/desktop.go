// Package desktop is the window's process (ssotray-window): the first-run
// setup or the main window, and a kiosk. Started by the tray's process
// (app/tray), it watches it over the per-user socket (show, the session
// changed, quit) and ends when its window closes; started alone, or as a
// kiosk, it is the single instance itself. It takes the Fyne app and every
// OS piece from Deps, so its decisions run headless in tests;
// cmd/ssotray-window creates the real ones (and so this package never
// imports fyne.io/fyne/v2/app).
package desktop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/idle"
	"github.com/ssotray/ssotray/app/instance"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/startup"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/app/ui"
	"github.com/ssotray/ssotray/assets"
)

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
	// Watch connects to the tray's process (startup.WatchInstance); it
	// fails when there is none.
	Watch func() (Watcher, error)
	// FromTray: the tray's process started this one (StartWindow). When it
	// runs without the socket (no private directory; it has said so), the
	// window is still the tray's: it claims nothing and says nothing more.
	FromTray bool
	// Claim claims the single instance when there is no tray
	// (startup.ClaimInstance).
	Claim func() (startup.Instance, error)
	// Announce tells the tray's process that the stored session or the
	// configuration changed (startup.Announce).
	Announce func()
	// Started tells the tray's process that the window is up
	// (startup.Tell(instance.Started)); nil: nobody is told.
	Started func()
	// Closed is told that the person closed the main window: the process
	// is on its way out, which the caller may bound (Fyne 2.7 can hang in
	// its own shutdown), calling flush first so that a renewed session
	// reaches the store. nil: nobody is told.
	Closed    func(flush func())
	Store     func() tokenstore.Store // the keyring
	RenewLock func() app.RenewLock    // across processes; may return nil
	// KioskBrowser starts and follows a kiosk's browser (TrackedKioskBrowser);
	// alone says this process holds the single instance. An error keeps
	// the kiosk from starting.
	KioskBrowser func(command []string, alone bool) (*launch.Browser, error)
	OpenIdle     func() (idle.Source, error) // the display's idle time (OpenIdle)
	// HoldSignals keeps further signals from ending a kiosk's sign-out
	// (HoldSignals).
	HoldSignals func() (release func())
	// WarmGL starts loading the OpenGL driver for the display of the
	// app's first window; wait returns when it is done (glwarm.Start).
	// nil: nothing.
	WarmGL func() (wait func(), err error)
}

// Watcher hears the tray's process; *instance.Watcher is the real one.
type Watcher interface {
	Messages() <-chan instance.Message
	Close() error
}

// Run shows the window and returns when it closes or ctx ends; then a
// kiosk signs out and any renewed session reaches the store.
func Run(ctx context.Context, d Deps, o startup.Options) error {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	restoreGC := collectLessUntilShown()
	defer restoreGC()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Whether this is a kiosk is decided with the file it may read (only
	// one its user cannot change): see config.Locator.Open.
	cfg, err := d.Locator.Open(o.ConfigPath, o.Kiosk)
	start := startup.Decide(cfg, err, o)
	if start.Screen == startup.ScreenError {
		return start.Err
	}
	// Under the tray's process, or alone: then this is the instance that
	// later starts and verbs talk to. A kiosk is always alone.
	var messages <-chan instance.Message
	announce := d.Announce
	alone := false // this process holds the single instance
	w, err := watchTray(d, start.Kiosk)
	underTray := err == nil || d.FromTray && !start.Kiosk
	switch {
	case err == nil:
		defer w.Close()
		messages = w.Messages()
	case underTray: // a tray without the socket: nothing to hear
	default:
		inst, leave := startup.ClaimOrLeave(d.Claim, d.Stderr)
		if leave {
			return nil
		}
		if inst != nil {
			defer inst.Close()
			messages = inst.Requests()
			alone = true
		}
		announce = nil // nobody else to tell
	}
	var browser *launch.Browser // the kiosk's; nil: browser_command as it is
	if start.Kiosk {
		defer d.HoldSignals()()
		// After the claim: what a crashed kiosk left is closed only by the
		// one instance, never a running kiosk's browsers.
		if browser, err = d.KioskBrowser(start.Config.BrowserCommand, alone); err != nil {
			return fmt.Errorf("the kiosk does not start, so that nothing of the last person's can stay open: %w", err)
		}
	}

	a := d.NewApp()
	fontsLoaded := warmFonts()
	if underTray && d.Started != nil {
		a.Lifecycle().SetOnStarted(func() { go d.Started() })
	}
	// The application icon (for notifications, say) at full size; the window
	// and the sign-in screen take the sizes they show.
	a.SetIcon(fyne.NewStaticResource("ssotray.png", assets.Icon))
	opts := ui.Options{
		Icon:       fyne.NewStaticResource("ssotray-192.png", assets.Icon192),
		WindowIcon: fyne.NewStaticResource("ssotray-64.png", assets.Icon64),
		// Under the tray, its process tells of a session that ended by
		// itself; a window that did too would say it twice.
		Notify: !underTray,
	}
	wins := &windows{}
	if start.Screen == startup.ScreenMain {
		// Creating the window opens the display; the OpenGL driver for it
		// then loads beside the fonts, instead of when the window shows.
		win := a.NewWindow("")
		if d.WarmGL != nil {
			wait, err := d.WarmGL()
			if err != nil {
				d.Logger.Debug("the OpenGL driver loads when the window shows", "why", err)
			}
			win = shownAfter{win, wait}
		}
		if d.Closed != nil {
			win.SetOnClosed(func() {
				d.Closed(func() {
					if core := wins.getCore(); core != nil {
						core.Flush()
					}
				})
			})
		}
		fontsLoaded()
		wins.setCore(startMain(ctx, d, a, win, start.Config, start.Kiosk, browser, announce, opts))
	} else {
		fontsLoaded()
		wins.setup = startSetup(ctx, d, a, opts, announce, wins)
	}
	// The window is drawn: now the work that could wait for it.
	restoreGC()
	// Start-up garbage (font tables above all) would otherwise stay with
	// the process until the runtime's scavenger returns it.
	time.AfterFunc(5*time.Second, debug.FreeOSMemory)
	reload := startup.Latest(func() {
		if core := wins.getCore(); core != nil {
			_ = core.Reload(ctx)
		}
	})
	go func() {
		defer func() {
			if underTray {
				cancel() // the tray's process has ended: the window goes with it
			}
		}()
		for m := range messages {
			switch m {
			case instance.Show:
				fyne.Do(wins.showAny)
			case instance.Changed:
				reload()
			case instance.Quit:
				cancel()
			}
		}
	}()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	a.Run()
	cancel()
	wins.end()
	return nil
}

// watchTray connects to the tray's process, unless this is a kiosk, which
// has none.
func watchTray(d Deps, kiosk bool) (Watcher, error) {
	if kiosk || d.Watch == nil {
		return nil, errors.New("a kiosk has no tray")
	}
	return d.Watch()
}

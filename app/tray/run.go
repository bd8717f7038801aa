package tray

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/instance"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/startup"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/assets"
)

// Shell is the tray as a whole: a Host that runs until it quits (Systray).
type Shell interface {
	Host
	// Run blocks until Quit; ready runs, on a goroutine of its own, once
	// the tray takes an icon and a menu; tapped on a click on the icon.
	Run(ready, tapped func())
	Quit()
}

// Deps are the real world of the tray's process; cmd/ssotray passes the
// real ones, tests their stand-ins.
type Deps struct {
	// Locator finds the configuration; its Getenv sees the SSOTRAY_*
	// variables.
	Locator config.Locator
	Logger  *slog.Logger // nil: discard
	Stderr  io.Writer    // the lines about another instance
	// Claim claims the single instance (startup.ClaimInstance).
	Claim func() (startup.Instance, error)
	// WatchTrayHost reports whether a tray host shows the icon, first once
	// known and then at every change (startup.WatchTrayHost).
	WatchTrayHost func(ctx context.Context, report func(up bool))
	Store         func() tokenstore.Store // the keyring
	RenewLock     func() app.RenewLock    // across processes; may return nil
	// Window makes the starter of the window's process, given the start's
	// flags (StartWindow).
	Window func(args []string) func() (Process, error)
	// Kiosk hands a kiosk over to the window's program, which runs it
	// alone, with no tray: it replaces this process where it can, and
	// returns once the kiosk has ended.
	Kiosk  func(args []string) error
	Shell  Shell
	Notify func(title, body string) // nil: no notifications
}

// Run is ssotray with no verb: the tray, and the window's process when it
// is asked for. It returns when the tray quits or ctx ends.
func Run(ctx context.Context, d Deps, o startup.Options) error {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	// The cause is why the tray ended on its own: no window could be shown
	// where nothing else shows ssotray.
	ctx, end := context.WithCancelCause(ctx)
	cancel := func() { end(nil) }
	defer cancel()
	inst, leave := startup.ClaimOrLeave(d.Claim, d.Stderr)
	if leave {
		return nil
	}
	closeInst := func() {
		if inst != nil {
			inst.Close()
		}
	}

	cfg, err := d.Locator.Open(o.ConfigPath, o.Kiosk)
	start := startup.Decide(cfg, err, o)
	switch {
	case start.Screen == startup.ScreenError:
		closeInst()
		return start.Err
	case start.Kiosk:
		closeInst() // the kiosk's process claims it
		args := o.Args()
		if !o.Kiosk { // decided by the file: the window must not decide otherwise
			args = append(args, "--kiosk")
		}
		return d.Kiosk(args)
	}
	defer closeInst()
	var requests <-chan instance.Message
	broadcast := func(instance.Message) int { return 0 }
	if inst != nil {
		requests, broadcast = inst.Requests(), inst.Broadcast
	}
	win := &window{start: d.Window(o.Args()), broadcast: broadcast, logger: d.Logger}
	defer win.close()

	if start.Screen == startup.ScreenSetup {
		if cfg, err = firstRun(ctx, d, o, win, requests); cfg == nil {
			return err
		}
		o.Background = true // the window is there already, or was closed
	}

	var host startup.TrayHost
	showWindow := func() {
		err := win.show()
		if err == nil {
			return
		}
		if !host.Up() { // Run ends with it, and says it
			end(err)
			return
		}
		fmt.Fprintln(d.Stderr, "ssotray: "+err.Error())
		if d.Notify != nil {
			go d.Notify(app.Name, err.Error())
		}
	}
	// The window's first frame comes before the tray's own start-up work
	// (keyring, network, D-Bus), which would compete with it for the CPU.
	var windowUp sync.Once
	up := make(chan struct{})
	markUp := func() { windowUp.Do(func() { close(up) }) }
	win.setOnExit(func() {
		markUp()
		if !host.Up() {
			cancel() // no tray to come back from
		}
	})
	core := app.New(app.Deps{
		Config:    cfg,
		Store:     d.Store(),
		RenewLock: d.RenewLock(),
		Browser:   launch.NewBrowser(cfg.BrowserCommand).Open,
		Logger:    d.Logger,
		Announce:  func() { broadcast(instance.Changed) },
	})
	defer core.Flush()
	if inst != nil {
		inst.Lend(startup.Lender(core))
	}
	if o.Background || win.running() {
		markUp()
	} else if err := win.show(); err != nil {
		return err
	}
	var bg sync.WaitGroup
	defer bg.Wait()
	defer cancel()
	bg.Add(1)
	go func() {
		defer bg.Done()
		serve(ctx, requests, showWindow, markUp, startup.Latest(func() {
			_ = core.Reload(ctx)
			broadcast(instance.Changed) // on to the window
		}))
	}()
	select {
	case <-up:
		time.Sleep(afterWindow)
	case <-time.After(windowWait):
	case <-ctx.Done():
	}
	// The tray then waits for hours: hand back what the start-up used
	// (restore, TLS, D-Bus) once it has settled, not minutes later when
	// the runtime's scavenger would.
	settled := time.AfterFunc(settleWait, debug.FreeOSMemory)
	defer settled.Stop()
	bg.Add(2)
	go func() {
		defer bg.Done()
		host.Follow(ctx, d.WatchTrayHost, func(up bool) {
			d.Logger.Debug("tray host known", "up", up)
			if showWhenHostKnown(o.Background, up) {
				showWindow()
			}
		})
	}()
	go func() {
		defer bg.Done()
		_ = core.Restore(ctx)
		core.KeepFresh(ctx) // renews before expiry; retries while the provider is down
	}()

	// At the end the session's last write reaches the keyring before the
	// tray lets go of the session bus, which go-keyring shares.
	go func() {
		<-ctx.Done()
		bg.Wait()
		core.Flush()
		d.Shell.Quit()
	}()
	var t *Tray
	var ready sync.WaitGroup
	ready.Add(1)
	d.Shell.Run(func() {
		defer ready.Done()
		t = New(core, d.Shell, Options{
			SignedIn: assets.TraySignedIn, SignedOut: assets.TraySignedOut,
			Notify: d.Notify, ShowWindow: showWindow, Quit: cancel,
		})
	}, showWindow)
	cancel()
	ready.Wait()
	if t != nil {
		t.Close()
	}
	if err := context.Cause(ctx); !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// windowWait bounds the wait for the window's "started"; afterWindow is
// left for its first frame to be drawn.
const (
	windowWait  = 2 * time.Second
	afterWindow = 100 * time.Millisecond
	settleWait  = 5 * time.Second
)

// serve answers other processes until ctx ends: Show runs show, Started
// started, Changed changed.
func serve(ctx context.Context, requests <-chan instance.Message, show, started, changed func()) {
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-requests:
			switch {
			case !ok:
				return
			case m == instance.Show:
				show()
			case m == instance.Started:
				started()
			case m == instance.Changed:
				changed()
			}
		}
	}
}

// firstRun shows the first-run setup in the window's process and returns
// the configuration it saved once it says so (it goes on as the main
// window), or once it has ended; nil when none was saved or ctx ended, and
// the error when the window could not be started.
func firstRun(ctx context.Context, d Deps, o startup.Options, win *window, requests <-chan instance.Message) (*config.Config, error) {
	saved := func() *config.Config {
		cfg, err := d.Locator.Open(o.ConfigPath, o.Kiosk)
		if s := startup.Decide(cfg, err, o); s.Screen == startup.ScreenMain && !s.Kiosk {
			return s.Config
		}
		return nil
	}
	ended := make(chan struct{})
	var endedOnce sync.Once
	win.setOnExit(func() { endedOnce.Do(func() { close(ended) }) })
	if err := win.show(); err != nil {
		return nil, err
	}
	for {
		select {
		case <-ctx.Done():
			return nil, nil
		case <-ended:
			return saved(), nil
		case m, ok := <-requests:
			switch {
			case !ok:
				requests = nil
			case m == instance.Show:
				_ = win.show() // it started once: a second start fails as rarely
			case m == instance.Changed:
				if cfg := saved(); cfg != nil {
					return cfg, nil
				}
			}
		}
	}
}

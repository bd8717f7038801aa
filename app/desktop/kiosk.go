package desktop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/idle"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/proctree"
	"github.com/ssotray/ssotray/app/rundir"
)

// TrackedKioskBrowser returns the real Deps.KioskBrowser: every process the
// kiosk's browser starts is followed as a tree (with ssotray as the child
// subreaper, so orphans stay its descendants) and recorded in the user's
// runtime directory; what a crashed kiosk left running is closed first.
// Whatever of that cannot be done stops the kiosk: without it the last
// person's browser could outlive a crash.
//
// Elsewhere than Linux (no /proc) the browser's own process group is ended,
// as before.
func TrackedKioskBrowser(getenv func(string) string, logger *slog.Logger) func(command []string, alone bool) (*launch.Browser, error) {
	return func(command []string, alone bool) (*launch.Browser, error) {
		if runtime.GOOS != "linux" {
			return launch.NewBrowser(command), nil
		}
		if !alone {
			// The record and the profiles might be a running kiosk's.
			return nil, errors.New("without the check for a second ssotray (see the warning above) it cannot tell a crashed kiosk's browsers from a running one's")
		}
		t := &proctree.Tracker{Table: proctree.ProcFS{}, Kill: proctree.OS{}}
		if err := proctree.BecomeSubreaper(); err != nil {
			return nil, fmt.Errorf("cannot follow the browsers' processes: %w", err)
		}
		t.Self = os.Getpid()
		dir, err := rundir.Default(getenv).Find()
		if err != nil {
			return nil, fmt.Errorf("no private directory to record the browsers and keep their profiles in: %w", err)
		}
		b := launch.NewBrowser(command)
		b.Tracker = t
		t.Record = &proctree.Record{Path: filepath.Join(dir, proctree.RecordFile), Boot: proctree.BootID()}
		b.ProfileParent = filepath.Join(dir, launch.ProfileDir)
		if err := t.CloseLeftovers(); err != nil {
			return nil, fmt.Errorf("closing the browsers an earlier run left: %w", err)
		}
		if err := launch.RemoveLeftoverProfiles(b.ProfileParent); err != nil {
			return nil, fmt.Errorf("removing the browser profiles an earlier run left: %w", err)
		}
		logger.Debug("kiosk: browsers are followed", "record", t.Record.Path)
		return b, nil
	}
}

// HoldSignals is the real Deps.HoldSignals. Once a signal has started the
// kiosk's sign-out, more of them (logind sends SIGTERM and SIGHUP together)
// must not cut it short: while this is registered they are caught, not
// fatal.
func HoldSignals() (release func()) {
	hold := make(chan os.Signal, 1)
	signal.Notify(hold, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	return func() { signal.Stop(hold) }
}

// OpenIdle is the real Deps.OpenIdle: the idle time of the whole display.
func OpenIdle() (idle.Source, error) { return idle.Open(os.Getenv) }

// watchKiosk applies the idle timeout and session limit, reading the idle
// time of the whole display, or of ssotray's own window where the display
// cannot tell it.
func watchKiosk(ctx context.Context, core *app.Core, open func() (idle.Source, error), logger *slog.Logger) {
	var src app.IdleSource
	if s, err := open(); err == nil {
		defer s.Close()
		src = s
	} else {
		logger.Warn("kiosk: the display does not tell its idle time; only input in ssotray's window counts", "err", err)
		src = core.WindowInput()
	}
	core.WatchKiosk(ctx, src)
}

// Command ssotray is the desktop sign-in companion: the verbs, and with no
// verb the tray. It is pure Go with no Fyne driver, so verbs start like any
// command-line tool and the tray costs little while it waits; the window
// is ssotray-window, beside it (app/tray starts it). This file only wires
// the real world (keyring, browser, terminal, environment, signals, the
// tray) to app/cli and app/tray.
package main

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/pkg/browser"
	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/cli"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/ownenv"
	"github.com/ssotray/ssotray/app/startup"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/app/tray"
	"github.com/ssotray/ssotray/app/winconsole"
	"golang.org/x/term"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { os.Exit(run()) }

func run() int {
	// ssotray.exe is a GUI program: a verb started from a console gets
	// that console for the streams that have no handle (first, as the
	// streams are set aside below).
	prints := cli.Prints(os.Args[1:])
	if prints {
		// fyne.io/systray's init ties the main goroutine to the main
		// thread, which only the tray's loop needs (on Windows and macOS);
		// a verb would pay for the threads the runtime starts around it.
		runtime.UnlockOSThread()
	}
	// ssotray.com (the console build, for terminals) leaves the tray and
	// the window to ssotray.exe, which no terminal holds.
	if handed, err := winconsole.HandOff(prints, os.Args[1:]); handed {
		if err != nil {
			fmt.Fprintln(os.Stderr, "ssotray:", err)
			return 1
		}
		return 0
	}
	console := winconsole.Attach(prints)
	// The SSOTRAY_* variables (the client secret among them) are read from
	// here on, and no program ssotray starts inherits them.
	own := ownenv.Take()
	// xdg-open's chatter must not mix with what verbs print on stdout.
	browser.Stdout = os.Stderr
	logger := startup.Logger(own.Getenv)
	logger.Debug("console", console.LogAttrs()...)
	// fyne.io/systray reports on the standard logger (no tray host yet, say);
	// that is for the debug log, not the terminal of a verb.
	log.SetOutput(slogWriter{logger})
	var readPassword func() (string, error)
	if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
		// A prompt cut short by Ctrl-C would leave echo off.
		if st, err := term.GetState(fd); err == nil {
			defer func() { _ = term.Restore(fd, st) }()
		}
		readPassword = func() (string, error) {
			b, err := term.ReadPassword(fd)
			return string(b), err
		}
	}
	locator := startup.Locator(own.Getenv)
	return cli.Run(context.Background(), cli.Env{
		Interruptible: interruptible,
		Stdin:         os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv:       own.Getenv,
		Locator:      locator,
		Store:        func() tokenstore.Store { return tokenstore.NewKeyring() },
		RenewLock:    func() app.RenewLock { return startup.RenewLock(logger) },
		Announce:     startup.Announce,
		Borrow:       startup.Borrow,
		ProbeStore:   func() tokenstore.Store { return tokenstore.NewProbe() },
		ReadPassword: readPassword,
		GUI: func(ctx context.Context, o startup.Options) error {
			return tray.Run(ctx, trayDeps(locator, own, logger), o)
		},
		Version: version,
		Logger:  logger,
	}, os.Args[1:])
}

// interruptible is cancelled by Ctrl-C, SIGTERM and SIGHUP (a kiosk signs
// out before it ends, whichever ends it); after the first cancels, a second
// one ends the process at once.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	context.AfterFunc(ctx, stop)
	return ctx, stop
}

// slogWriter passes the standard logger's lines to a slog.Logger at debug level.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Debug(strings.TrimSpace(string(p)))
	return len(p), nil
}

// trayDeps are the real OS pieces of the tray's process.
func trayDeps(locator config.Locator, own ownenv.Env, logger *slog.Logger) tray.Deps {
	return tray.Deps{
		Locator:       locator,
		Logger:        logger,
		Stderr:        os.Stderr,
		Claim:         startup.ClaimInstance,
		WatchTrayHost: startup.WatchTrayHost,
		Store:         func() tokenstore.Store { return tokenstore.NewKeyring() },
		RenewLock:     func() app.RenewLock { return startup.RenewLock(logger) },
		Window: func(args []string) func() (tray.Process, error) {
			return tray.StartWindow(own, os.Stderr, args)
		},
		Kiosk:  func(args []string) error { return tray.RunKiosk(own, args) },
		Shell:  tray.NewSystray(),
		Notify: tray.Notify,
	}
}

// Command ssotray is the desktop sign-in companion. This file only wires the
// real world (keyring, browser, terminal, environment, signals, the Fyne
// app) to app/cli and, when no verb is given, to app/desktop.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"github.com/pkg/browser"
	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/cli"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/desktop"
	"github.com/ssotray/ssotray/app/renewlock"
	"github.com/ssotray/ssotray/app/tokenstore"
	"golang.org/x/term"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { os.Exit(run()) }

func run() int {
	// The SSOTRAY_* variables (the client secret among them) are read from
	// here on, and no program ssotray starts inherits them.
	getenv := takeOwnEnv()
	// A kiosk signs out before it ends, whichever of these ends it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// After the first Ctrl-C cancels, a second one ends the process at once.
	context.AfterFunc(ctx, stop)
	// xdg-open's chatter must not mix with what verbs print on stdout.
	browser.Stdout = os.Stderr
	logger := slog.New(slog.DiscardHandler)
	if getenv("SSOTRAY_DEBUG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
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
	locator := config.DefaultLocator()
	locator.Getenv = getenv
	return cli.Run(ctx, cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv:    getenv,
		Locator:   locator,
		Store:     func() tokenstore.Store { return tokenstore.NewKeyring() },
		RenewLock: renewLock(logger),
		ProbeStore: func() tokenstore.Store {
			return &tokenstore.Keyring{Backend: tokenstore.System{}, Service: "ssotray", Account: "doctor-probe"}
		},
		ReadPassword: readPassword,
		GUI: func(ctx context.Context, o cli.GUIOptions) error {
			return desktop.Run(ctx, desktopDeps(locator, getenv, logger), desktop.Options(o))
		},
		Version: version,
		Logger:  logger,
	}, os.Args[1:])
}

// desktopDeps are the real app and OS pieces of the window's start-up.
func desktopDeps(locator config.Locator, getenv func(string) string, logger *slog.Logger) desktop.Deps {
	return desktop.Deps{
		NewApp:        func() fyne.App { return fyneapp.NewWithID("io.github.ssotray") },
		Locator:       locator,
		Getenv:        getenv,
		Logger:        logger,
		Stderr:        os.Stderr,
		Claim:         desktop.ClaimInstance,
		WatchTrayHost: desktop.WatchSessionBus,
		Store:         func() tokenstore.Store { return tokenstore.NewKeyring() },
		RenewLock:     func() app.RenewLock { return renewLock(logger) },
		KioskBrowser:  desktop.TrackedKioskBrowser(getenv, logger),
		OpenIdle:      desktop.OpenIdle,
		HoldSignals:   desktop.HoldSignals,
	}
}

// renewLock is the per-user lock that keeps renewals of the keyring's
// session to one at a time across ssotray processes (the window and any
// number of `ssotray token`): a file beside the instance socket. nil, with
// a warning in the debug log, when the user has no private directory for
// it: renewals are then one at a time within each process only.
func renewLock(logger *slog.Logger) app.RenewLock {
	path, err := renewlock.Path(os.Getenv)
	if err != nil {
		logger.Warn("session renewals are not coordinated with other ssotray processes", "err", err)
		return nil
	}
	return renewlock.New(path)
}

// takeOwnEnv removes the SSOTRAY_* variables from the process environment,
// so that no browser, opener or helper ssotray starts inherits them (the
// client secret above all), and returns a getenv that still sees them.
func takeOwnEnv() func(string) string {
	own := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(strings.ToUpper(k), "SSOTRAY_") {
			own[k] = v
			_ = os.Unsetenv(k)
		}
	}
	return func(k string) string {
		if v, ok := own[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
}

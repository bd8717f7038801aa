// Command ssotray-window is ssotray's window: the only ssotray program that
// links Fyne's driver. ssotray (app/tray) starts it when the window is
// asked for, and runs a kiosk in it; it ends when its window closes. This
// file only wires the real world (keyring, Fyne, signals) to app/desktop.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"github.com/pkg/browser"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/desktop"
	"github.com/ssotray/ssotray/app/glwarm"
	"github.com/ssotray/ssotray/app/instance"
	"github.com/ssotray/ssotray/app/ownenv"
	"github.com/ssotray/ssotray/app/startup"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/assets"
)

func main() { os.Exit(run()) }

func run() int {
	fs := flag.NewFlagSet("ssotray-window", flag.ContinueOnError)
	var o startup.Options
	fs.StringVar(&o.ConfigPath, "config", "", "the configuration file")
	fs.BoolVar(&o.Kiosk, "kiosk", false, "the shared-machine rules")
	fromStdin := fs.Bool(ownenv.StdinFlag, false, "read ssotray's own settings from standard input")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	// ssotray's own variables (the client secret among them): from the
	// tray's pipe, or from the environment, and in neither case left where
	// a program this one starts would inherit them.
	own := ownenv.Take()
	if *fromStdin {
		piped, err := ownenv.Read(os.Stdin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ssotray-window:", err)
			return 1
		}
		own = piped.Over(own) // the process's own environment wins
	}
	if own.Getenv(ownenv.WindowLanguage) != "" {
		_ = os.Unsetenv("LANGUAGE") // Fyne has read it; the browsers get the user's own
	}
	// A kiosk signs out before it ends, whichever of these ends it; the
	// window of a tray that has ended gets SIGTERM. Whatever holds the end
	// up, the process is gone 15 s later (a kiosk's sign-out takes 3).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	context.AfterFunc(ctx, func() { endWithin(15*time.Second, "a signal", nil, 1) })
	// A closed window ends the process, which Fyne 2.7 can leave hanging in
	// its shutdown (a settings-file callback queued on its main loop while
	// it drains); meanwhile the tray would open no new window.
	closed := func(flush func()) { endWithin(3*time.Second, "its window closed", flush, 0) }
	browser.Stdout = os.Stderr
	logger := startup.Logger(own.Getenv)
	err := desktop.Run(ctx, desktop.Deps{
		NewApp:   func() fyne.App { return fyneapp.NewWithID(assets.AppID) },
		Locator:  startup.Locator(own.Getenv),
		Getenv:   own.Getenv,
		Logger:   logger,
		Stderr:   os.Stderr,
		Watch:    func() (desktop.Watcher, error) { return watch() },
		FromTray: *fromStdin, // only the tray's process starts it so
		Closed:   closed,
		Claim:    startup.ClaimInstance,
		Announce: startup.Announce,
		Started:  func() { startup.Tell(instance.Started) },
		Store:    func() tokenstore.Store { return tokenstore.NewKeyring() },
		RenewLock: func() app.RenewLock {
			return startup.RenewLock(logger)
		},
		KioskBrowser: desktop.TrackedKioskBrowser(own.Getenv, logger),
		OpenIdle:     desktop.OpenIdle,
		HoldSignals:  desktop.HoldSignals,
		WarmGL:       glwarm.Start,
	}, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ssotray:", err)
		return 1
	}
	return 0
}

// watch connects to the tray's process; not a typed nil inside the
// interface when there is none.
func watch() (desktop.Watcher, error) {
	w, err := startup.WatchInstance()
	if err != nil {
		return nil, err
	}
	return w, nil
}

// endWithin ends the process with code unless it has ended by itself
// within wait after why; flush, if any, runs first.
func endWithin(wait time.Duration, why string, flush func(), code int) {
	time.AfterFunc(wait, func() {
		fmt.Fprintf(os.Stderr, "ssotray-window: still running %s after %s; ending now\n", wait, why)
		if flush != nil {
			flush()
		}
		os.Exit(code)
	})
}

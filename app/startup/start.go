// Package startup holds the decisions of ssotray's start with a display,
// shared by the tray's process (app/tray) and the window's (app/desktop):
// which screen comes first, whether this is a kiosk, the single instance,
// and whether a tray host shows the icon. No widgets, no Fyne.
package startup

import (
	"errors"
	"fmt"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/launch"
)

// Options are the global flags that shape a start with no verb.
type Options struct {
	ConfigPath string
	Kiosk      bool // the shared-machine rules, as kiosk.enabled
	// Background starts with only the tray icon (autostart at login); the
	// window opens anyway when no tray host shows the icon.
	Background bool
}

// Args are the flags that give a window's process the same start.
func (o Options) Args() []string {
	var args []string
	if o.ConfigPath != "" {
		args = append(args, "--config", o.ConfigPath)
	}
	if o.Kiosk {
		args = append(args, "--kiosk")
	}
	return args
}

// Screen is what the start-up shows first.
type Screen int

const (
	// ScreenError: nothing is shown; the start fails with Start.Err.
	ScreenError Screen = iota
	// ScreenSetup: the first-run window, which writes the configuration.
	ScreenSetup
	// ScreenMain: the main window (or only the tray) for Start.Config.
	ScreenMain
)

// Start is the decision taken from the configuration lookup, once: every
// later step reads Kiosk from here, so no part of the start-up can come to
// another answer from a flag or a field.
type Start struct {
	Screen Screen
	Config *config.Config // ScreenMain only
	Kiosk  bool
	Err    error // ScreenError only
}

// Decide takes what config.Locator.Open returned for o. Only a plain start
// (no --config, no --kiosk) that found no file gets the first-run setup:
// an explicit file that is missing is the caller's mistake to hear about,
// and a kiosk must never let its user write its configuration. A kiosk is
// what Open decided (Kiosk.Enabled), and it is refused without a
// browser_command, which ssotray alone starts and closes.
func Decide(cfg *config.Config, err error, o Options) Start {
	var notFound *config.NotFoundError
	switch {
	case errors.As(err, &notFound) && o.ConfigPath == "" && !o.Kiosk:
		return Start{Screen: ScreenSetup}
	case err != nil:
		return Start{Screen: ScreenError, Err: err}
	}
	kiosk := cfg.Kiosk.Enabled
	if kiosk {
		if err := launch.KioskBrowser(cfg.BrowserCommand); err != nil {
			return Start{Screen: ScreenError, Kiosk: true, Err: err}
		}
	}
	return Start{Screen: ScreenMain, Config: cfg, Kiosk: kiosk}
}

// AfterSetup says whether the configuration the first-run window saved at
// path (loaded as cfg, or failing with err) can run the main window. It
// cannot when it does not load, and never as a kiosk: a kiosk reads only a
// file its user cannot change, and the setup wrote one its user owns.
func AfterSetup(path string, cfg *config.Config, err error) error {
	if err == nil && cfg.Kiosk.Enabled {
		err = launch.KioskBrowser(cfg.BrowserCommand)
	}
	if err != nil {
		return fmt.Errorf("the configuration was saved, but cannot be used: %w; correct it and start ssotray again", err)
	}
	if cfg.Kiosk.Enabled {
		return fmt.Errorf("the configuration was saved with kiosk mode on, but a kiosk takes its configuration only from a file its user cannot change: as root, install -o root -g root -m 644 %s /etc/ssotray/config.yaml, then start ssotray again", path)
	}
	return nil
}

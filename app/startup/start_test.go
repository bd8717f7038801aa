package startup

import (
	"errors"
	"strings"
	"testing"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/launch"
)

func kioskConfig(browser ...string) *config.Config {
	cfg := &config.Config{BrowserCommand: browser}
	cfg.Kiosk.Enabled = true
	return cfg
}

// TestDecide: which screen the start shows, from config.Locator.Open's
// result and the flags, and whether it is a kiosk.
func TestDecide(t *testing.T) {
	notFound := &config.NotFoundError{Tried: []string{"/home/u/.config/ssotray/config.yaml"}}
	broken := errors.New("authentik.server_url: not a URL")
	plain := &config.Config{}
	for _, tc := range []struct {
		name      string
		cfg       *config.Config
		err       error
		o         Options
		screen    Screen
		kiosk     bool
		wantErrIs error  // for ScreenError
		wantErr   string // for ScreenError
	}{
		{name: "no file, plain start: first-run setup", err: notFound, screen: ScreenSetup},
		{name: "no file, --background: first-run setup all the same", err: notFound, o: Options{Background: true}, screen: ScreenSetup},
		{name: "no file behind --config: an error, not the setup", err: notFound, o: Options{ConfigPath: "/x.yaml"}, screen: ScreenError, wantErrIs: notFound},
		{name: "no file with --kiosk: an error, a kiosk's user writes no configuration", err: notFound, o: Options{Kiosk: true}, screen: ScreenError, wantErrIs: notFound},
		{name: "a configuration that does not load: an error", err: broken, screen: ScreenError, wantErrIs: broken},
		{name: "a configuration: the main window", cfg: plain, screen: ScreenMain},
		{name: "a configuration with --background: the main window (in the tray)", cfg: plain, o: Options{Background: true}, screen: ScreenMain},
		{name: "kiosk as Open decided it from the system file", cfg: kioskConfig("chromium"), screen: ScreenMain, kiosk: true},
		{name: "--kiosk as Open decided it", cfg: kioskConfig("chromium"), o: Options{Kiosk: true}, screen: ScreenMain, kiosk: true},
		{name: "a kiosk without browser_command is refused", cfg: kioskConfig(), o: Options{Kiosk: true}, screen: ScreenError, kiosk: true,
			wantErrIs: launch.ErrKioskNeedsBrowserCommand, wantErr: "browser_command is not set"},
		{name: "kiosk.enabled without browser_command is refused too", cfg: kioskConfig(), screen: ScreenError, kiosk: true,
			wantErrIs: launch.ErrKioskNeedsBrowserCommand},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.cfg, tc.err, tc.o)
			if got.Screen != tc.screen || got.Kiosk != tc.kiosk {
				t.Fatalf("Decide = screen %v kiosk %v (err %v), want screen %v kiosk %v", got.Screen, got.Kiosk, got.Err, tc.screen, tc.kiosk)
			}
			if tc.screen != ScreenError {
				if got.Err != nil {
					t.Errorf("Err = %v, want none", got.Err)
				}
				if tc.screen == ScreenMain && got.Config != tc.cfg {
					t.Errorf("Config is not the one Open returned")
				}
				return
			}
			if !errors.Is(got.Err, tc.wantErrIs) {
				t.Errorf("Err = %v, want %v", got.Err, tc.wantErrIs)
			}
			if !strings.Contains(got.Err.Error(), tc.wantErr) {
				t.Errorf("Err = %v, want it to say %q", got.Err, tc.wantErr)
			}
		})
	}
}

// TestAfterSetup: whether the configuration the setup saved can run the
// main window.
func TestAfterSetup(t *testing.T) {
	const path = "/home/u/.config/ssotray/config.yaml"
	for _, tc := range []struct {
		name    string
		cfg     *config.Config
		err     error
		wantErr []string // all in the message; none: usable
	}{
		{name: "usable", cfg: &config.Config{}},
		{name: "does not load", err: errors.New("authentik.client_id: missing"),
			wantErr: []string{"saved, but cannot be used: authentik.client_id: missing", "start ssotray again"}},
		{name: "kiosk without browser_command", cfg: kioskConfig(),
			wantErr: []string{"saved, but cannot be used", "browser_command is not set"}},
		{name: "kiosk: only from a file its user cannot change", cfg: kioskConfig("chromium"),
			wantErr: []string{"kiosk mode on", "install -o root -g root -m 644 " + path + " /etc/ssotray/config.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := AfterSetup(path, tc.cfg, tc.err)
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("AfterSetup = %v, want usable", err)
				}
				return
			}
			if err == nil {
				t.Fatal("AfterSetup = nil, want an error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("AfterSetup = %q, want it to say %q", err, w)
				}
			}
		})
	}
}

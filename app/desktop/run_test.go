package desktop

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/instance"
	"github.com/ssotray/ssotray/app/launch"
)

const validConfig = "authentik:\n  server_url: https://auth.example.com\n"

func TestRunAnotherInstanceLeaves(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("user/ssotray/config.yaml", validConfig)
	h.claim = func() (Instance, error) { return nil, instance.ErrRunning }
	if err := h.start(Options{}); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if h.newApps != 0 {
		t.Error("a second instance created the Fyne app")
	}
	if got := h.stderr.String(); got != "ssotray: "+instance.ErrRunning.Error()+"\n" {
		t.Errorf("stderr = %q", got)
	}
}

func TestRunClaimFailsStartsAnyway(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("user/ssotray/config.yaml", validConfig)
	h.claim = func() (Instance, error) { return nil, errors.New("no private directory") }
	if err := h.start(Options{}); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if n, _ := h.app.shown("ssotray"); n != 1 {
		t.Errorf("main window shown %d times, want 1", n)
	}
	if !strings.Contains(h.stderr.String(), "warning: running without the check for a second window: no private directory") {
		t.Errorf("stderr = %q", h.stderr.String())
	}
}

func TestRunKioskWithoutBrowserCommandRefused(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("etc/config.yaml", validConfig)
	err := h.start(Options{Kiosk: true})
	if !errors.Is(err, launch.ErrKioskNeedsBrowserCommand) {
		t.Fatalf("Run = %v, want %v", err, launch.ErrKioskNeedsBrowserCommand)
	}
	if h.newApps != 0 || h.held != 0 {
		t.Errorf("a refused kiosk went on: apps %d, signal holds %d", h.newApps, h.held)
	}
}

func TestRunKiosk(t *testing.T) {
	h := newHarness(t)
	// kiosk.enabled in the system file: decided at load, with no --kiosk.
	h.writeConfig("etc/config.yaml", validConfig+"browser_command: [chromium]\nkiosk:\n  enabled: true\n")
	if err := h.start(Options{Background: true}); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if h.held != 1 {
		t.Errorf("signals held %d times, want 1", h.held)
	}
	if n, _ := h.app.shown("ssotray"); n != 1 {
		t.Errorf("kiosk window shown %d times, want 1 (a kiosk ignores --background)", n)
	}
}

func TestRunFirstRun(t *testing.T) {
	h := newHarness(t)
	if err := h.start(Options{}); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if n, _ := h.app.shown("Set up ssotray"); n != 1 {
		t.Errorf("setup window shown %d times, want 1", n)
	}
	if _, ok := h.app.shown("ssotray"); ok {
		t.Error("a main window was built before the setup saved a configuration")
	}
	if h.app.trays != 1 {
		t.Errorf("tray placeholders = %d, want 1", h.app.trays)
	}
}

func TestRunMissingExplicitConfig(t *testing.T) {
	h := newHarness(t)
	err := h.start(Options{ConfigPath: filepath.Join(h.dir, "missing.yaml")})
	if err == nil || !strings.Contains(err.Error(), "cannot be read") {
		t.Fatalf("Run = %v, want the file's error", err)
	}
	if h.newApps != 0 {
		t.Error("the Fyne app was created for a start that fails")
	}
}

func TestRunBackground(t *testing.T) {
	for _, tc := range []struct {
		name       string
		background bool
		hostUp     bool
		shows      int
	}{
		{name: "plain start", hostUp: true, shows: 1},
		{name: "--background with a tray host: only the tray", background: true, hostUp: true, shows: 0},
		{name: "--background with no tray host: the window shows", background: true, shows: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.hostUp = tc.hostUp
			h.writeConfig("user/ssotray/config.yaml", validConfig)
			if err := h.start(Options{Background: tc.background}); err != nil {
				t.Fatalf("Run = %v", err)
			}
			if n, _ := h.app.shown("ssotray"); n != tc.shows {
				t.Errorf("main window shown %d times, want %d", n, tc.shows)
			}
		})
	}
}

func TestRunShowRequest(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("user/ssotray/config.yaml", validConfig)
	in := &fakeInstance{show: make(chan struct{})}
	h.claim = func() (Instance, error) { return in, nil }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, h.deps(), Options{Background: true}) }()
	<-h.hostSet
	if n, _ := h.app.shown("ssotray"); n != 0 {
		t.Fatalf("main window shown %d times with --background and a tray host, want 0", n)
	}
	in.show <- struct{}{} // another start knocks
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if n, _ := h.app.shown("ssotray"); n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the main window did not show for another start")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

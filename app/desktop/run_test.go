package desktop

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssotray/ssotray/app/instance"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/startup"
	"github.com/ssotray/ssotray/app/tokenstore"
)

const validConfig = "authentik:\n  server_url: https://auth.example.com\n"

func TestRunAlone(t *testing.T) {
	for _, tc := range []struct {
		name     string
		config   string // in the user's directory ("" none)
		system   string // in /etc
		o        startup.Options
		fromTray bool // started by a tray that has no socket to watch
		noClaim  bool // the single instance is not claimed
		claim    error
		kioskErr error // of Deps.KioskBrowser
		wantErr  error
		wantText string // in the error
		stderr   string
		window   string // the title shown, "" none
	}{
		{name: "another instance runs: it is asked, this one leaves", config: validConfig, claim: instance.ErrRunning,
			stderr: "ssotray: " + instance.ErrRunning.Error() + "\n"},
		{name: "the claim fails: the window shows all the same", config: validConfig, claim: errors.New("no private directory"),
			stderr: "ssotray: warning: running without the check for a second window: no private directory\n", window: "ssotray"},
		{name: "started by a tray without the socket: no claim, no second warning", config: validConfig, fromTray: true, noClaim: true,
			claim: errors.New("no private directory"), window: "ssotray"},
		{name: "a kiosk the tray's process started (Windows): alone all the same", system: validConfig + "browser_command: [chromium]\nkiosk:\n  enabled: true\n", fromTray: true,
			claim: errors.New("no private directory"), stderr: "ssotray: warning: running without the check for a second window: no private directory\n", window: "ssotray"},
		{name: "first run: the setup", window: "Set up ssotray"},
		{name: "an explicit file that is missing", o: startup.Options{ConfigPath: "/nowhere.yaml"}, wantText: "cannot be read"},
		{name: "a kiosk without browser_command", system: validConfig, o: startup.Options{Kiosk: true}, wantErr: launch.ErrKioskNeedsBrowserCommand},
		{name: "a kiosk that cannot close what a crashed run left does not start", system: validConfig + "browser_command: [chromium]\nkiosk:\n  enabled: true\n",
			kioskErr: errors.New("closing the browsers an earlier run left: 4242 still runs"),
			wantText: "the kiosk does not start, so that nothing of the last person's can stay open: closing the browsers an earlier run left: 4242 still runs"},
		{name: "a kiosk, decided at load (kiosk.enabled)", system: validConfig + "browser_command: [chromium]\nkiosk:\n  enabled: true\n", window: "ssotray"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if tc.config != "" {
				h.writeConfig("user/ssotray/config.yaml", tc.config)
			}
			if tc.system != "" {
				h.writeConfig("etc/config.yaml", tc.system)
			}
			if tc.claim != nil {
				h.claim = func() (startup.Instance, error) { return nil, tc.claim }
			}
			h.fromTray = tc.fromTray
			h.kioskErr = tc.kioskErr
			err := h.start(tc.o)
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr),
				tc.wantText != "" && (err == nil || !strings.Contains(err.Error(), tc.wantText)),
				tc.wantErr == nil && tc.wantText == "" && err != nil:
				t.Fatalf("Run = %v", err)
			}
			if tc.window != "" && (h.claims == 0) != tc.noClaim {
				t.Errorf("claimed the instance %d times (want none: %v)", h.claims, tc.noClaim)
			}
			if h.stderr.String() != tc.stderr {
				t.Errorf("stderr %q, want %q", h.stderr.String(), tc.stderr)
			}
			if tc.window == "" {
				if h.newApps != 0 {
					t.Error("the Fyne app was created for a start that shows nothing")
				}
				return
			}
			if n, _ := h.app.shown(tc.window); n != 1 {
				t.Errorf("window %q shown %d times, want 1", tc.window, n)
			}
			// The main window's driver loads beside the fonts; the setup's
			// start-up is not worth it.
			if want := tc.window == "ssotray"; (h.warms == 1) != want || (h.waits.Load() > 0) != want {
				t.Errorf("the OpenGL driver was loaded early %d times, and waited for %d times before a show (want once: %v)", h.warms, h.waits.Load(), want)
			}
		})
	}
}

// TestRunKioskIsAlone: a kiosk never joins a tray's process, even when one
// runs: it claims the instance and holds signals for its sign-out.
func TestRunKioskIsAlone(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("etc/config.yaml", validConfig+"browser_command: [chromium]\nkiosk:\n  enabled: true\n")
	h.watch = func() (Watcher, error) { t.Error("a kiosk watched a tray"); return nil, errors.New("no") }
	if err := h.start(startup.Options{Kiosk: true}); err != nil {
		t.Fatal(err)
	}
	if h.claims != 1 || h.held != 1 || h.kiosks != 1 || !h.kioskAlone {
		t.Errorf("claims %d, signal holds %d, kiosk browsers %d (alone %v); want 1, 1, 1 (true)", h.claims, h.held, h.kiosks, h.kioskAlone)
	}
}

// TestRunUnderTheTray: started by the tray's process, the window does not
// claim the instance, comes to the front when asked, takes up a session
// stored elsewhere, tells the tray of its own, and closes on Quit.
func TestRunUnderTheTray(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("user/ssotray/config.yaml", validConfig)
	w := &fakeWatcher{messages: make(chan instance.Message, 4)}
	h.watch = func() (Watcher, error) { return w, nil }
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), h.deps(), startup.Options{}) }()
	shown := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			h.appMu.Lock()
			a := h.app
			h.appMu.Unlock()
			if a != nil {
				if got, _ := a.shown("ssotray"); got == n {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("the window was not shown %d times", n)
			}
		}
	}
	shown(1)
	w.messages <- instance.Show
	shown(2)

	// The tray (or a verb) signed in and says so.
	s := &tokenstore.Session{Method: "authentik", Server: "https://auth.example.com/application/o/ssotray/", Subject: "a1", Username: "alice",
		AccessToken: "at", RefreshToken: "rt", Expiry: time.Now().Add(time.Hour)}
	if err := h.store.Save(s); err != nil {
		t.Fatal(err)
	}
	w.messages <- instance.Changed
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var m string
		fyne.DoAndWait(func() { m = test.RenderToMarkup(h.app.windows[0].Canvas()) })
		if strings.Contains(m, "alice") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session stored elsewhere is not on screen:\n%s", m)
		}
	}
	w.messages <- instance.Quit
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Quit from the tray did not close the window")
	}
	if h.claims != 0 {
		t.Error("a window under the tray claimed the instance")
	}
}

// TestRunTellsTheWindowClosed: closing the main window tells Deps.Closed,
// whose flush returns (nothing is being written here), so the caller can
// bound the process's end without losing a renewed session.
func TestRunTellsTheWindowClosed(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("user/ssotray/config.yaml", validConfig)
	told := make(chan func(), 1)
	h.closed = func(flush func()) { told <- flush }
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), h.deps(), startup.Options{}) }()
	var win fyne.Window
	for deadline := time.Now().Add(5 * time.Second); win == nil; time.Sleep(5 * time.Millisecond) {
		h.appMu.Lock()
		if a := h.app; a != nil && a.anyShown() {
			a.mu.Lock()
			win = a.windows[0]
			a.mu.Unlock()
		}
		h.appMu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("no window showed")
		}
	}
	fyne.Do(win.Close)
	select {
	case flush := <-told:
		flushed := make(chan struct{})
		go func() { flush(); close(flushed) }()
		select {
		case <-flushed:
		case <-time.After(5 * time.Second):
			t.Error("the flush Closed was given does not return")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("closing the window did not tell Deps.Closed")
	}
	h.app.Quit()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

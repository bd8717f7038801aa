package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ssotray/ssotray/app"
)

// TestClosingQuits: the window is its process's reason to be (the tray
// lives in a process of its own), so closing it quits.
func TestClosingQuits(t *testing.T) {
	a := &recApp{App: test.NewTempApp(t)}
	newTestUIOn(t, a, newFakeCore(app.Authentik), Options{})
	if w := a.windows[0]; w.intercept != nil || !w.master {
		t.Error("closing the window must quit (master window, no intercept)")
	}
}

func TestKioskWindow(t *testing.T) {
	a := &recApp{App: test.NewTempApp(t)}
	core := newFakeCore(app.Authentik)
	u := newTestUIOn(t, a, core, Options{Kiosk: true})
	w := a.windows[0]
	if !w.FullScreen() {
		t.Error("the kiosk window is not full-screen")
	}
	w.intercept()
	if w.hidden || a.quits != 0 {
		t.Errorf("closing the kiosk window: hidden %v, quits %d", w.hidden, a.quits)
	}

	// Idle: the countdown comes up, in front, with "I'm still here".
	st := aliceStatus()
	core.set(st)
	w.Hide()
	st.Countdown = 20 * time.Second
	core.set(st)
	if w.hidden || !u.signedIn.countdownB.Visible() || !strings.Contains(u.signedIn.countdown.Text, "signing out in 20 s") {
		t.Fatalf("countdown: hidden %v, banner %v %q", w.hidden, u.signedIn.countdownB.Visible(), u.signedIn.countdown.Text)
	}
	core.tap(u.signedIn.stillHere)
	u.waitIdle()
	core.mu.Lock()
	n := core.stillHere
	core.mu.Unlock()
	if n != 1 || u.signedIn.countdownB.Visible() {
		t.Errorf("I'm still here: %d calls, banner %v", n, u.signedIn.countdownB.Visible())
	}
}

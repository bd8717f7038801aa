package desktop

import "testing"

// TestWindowAtStart: whether the main window shows at start or only the
// tray icon, and whether it shows once the tray host's presence is known.
func TestWindowAtStart(t *testing.T) {
	for _, tc := range []struct {
		name              string
		background, kiosk bool
		hostUp            bool
		atStart, later    bool
	}{
		{name: "plain start, host up: window shows", hostUp: true, atStart: true},
		{name: "plain start, no host: window shows (once)", atStart: true},
		{name: "--background, host up: only the tray", background: true, hostUp: true},
		{name: "--background, no host: the window shows once that is known", background: true, later: true},
		{name: "kiosk: the window shows", kiosk: true, atStart: true},
		{name: "kiosk --background, host up: the window shows; a kiosk has no tray", kiosk: true, background: true, hostUp: true, atStart: true},
		{name: "kiosk --background, no host: shown at start, not again", kiosk: true, background: true, atStart: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bg := inBackground(Options{Background: tc.background}, tc.kiosk)
			if got := !bg; got != tc.atStart {
				t.Errorf("shown at start = %v, want %v", got, tc.atStart)
			}
			if got := showWhenHostKnown(bg, tc.hostUp); got != tc.later {
				t.Errorf("shown when the host is known = %v, want %v", got, tc.later)
			}
		})
	}
}

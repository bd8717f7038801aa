package tray

import "testing"

// TestWindowAtStart: whether the window shows at start or only the tray
// icon, and whether it shows once the tray host's presence is known.
func TestWindowAtStart(t *testing.T) {
	for _, tc := range []struct {
		name       string
		background bool
		hostUp     bool
		later      bool
	}{
		{name: "plain start, host up: shown at start only", hostUp: true},
		{name: "plain start, no host: shown at start only"},
		{name: "--background, host up: only the tray", background: true, hostUp: true},
		{name: "--background, no host: the window shows once that is known", background: true, later: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := showWhenHostKnown(tc.background, tc.hostUp); got != tc.later {
				t.Errorf("shown when the host is known = %v, want %v", got, tc.later)
			}
		})
	}
}

package desktop

import (
	"log/slog"
	"strings"
	"testing"
)

// A kiosk that could not claim the single instance cannot tell a crashed
// kiosk's browsers from a running one's: it does not start rather than
// close them (Linux: the only place it follows browsers).
func TestTrackedKioskBrowserNeedsTheInstance(t *testing.T) {
	_, err := TrackedKioskBrowser(func(string) string { return "" }, slog.New(slog.DiscardHandler))([]string{"chromium"}, false)
	if err == nil || !strings.Contains(err.Error(), "cannot tell a crashed kiosk's browsers from a running one's") {
		t.Errorf("not alone: %v", err)
	}
}

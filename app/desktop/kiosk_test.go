package desktop

import (
	"log/slog"
	"runtime"
	"strings"
	"testing"
)

// A kiosk that could not claim the single instance cannot tell a crashed
// kiosk's browsers from a running one's: it does not start rather than
// close them (where it follows browsers at all: Linux).
func TestTrackedKioskBrowserNeedsTheInstance(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("browsers are followed on Linux only")
	}
	_, err := TrackedKioskBrowser(func(string) string { return "" }, slog.New(slog.DiscardHandler))([]string{"chromium"}, false)
	if err == nil || !strings.Contains(err.Error(), "cannot tell a crashed kiosk's browsers from a running one's") {
		t.Errorf("not alone: %v", err)
	}
}

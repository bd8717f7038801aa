package desktop

import (
	"context"
	"net/http"
	"time"

	"fyne.io/fyne/v2"
	fynedesktop "fyne.io/fyne/v2/driver/desktop"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/setup"
	"github.com/ssotray/ssotray/app/ui"
)

// startSetup shows the first-run window; once it has saved a usable
// configuration, the main window takes its place in w. It is never a
// kiosk (Decide offers no setup to one).
func startSetup(ctx context.Context, d Deps, a fyne.App, opts ui.Options, w *windows) *ui.SetupWindow {
	// Fyne starts a tray only if it has one when Run begins, and the main
	// window's real tray comes after the setup, so hold its place.
	placeholder := false
	if desk, ok := a.(fynedesktop.App); ok {
		desk.SetSystemTrayMenu(fyne.NewMenu("ssotray"))
		placeholder = true
	}
	svc := setup.Service{HTTPClient: &http.Client{Timeout: 10 * time.Second}, Locator: d.Locator}
	var sw *ui.SetupWindow
	sw = ui.NewSetup(a, svc, opts, func(path string) {
		cfg, err := config.Load(path, d.Getenv)
		if err := AfterSetup(path, cfg, err); err != nil {
			sw.ShowError(err)
			return
		}
		w.main, w.core = startMain(ctx, d, a, cfg, false, true, opts)
		sw.Window().Close()
		w.setup = nil
	})
	if placeholder {
		// With a tray Fyne would keep running behind a closed setup window.
		sw.Window().SetCloseIntercept(a.Quit)
	}
	sw.Show()
	return sw
}

package desktop

import (
	"context"
	"net/http"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/setup"
	"github.com/ssotray/ssotray/app/startup"
	"github.com/ssotray/ssotray/app/ui"
)

// startSetup shows the first-run window; once it has saved a usable
// configuration, the tray's process is told (it starts the tray with it)
// and the main window takes the setup's place in w. It is never a kiosk
// (Decide offers no setup to one).
func startSetup(ctx context.Context, d Deps, a fyne.App, opts ui.Options, announce func(), w *windows) *ui.SetupWindow {
	svc := setup.Service{HTTPClient: &http.Client{Timeout: 10 * time.Second}, Locator: d.Locator}
	var sw *ui.SetupWindow
	sw = ui.NewSetup(a, svc, opts, func(path string) {
		cfg, err := config.Load(path, d.Getenv)
		if err := startup.AfterSetup(path, cfg, err); err != nil {
			sw.ShowError(err)
			return
		}
		if announce != nil {
			go announce() // the tray starts with it; not on the UI goroutine
		}
		w.setCore(startMain(ctx, d, a, a.NewWindow(""), cfg, false, nil, announce, opts))
		sw.Window().Close()
		w.setup = nil
	})
	sw.Show()
	return sw
}

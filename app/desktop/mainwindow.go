package desktop

import (
	"context"

	"fyne.io/fyne/v2"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/app/ui"
)

// startMain builds the core for cfg, fills win (new, not shown) with the
// core's window and shows it. kiosk is Start.Kiosk, never read again from
// cfg; browser opens the pages (nil: browser_command as it is); announce
// tells the tray's process of the changes this one stores (nil: none).
func startMain(ctx context.Context, d Deps, shell fyne.App, win fyne.Window, cfg *config.Config, kiosk bool, browser *launch.Browser, announce func(), opts ui.Options) (*ui.UI, *app.Core) {
	if browser == nil {
		browser = launch.NewBrowser(cfg.BrowserCommand)
	}
	store := d.Store()
	// The keyring's session is renewed by `ssotray token` too.
	lock := d.RenewLock()
	if kiosk && !cfg.Kiosk.Remember {
		store = tokenstore.NewMemory() // nothing of a person outlives the process
		lock = nil                     // and no other process sees it
		announce = nil
	}
	core := app.New(app.Deps{
		Config:        cfg,
		Store:         store,
		RenewLock:     lock,
		Browser:       browser.Open,
		Logger:        d.Logger,
		Kiosk:         kiosk,
		CloseBrowsers: browser.CloseAll,
		Announce:      announce,
	})
	opts.Kiosk = kiosk
	u := ui.New(shell, win, core, opts)
	if kiosk {
		go watchKiosk(ctx, core, d.OpenIdle, d.Logger)
	}
	// The window appears at once; the stored session (and any refresh)
	// arrives through the core's status. Restoring starts once the window
	// is drawn, so its keyring and network work does not compete with the
	// first frame.
	u.Show()
	go func() {
		_ = core.Restore(ctx)
		core.KeepFresh(ctx) // renews before expiry (one renewal at a time across processes)
	}()
	return u, core
}

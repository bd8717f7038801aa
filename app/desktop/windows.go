package desktop

import (
	"context"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/ui"
)

// windows are the start-up's windows and core. They belong to the UI
// goroutine once it runs.
type windows struct {
	main  *ui.UI
	setup *ui.SetupWindow
	core  *app.Core
}

// showMain shows the main window, if there is one yet.
func (w *windows) showMain() {
	if w.main != nil {
		w.main.Show()
	}
}

// showAny answers another start: the main window, or the setup still open.
func (w *windows) showAny() {
	if w.main != nil {
		w.main.Show()
	} else if w.setup != nil {
		w.setup.Show()
	}
}

// end closes the window once the app has quit. A kiosk ended by a signal
// signs out first (closes the browsers, revokes briefly); then any renewed
// session reaches the keyring.
func (w *windows) end() {
	if w.main != nil {
		w.main.Close()
	}
	if w.core != nil {
		w.core.EndKiosk(context.Background())
		w.core.Flush()
	}
}

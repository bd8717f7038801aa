package desktop

import (
	"context"
	"sync"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/ui"
)

// windows are the start-up's windows, which belong to the UI goroutine
// once it runs, and the core.
type windows struct {
	main  *ui.UI
	setup *ui.SetupWindow

	mu   sync.Mutex
	core *app.Core
}

// setCore takes the main window and its core.
func (w *windows) setCore(main *ui.UI, core *app.Core) {
	w.main = main
	w.mu.Lock()
	w.core = core
	w.mu.Unlock()
}

// getCore is the core, once there is a main window; from any goroutine.
func (w *windows) getCore() *app.Core {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.core
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
	if core := w.getCore(); core != nil {
		core.EndKiosk(context.Background())
		core.Flush()
	}
}

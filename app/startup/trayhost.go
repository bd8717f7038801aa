package startup

import (
	"context"
	"sync/atomic"
	"time"
)

// TrayHost follows whether a tray host shows the icon: panels often start
// after autostarted programs, and restart. fyne.io/systray registers again
// by itself when one appears. Until the watcher has answered (the tray
// starts following it once its window is up), up is false, as it stays when
// there is no session bus at all: closing the window then quits rather than
// hiding it where nothing could bring it back.
type TrayHost struct {
	up atomic.Bool
}

// Up tells the latest answer.
func (h *TrayHost) Up() bool { return h.up.Load() }

// Follow runs watch until ctx ends, keeping Up current; known is told the
// first answer.
func (h *TrayHost) Follow(ctx context.Context, watch func(context.Context, func(bool)), known func(up bool)) {
	first := true
	watch(ctx, func(up bool) {
		h.up.Store(up)
		if first {
			first = false
			known(up)
		}
	})
}

// poll reports up(): first once it is true or after wait (a tray host that
// is still starting), then at every change seen every interval, until ctx
// ends. For a tray host that sends no word when it comes and goes.
func poll(ctx context.Context, wait, every time.Duration, up func() bool, report func(bool)) {
	last := up()
	for deadline := time.Now().Add(wait); !last && time.Now().Before(deadline); last = up() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait / 20):
		}
	}
	report(last)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if now := up(); now != last {
				last = now
				report(now)
			}
		}
	}
}

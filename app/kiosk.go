package app

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// IdleSource tells how long the whole display has had no input (not just
// ssotray's window: people spend their session in the browser).
type IdleSource interface {
	Idle() (time.Duration, error)
}

// countdownFrom is how long before an idle sign-out the person is warned.
const countdownFrom = 30 * time.Second

// kioskTick is how often the kiosk rules are checked.
const kioskTick = time.Second

// WatchKiosk signs the person out after kiosk.idle_timeout without input and
// after kiosk.session_limit, for as long as ctx lives. In the last 30 s
// before an idle sign-out Status.Countdown says how long is left; StillHere
// starts the wait again. While nobody is signed in, Status.Idle says when
// the machine has been left alone as long.
//
// When idle cannot be read, the watch fails closed: it counts input in
// ssotray's own window (WindowInput) until the display answers again, so a
// broken idle source can never keep a session open for good.
func (c *Core) WatchKiosk(ctx context.Context, idle IdleSource) {
	k := c.deps.Config.Kiosk
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.deps.After(kioskTick):
		}
		c.mu.Lock()
		signedIn := c.session != nil && c.status.State != SigningIn
		signedOut := c.status.State == SignedOut
		since := c.signedInAt
		c.mu.Unlock()
		if !signedIn && !signedOut {
			continue
		}
		if signedIn {
			c.setIdle(false)
		}
		if limit := time.Duration(k.SessionLimit); signedIn && limit > 0 && !since.IsZero() && c.deps.Now().Sub(since) >= limit {
			_, _ = c.SignOut(ctx, SignOutOptions{Reason: fmt.Sprintf("Signed out: a session on this machine lasts at most %s.", limit)})
			continue
		}
		var idleFor time.Duration
		if reading, err := idle.Idle(); err == nil {
			if failing {
				failing = false
				c.deps.Logger.Info("kiosk: the display tells its idle time again")
			}
			idleFor = c.idleSince(reading)
		} else {
			if !failing {
				failing = true
				c.deps.Logger.Warn("kiosk: the display's idle time cannot be read; only input in ssotray's window counts until it can", "err", err)
			}
			idleFor, _ = c.WindowInput().Idle()
		}
		timeout := time.Duration(k.IdleTimeout)
		if signedOut {
			c.setIdle(idleFor >= timeout)
			continue
		}
		if idleFor >= timeout {
			_, _ = c.SignOut(ctx, SignOutOptions{Reason: fmt.Sprintf("Signed out after %s without activity.", timeout)})
			continue
		}
		countdown := time.Duration(0)
		if left := timeout - idleFor; left <= countdownFrom {
			countdown = left
		}
		c.mu.Lock()
		changed := c.status.Countdown != countdown
		c.mu.Unlock()
		if changed {
			c.update(func(st *Status) { st.Countdown = countdown })
		}
	}
}

// setIdle sets Status.Idle.
func (c *Core) setIdle(idle bool) {
	c.mu.Lock()
	changed := c.status.Idle != idle
	c.mu.Unlock()
	if changed {
		c.update(func(st *Status) { st.Idle = idle })
	}
}

// idleSince turns the display's idle reading into idle time since the
// person last said "I'm still here".
func (c *Core) idleSince(reading time.Duration) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastIdle = reading
	if reading < c.idleBase {
		c.idleBase = 0 // real input happened since: the display counts afresh
	}
	return reading - c.idleBase
}

// StillHere restarts the idle wait, for the "I'm still here" button.
func (c *Core) StillHere() {
	c.NoteInput()
	c.change(func() {
		c.idleBase = c.lastIdle
		c.status.Countdown = 0
	})
}

// NoteInput records input in ssotray's own window for WindowInput. It only
// takes a lock, so the UI may call it on its own goroutine for every event.
func (c *Core) NoteInput() {
	now := c.deps.Now()
	c.mu.Lock()
	c.lastInput = now
	c.mu.Unlock()
}

// WindowInput is the idle source of last resort, for a display that cannot
// tell its own idle time (a Wayland desktop without one ssotray knows): the
// time since input in ssotray's window or since the sign-in. Time spent in
// the browser counts as idle, so the countdown and "I'm still here" come up
// every kiosk.idle_timeout.
func (c *Core) WindowInput() IdleSource { return windowInput{c} }

type windowInput struct{ c *Core }

func (w windowInput) Idle() (time.Duration, error) {
	c := w.c
	c.mu.Lock()
	last := c.lastInput
	if c.signedInAt.After(last) {
		last = c.signedInAt
	}
	c.mu.Unlock()
	return c.deps.Now().Sub(last), nil
}

// EndKiosk is a kiosk's last act before the process exits (a signal, the
// session ending): the person is signed out as by the button, and the
// browsers are closed even when nobody is signed in (a sign-in left
// half-way). Outside a kiosk it does nothing.
func (c *Core) EndKiosk(ctx context.Context) {
	if !c.deps.Kiosk {
		return
	}
	_, err := c.SignOut(ctx, SignOutOptions{Reason: "Signed out: ssotray was closed."})
	if errors.Is(err, ErrNotSignedIn) {
		c.closeBrowsersOfNobody("at exit")
	}
}

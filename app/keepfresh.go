package app

import (
	"context"
	"time"
)

// retryInterval is how soon a failed renewal is tried again.
const retryInterval = 30 * time.Second

// minRenewWait is the shortest wait between two renewals.
const minRenewWait = 5 * time.Second

// navidromeRenewEvery is how often a Navidrome session is checked and its
// JWT renewed.
const navidromeRenewEvery = time.Hour

// KeepFresh renews the session shortly before its access token expires, for
// as long as ctx lives, so a window left open stays signed in. When a renewal
// or the check at start failed (the server is down) it tries again every
// 30 s; when the server refuses, the person is signed out with the reason.
// Navidrome's JWT is renewed every hour, after a ping that shows the
// password still holds. It also loads the Authentik extras (avatar,
// inherited groups, applications) once for each person.
func (c *Core) KeepFresh(ctx context.Context) {
	drain(c.changed) // the first round reads the current session anyway
	for {
		_ = c.LoadExtras(ctx) // once per person; failures become notices
		wait, ok := c.nextRenewal()
		var timer <-chan time.Time
		if ok {
			timer = c.deps.After(wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-c.changed:
			continue
		case <-timer:
		}
		s, _ := c.current()
		if s == nil {
			continue
		}
		m := c.methods[Method(s.Method)]
		switch {
		case Method(s.Method) == Authentik:
			_, _ = c.renew(ctx, m.refresh, renewal{onlyIfStale: true})
		case s.Expiry.After(c.deps.Now()):
			_, _ = c.renew(ctx, m.refresh, renewal{due: true}) // Navidrome's JWT, long before it expires
		default:
			_, _ = c.renew(ctx, m.resume, renewal{}) // an expired JWT cannot be renewed: is the session still good?
		}
		drain(c.changed) // the change this renewal made needs no wake-up of its own
	}
}

// nextRenewal is how long to wait before renewing; ok is false when there
// is nothing to renew until the session changes.
func (c *Core) nextRenewal() (time.Duration, bool) {
	c.mu.Lock()
	failed := c.renewFailed
	c.mu.Unlock()
	s, _ := c.current()
	switch {
	case s == nil:
		return 0, false
	case failed:
		return retryInterval, true
	case s.Expiry.IsZero():
		return 0, false
	case Method(s.Method) == Navidrome:
		// Every hour while the JWT lasts (48 h by default): renewed long
		// before it expires, and a timer that slept through a suspend (it
		// counts awake time only) is late by an hour at most.
		left := s.Expiry.Sub(c.deps.Now())
		return min(navidromeRenewEvery, max(minRenewWait, left/2)), left > 0
	}
	// The floor keeps a provider that issues very short tokens from being
	// asked again and again in a tight loop.
	return max(minRenewWait, s.Expiry.Sub(c.deps.Now())-refreshSkew), true
}

func drain(ch chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

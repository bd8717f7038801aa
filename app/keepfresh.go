package app

import (
	"context"
	"errors"
	"time"
)

// retryInterval is how soon a failed renewal is tried again.
const retryInterval = 30 * time.Second

// minRenewWait is the shortest wait between two renewals.
const minRenewWait = 5 * time.Second

// KeepFresh renews the session shortly before its access token expires, for
// as long as ctx lives, so a window left open stays signed in. When renewal
// fails (the provider is down) it tries again every 30 s; when the provider
// refuses, the person is signed out with the reason. Navidrome's JWT cannot
// be renewed without the password, so its sessions are left alone. It also
// loads the Authentik extras (avatar, inherited groups, applications) once
// for each person who signs in.
func (c *Core) KeepFresh(ctx context.Context) {
	failed := false
	drain(c.changed) // the first round reads the current session anyway
	for {
		_ = c.LoadExtras(ctx) // once per person; failures become notices
		wait, ok := c.nextRenewal(failed)
		var timer <-chan time.Time
		if ok {
			timer = c.deps.After(wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-c.changed:
			failed = false
			continue
		case <-timer:
		}
		s, _ := c.current()
		if s == nil || Method(s.Method) != Authentik {
			continue
		}
		_, err := c.renew(ctx, c.methods[Authentik].refresh, true)
		failed = err != nil && !errors.Is(err, errSessionEnded) && !errors.Is(err, ErrNotSignedIn)
		drain(c.changed) // the change this renewal made needs no wake-up of its own
	}
}

// nextRenewal is how long to wait before renewing; ok is false when there
// is nothing to renew until the session changes.
func (c *Core) nextRenewal(failed bool) (time.Duration, bool) {
	s, _ := c.current()
	if s == nil || Method(s.Method) != Authentik || s.Expiry.IsZero() {
		return 0, false
	}
	if failed {
		return retryInterval, true
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

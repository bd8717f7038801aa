package app

import (
	"time"

	"github.com/ssotray/ssotray/app/tokenstore"
)

// lifetimeLocked tells whether s renews by itself and when its person has
// to sign in afresh (zero: not foreseeable). The access token's expiry says
// neither: a session with a refresh token outlives many access tokens, and
// a kiosk ends a session at its limit whatever the tokens say.
func (c *Core) lifetimeLocked(s *tokenstore.Session) (renews bool, signInAgainAt time.Time) {
	// KeepFresh renews Authentik's with the refresh token and Navidrome's
	// JWT before it expires (an expired one needs the password).
	renews = Method(s.Method) == Authentik && s.RefreshToken != "" || Method(s.Method) == Navidrome && s.Expiry.After(c.deps.Now())
	if !renews {
		signInAgainAt = s.Expiry
	}
	limit := time.Duration(c.deps.Config.Kiosk.SessionLimit)
	if c.deps.Kiosk && limit > 0 && !c.signedInAt.IsZero() {
		if end := c.signedInAt.Add(limit); signInAgainAt.IsZero() || end.Before(signInAgainAt) {
			signInAgainAt = end
		}
	}
	return renews, signInAgainAt
}

// SessionLine says when the person has to sign in again, or that they need
// not: what they plan by, for every view (window, `ssotray status`). The
// access token's expiry is no such time, so it is never said. "" when
// neither is known.
func (s Status) SessionLine(now time.Time) string {
	at := s.SignInAgainAt
	switch {
	case !at.IsZero():
		return "Until " + when(at.Local(), now.Local()) + ", then sign in again"
	case s.Renews:
		return "Renews by itself; no need to sign in again"
	}
	return ""
}

// when names a time of day, with the day unless it is today.
func when(t, now time.Time) string {
	y, m, d := t.Date()
	ny, nm, nd := now.Date()
	switch {
	case y == ny && m == nm && d == nd:
		return t.Format("15:04") + " today"
	case y == ny:
		return t.Format("Mon 2 Jan, 15:04")
	}
	return t.Format("Mon 2 Jan 2006, 15:04")
}

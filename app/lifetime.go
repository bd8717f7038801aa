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
	// Only Authentik renews (KeepFresh); Navidrome's JWT needs the password.
	renews = Method(s.Method) == Authentik && s.RefreshToken != ""
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

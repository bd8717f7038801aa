package ui

import (
	"time"

	"github.com/ssotray/ssotray/app"
)

// sessionText says when the person has to sign in again, or that they need
// not: what they plan by. The access token's expiry is no such time (a
// renewing session outlives many access tokens), so it is never shown.
func sessionText(st app.Status, now time.Time) string {
	at := st.SignInAgainAt
	switch {
	case !at.IsZero():
		return "Until " + when(at.Local(), now.Local()) + ", then sign in again"
	case st.Renews:
		return "Renews by itself; no need to sign in again"
	}
	return "—"
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

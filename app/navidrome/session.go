package navidrome

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
)

const redacted = "[redacted]"

// Session is what a successful Login returns. It holds no password: the JWT
// (for Navidrome's native API, sent as "X-ND-Authorization: Bearer …") and
// the Subsonic salt + token pair are enough. Printing it with fmt or slog
// shows the user, the admin flag and the expiry, and "[redacted]" for the
// secrets.
type Session struct {
	ID, Username, Name string
	IsAdmin            bool
	// JWT is Navidrome's session token; JWTExpiry is its "exp" claim, read
	// without verification (zero when the token has none).
	JWT       string
	JWTExpiry time.Time
	// SubsonicSalt and SubsonicToken (md5(password+salt), hex) authenticate
	// Subsonic API calls.
	SubsonicSalt, SubsonicToken string
}

func expiryText(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(time.RFC3339)
}

// String describes the session without its secrets.
func (s Session) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "navidrome session for %q", s.Username)
	if s.IsAdmin {
		b.WriteString(" (admin)")
	}
	fmt.Fprintf(&b, ", expires %s, jwt %s, subsonic salt %s, subsonic token %s",
		expiryText(s.JWTExpiry), redacted, redacted, redacted)
	return b.String()
}

// GoString is used by %#v; the secrets are redacted.
func (s Session) GoString() string {
	return fmt.Sprintf("navidrome.Session{ID:%q, Username:%q, Name:%q, IsAdmin:%t, JWT:%q, JWTExpiry:%q, SubsonicSalt:%q, SubsonicToken:%q}",
		s.ID, s.Username, s.Name, s.IsAdmin, redacted, expiryText(s.JWTExpiry), redacted, redacted)
}

// Format makes every fmt verb (%v, %+v, %s, %q, %x, …) go through String or
// GoString, so no verb prints the raw fields.
func (s Session) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, s.GoString())
	case verb == 'q':
		fmt.Fprintf(f, "%q", s.String())
	default:
		fmt.Fprint(f, s.String())
	}
}

// LogValue implements slog.LogValuer.
func (s Session) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", s.ID),
		slog.String("username", s.Username),
		slog.String("name", s.Name),
		slog.Bool("admin", s.IsAdmin),
		slog.String("expires", expiryText(s.JWTExpiry)),
		slog.String("jwt", redacted),
		slog.String("subsonic_salt", redacted),
		slog.String("subsonic_token", redacted),
	)
}

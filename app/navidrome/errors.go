package navidrome

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ssotray/ssotray/oidc/netcause"
)

// ErrBadCredentials means Navidrome refused the username and password: a 401
// from /auth/login, or Subsonic error code 40 from ping. Errors returned by
// the client wrap it, so test with errors.Is.
var ErrBadCredentials = errors.New("wrong username or password")

// RateLimitedError means Navidrome answered 429 Too Many Requests to a
// sign-in attempt. RetryAfter is how long it asks to wait (from the
// Retry-After header); zero when it did not say.
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	if e.RetryAfter <= 0 {
		return "too many sign-in attempts; Navidrome asks to wait a little before trying again"
	}
	return "too many sign-in attempts; Navidrome asks to wait " + humanDuration(e.RetryAfter) + " before trying again"
}

// UnreachableError means no HTTP answer came back from the server: the
// connection was refused, the host name did not resolve, or the request
// timed out. URL is the configured server URL.
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach Navidrome at %s (%s); check navidrome.server_url and that Navidrome is running and reachable from this computer",
		e.URL, netcause.Describe(e.Err))
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// NotNavidromeError means something answered at URL, but not the way
// Navidrome does: an HTML page where JSON was expected, JSON of the wrong
// shape, a 404 at /auth/login, a redirect. Detail says what was seen.
type NotNavidromeError struct {
	URL    string
	Detail string
}

func (e *NotNavidromeError) Error() string {
	return fmt.Sprintf("%s does not look like a Navidrome server (%s); check navidrome.server_url (include the sub-path if Navidrome runs under one, e.g. https://music.example.com/navidrome)",
		e.URL, e.Detail)
}

// TLSError means the HTTPS connection to Navidrome failed (netcause.TLSError).
type TLSError = netcause.TLSError

// SubsonicError is a failed Subsonic API answer other than code 40 (which is
// ErrBadCredentials), e.g. code 10 "Required parameter is missing".
type SubsonicError struct {
	URL     string
	Code    int
	Message string
}

func (e *SubsonicError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no message"
	}
	return fmt.Sprintf("the Subsonic API of Navidrome at %s answered error code %d (%s)", e.URL, e.Code, msg)
}

// humanDuration prints a wait time for people: "20s", "1m30s", "2m", "1h5m".
func humanDuration(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second) // round up: never tell people to wait too little
	if secs < 60 {
		return fmt.Sprintf("%ds", secs)
	}
	h, m, s := secs/3600, secs/60%60, secs%60
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if s > 0 && h == 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}

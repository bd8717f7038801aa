// Package navidrome is a small client for a Navidrome server's native API
// (/auth/login) and Subsonic API (/rest/ping.view), used to sign people in
// with their Navidrome username and password.
//
// The password is sent once, to /auth/login, and never kept: the session
// holds the JWT and the Subsonic salt + token pair that Navidrome returns.
// Errors are meant for end users and never contain the password, the JWT,
// the salt or the token.
package navidrome

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	// DefaultTimeout bounds every request when New is given no HTTP client.
	DefaultTimeout = 30 * time.Second

	subsonicAPIVersion = "1.16.1"
	clientName         = "ssotray"
	userAgent          = "ssotray"
	maxBody            = 1 << 20
	exampleURL         = "https://music.example.com"
)

// Client talks to one Navidrome server. It is safe for concurrent use.
type Client struct {
	base *url.URL
	hc   *http.Client
}

// New checks and normalises serverURL (the navidrome.server_url setting).
// It must have an http or https scheme and a host; a trailing slash is
// dropped; a sub-path (https://host/navidrome) is kept and every request
// goes under it. hc nil means a client with a 30 s timeout. The client
// never follows redirects: a redirect is reported, since following it would
// turn the sign-in POST into a GET or send Subsonic credentials elsewhere.
func New(serverURL string, hc *http.Client) (*Client, error) {
	base, err := parseServerURL(serverURL)
	if err != nil {
		return nil, err
	}
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	own := *hc
	own.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{base: base, hc: &own}, nil
}

func parseServerURL(serverURL string) (*url.URL, error) {
	raw := strings.TrimSpace(serverURL)
	if raw == "" {
		return nil, fmt.Errorf("navidrome.server_url is empty; write it like %s", exampleURL)
	}
	if !strings.Contains(raw, "://") {
		if strings.Contains(raw, "@") {
			return nil, fmt.Errorf("navidrome.server_url must not contain a username or password; write it like %s", exampleURL)
		}
		return nil, fmt.Errorf("navidrome.server_url %q has no scheme; write it like https://%s", raw, strings.TrimLeft(raw, "/"))
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's message repeats the whole input, which could hold a
		// password; keep only the reason.
		reason := "malformed URL"
		var ue *url.Error
		if errors.As(err, &ue) && ue.Err != nil {
			reason = ue.Err.Error()
		}
		return nil, fmt.Errorf("navidrome.server_url is not a valid URL (%s); write it like %s", reason, exampleURL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("navidrome.server_url must not contain a username or password; write it like %s", exampleURL)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("navidrome.server_url %q uses %s://; only http:// and https:// work, e.g. %s", raw, u.Scheme, exampleURL)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("navidrome.server_url %q has no host name; write it like %s", raw, exampleURL)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("navidrome.server_url %q must not have a query (?…) or fragment (#…); write it like %s", raw, exampleURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

// URL is the normalised server URL, without a trailing slash.
func (c *Client) URL() string { return c.base.String() }

func (c *Client) endpoint(elem ...string) *url.URL { return c.base.JoinPath(elem...) }

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Username      string `json:"username"`
	IsAdmin       bool   `json:"isAdmin"`
	Token         string `json:"token"`
	SubsonicSalt  string `json:"subsonicSalt"`
	SubsonicToken string `json:"subsonicToken"`
}

// Login signs in with POST /auth/login, then confirms the returned
// Subsonic salt + token pair with Ping. The password is not kept.
//
// Errors: ErrBadCredentials (wrapped), *RateLimitedError, *UnreachableError,
// *TLSError, *NotNavidromeError, *SubsonicError, or a plain error for other
// server failures.
func (c *Client) Login(ctx context.Context, username, password string) (*Session, error) {
	if strings.TrimSpace(username) == "" {
		return nil, errors.New("the Navidrome username is empty; enter your username")
	}
	if password == "" {
		return nil, errors.New("the Navidrome password is empty; enter your password")
	}
	const path = "/auth/login"
	body, err := json.Marshal(loginRequest{Username: username, Password: password})
	if err != nil {
		return nil, fmt.Errorf("cannot encode the sign-in request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint("auth", "login").String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("cannot build the sign-in request for %s: %w", c.URL(), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)

	resp, data, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return nil, fmt.Errorf("%w for Navidrome at %s; check them and try again", ErrBadCredentials, c.URL())
	case http.StatusTooManyRequests:
		return nil, &RateLimitedError{RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		if home := c.webUIHome(ctx); home != "" && home != c.URL() {
			return nil, c.notNavidrome("%s answered %s, but Navidrome's web interface is under %s: use %s", path, resp.Status, home+"/app/", home)
		}
		return nil, c.statusError(path, resp, data, password)
	default:
		return nil, c.statusError(path, resp, data, password)
	}

	if isHTML(resp, data) {
		return nil, c.notNavidrome("it answered %s with an HTML page instead of JSON", path)
	}
	var lr loginResponse
	if err := json.Unmarshal(data, &lr); err != nil {
		return nil, c.notNavidrome("its answer to %s is not the JSON Navidrome sends", path)
	}
	if lr.Token == "" {
		return nil, c.notNavidrome("its answer to %s has no token", path)
	}
	if lr.SubsonicSalt == "" || lr.SubsonicToken == "" {
		return nil, c.notNavidrome("its answer to %s has no subsonicSalt/subsonicToken", path)
	}
	if lr.Username == "" {
		lr.Username = username
	}
	s := &Session{
		ID:            lr.ID,
		Username:      lr.Username,
		Name:          lr.Name,
		IsAdmin:       lr.IsAdmin,
		JWT:           lr.Token,
		JWTExpiry:     jwtExpiry(lr.Token),
		SubsonicSalt:  lr.SubsonicSalt,
		SubsonicToken: lr.SubsonicToken,
	}
	if err := c.Ping(ctx, s.Username, s.SubsonicSalt, s.SubsonicToken); err != nil {
		return nil, fmt.Errorf("Navidrome at %s accepted the password, but checking the new session with its Subsonic API failed: %w", c.URL(), err)
	}
	return s, nil
}

type pingResponse struct {
	Response *struct {
		Status        string `json:"status"`
		Version       string `json:"version"`
		Type          string `json:"type"`
		ServerVersion string `json:"serverVersion"`
		Error         *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"subsonic-response"`
}

// Ping calls the Subsonic API's ping with token authentication (the stored
// salt and token; never the password). It returns nil when Navidrome
// accepts them, an error wrapping ErrBadCredentials for Subsonic code 40
// (e.g. the password was changed since sign-in), *SubsonicError for other
// Subsonic codes, and the transport/shape errors Login returns.
func (c *Client) Ping(ctx context.Context, username, salt, token string) error {
	const path = "/rest/ping.view"
	u := c.endpoint("rest", "ping.view")
	q := url.Values{}
	q.Set("u", username)
	q.Set("t", token)
	q.Set("s", salt)
	q.Set("v", subsonicAPIVersion)
	q.Set("c", clientName)
	q.Set("f", "json")
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("cannot build the ping request for %s", c.URL())
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)

	resp, data, err := c.do(ctx, req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return c.statusError(path, resp, data, salt, token)
	}
	if isHTML(resp, data) {
		return c.notNavidrome("it answered %s with an HTML page instead of JSON", path)
	}
	var pr pingResponse
	if err := json.Unmarshal(data, &pr); err != nil {
		return c.notNavidrome("its answer to %s is not the JSON Navidrome sends", path)
	}
	if pr.Response == nil {
		return c.notNavidrome("its answer to %s has no subsonic-response", path)
	}
	switch pr.Response.Status {
	case "ok":
		return nil
	case "failed":
	default:
		return c.notNavidrome("its answer to %s has an unknown status", path)
	}
	if pr.Response.Error == nil {
		return &SubsonicError{URL: c.URL(), Message: "the request failed without an error code"}
	}
	if pr.Response.Error.Code == 40 {
		return fmt.Errorf("%w for Navidrome at %s (the password may have changed since sign-in); sign in again", ErrBadCredentials, c.URL())
	}
	return &SubsonicError{URL: c.URL(), Code: pr.Response.Error.Code, Message: clean(pr.Response.Error.Message, salt, token)}
}

// do sends req and reads at most maxBody bytes of the answer.
func (c *Client) do(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, c.classifyTransportError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, c.classifyTransportError(ctx, err)
	}
	return resp, data, nil
}

func (c *Client) notNavidrome(format string, args ...any) error {
	return &NotNavidromeError{URL: c.URL(), Detail: fmt.Sprintf(format, args...)}
}

// webUIHome is where Navidrome lives, as its router tells by sending a GET
// of the address to its web interface at {BaseURL}/app/; "" when the
// server does not (not Navidrome, or nothing there).
func (c *Client) webUIHome(ctx context.Context) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL()+"/", nil)
	if err != nil {
		return ""
	}
	req.Header.Set("User-Agent", userAgent)
	resp, _, err := c.do(ctx, req)
	if err != nil || resp.StatusCode < 300 || resp.StatusCode >= 400 {
		return ""
	}
	if loc := safeLocation(resp); strings.HasSuffix(loc, "/app/") {
		return strings.TrimSuffix(loc, "/app/")
	}
	return ""
}

// statusError explains an HTTP status the caller did not expect. secrets
// are scrubbed from anything the server said.
func (c *Client) statusError(path string, resp *http.Response, data []byte, secrets ...string) error {
	status := resp.Status
	if status == "" {
		status = strconv.Itoa(resp.StatusCode)
	}
	code := resp.StatusCode
	switch {
	case code >= 300 && code < 400:
		if loc := safeLocation(resp); strings.HasSuffix(loc, "/app/") {
			// Navidrome sends what it has no route for to its web interface.
			return c.notNavidrome("%s answered %s: it redirects to Navidrome's web interface at %s, so Navidrome lives at %s; use that address", path, status, loc, strings.TrimSuffix(loc, "/app/"))
		} else if loc != "" {
			return c.notNavidrome("%s answered %s and redirects to %s; if that is where Navidrome lives, use that address", path, status, loc)
		}
		return c.notNavidrome("%s answered %s", path, status)
	case code == http.StatusNotFound, code == http.StatusMethodNotAllowed:
		return c.notNavidrome("%s answered %s", path, status)
	}
	msg := serverMessage(resp, data, secrets...)
	if code >= 500 {
		if msg != "" {
			msg = ": " + msg
		}
		return fmt.Errorf("Navidrome at %s answered %s to %s%s; check that Navidrome (and its proxy, if any) is running, then try again", c.URL(), status, path, msg)
	}
	if msg == "" {
		if isHTML(resp, data) {
			return c.notNavidrome("%s answered %s with an HTML page", path, status)
		}
		return fmt.Errorf("Navidrome at %s refused the request to %s with %s; check navidrome.server_url and the server's logs", c.URL(), path, status)
	}
	return fmt.Errorf("Navidrome at %s refused the request to %s with %s: %s; check navidrome.server_url and the server's logs", c.URL(), path, status, msg)
}

// serverMessage is the "error" field of a JSON error answer, cleaned up for
// showing to people; "" when there is none.
func serverMessage(resp *http.Response, data []byte, secrets ...string) string {
	if isHTML(resp, data) {
		return ""
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(data, &e) != nil {
		return ""
	}
	return clean(e.Error, secrets...)
}

// clean makes a server-provided message safe to show: secrets replaced,
// control characters dropped, length capped.
func clean(s string, secrets ...string) string {
	// A server that echoes the request repeats a secret as it was sent:
	// raw, JSON-escaped (login body) or query-escaped (ping URL). Replace
	// every form in one pass, longest first.
	var forms []string
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		forms = append(forms, sec, url.QueryEscape(sec), url.PathEscape(sec))
		if j, err := json.Marshal(sec); err == nil {
			forms = append(forms, string(j[1:len(j)-1]))
		}
	}
	if len(forms) > 0 {
		slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
		forms = slices.Compact(forms)
		pairs := make([]string, 0, 2*len(forms))
		for _, f := range forms {
			pairs = append(pairs, f, redacted)
		}
		s = strings.NewReplacer(pairs...).Replace(s)
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// safeLocation is a redirect's target without query or fragment (a
// redirect of the ping URL could repeat the salt and token).
func safeLocation(resp *http.Response) string {
	loc, err := resp.Location()
	if err != nil {
		return ""
	}
	loc.User = nil
	loc.RawQuery = ""
	loc.ForceQuery = false
	loc.Fragment = ""
	loc.RawFragment = ""
	return loc.String()
}

func isHTML(resp *http.Response, data []byte) bool {
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
		return true
	}
	return bytes.HasPrefix(bytes.TrimSpace(data), []byte("<"))
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	const most = 24 * time.Hour
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(most/time.Second) {
			return most
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d <= 0 {
			return 0
		}
		return min(d, most)
	}
	return 0
}

// authorizationHeader carries the JWT to Navidrome's native API and a
// renewed one back (consts.UIAuthorizationHeader).
const authorizationHeader = "X-ND-Authorization"

// ErrSessionExpired: Navidrome no longer takes the JWT (it expired, or the
// user is gone); only a sign-in with the password makes a new one.
var ErrSessionExpired = errors.New("the Navidrome session has expired")

// Keepalive renews the JWT before it expires, as Navidrome's web interface
// does while it plays: every call of the native API answers with a new
// token valid for the server's SessionTimeout (48 h by default) from now.
// It returns the new token and its expiry, or ErrSessionExpired.
func (c *Client) Keepalive(ctx context.Context, token string) (string, time.Time, error) {
	const path = "/api/keepalive/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint("api", "keepalive", clientName).String(), nil)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("cannot build the keepalive request for %s", c.URL())
	}
	req.Header.Set(authorizationHeader, "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, data, err := c.do(ctx, req)
	if err != nil {
		return "", time.Time{}, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return "", time.Time{}, ErrSessionExpired
	default:
		return "", time.Time{}, c.statusError(path, resp, data, token)
	}
	renewed := resp.Header.Get(authorizationHeader)
	expiry := jwtExpiry(renewed)
	if expiry.IsZero() { // none, or one that would look valid forever
		return "", time.Time{}, c.notNavidrome("its answer to %s has no renewed token with an expiry (%s)", path, authorizationHeader)
	}
	return renewed, expiry, nil
}

// jwtExpiry reads the "exp" claim of Navidrome's JWT without verifying the
// signature: it is made with the server's own HS256 secret, which a client
// cannot know. The value is only a hint of when to sign in again; Navidrome
// itself decides whether the token is still good. Zero when absent or
// unreadable.
func jwtExpiry(token string) time.Time {
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		return time.Time{}
	}
	var claims jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil || claims.Expiry == nil {
		return time.Time{}
	}
	return claims.Expiry.Time()
}

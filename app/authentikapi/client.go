// Package authentikapi calls the two parts of Authentik's REST API that a
// signed-in user's access token may use when it was granted the scope
// goauthentik.io/api: the user's own profile (users/me, with inherited
// groups and the avatar) and the applications the user may open. It also
// fetches the images those answers point at (avatars and icons).
//
// The access token is only ever sent to the Authentik server itself, never
// logged and never part of an error.
package authentikapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ssotray/ssotray/app/config"
)

const (
	mePath   = "/api/v3/core/users/me/"
	appsPath = "/api/v3/core/applications/"
	// pageSize is the most Authentik puts on one page of its API.
	pageSize = 100
	// maxPages bounds how far Applications follows pagination: 2000
	// applications.
	maxPages = 20
	// maxJSON bounds an API answer.
	maxJSON = 4 << 20
	// DefaultImageLimit is what Fetch allows when max <= 0.
	DefaultImageLimit = 2 << 20
)

var (
	// ErrNoAPIScope: Authentik answered 403. Authentik gives the same
	// answer ("Token invalid/expired") when the token lacks the scope and
	// when it has expired or was revoked, so call with a fresh token before
	// concluding that the scope is missing.
	ErrNoAPIScope = errors.New("the access token may not use Authentik's API: add the scope " + config.APIScope + " to authentik.scopes and its scope mapping to the provider")
	// ErrUnauthorized: the server (or a proxy in front of it) answered 401.
	ErrUnauthorized = errors.New("the access token was not accepted: sign in again")
	// ErrNotAuthentik: the answer is not what Authentik's API sends; the
	// message then advises checking authentik.server_url.
	ErrNotAuthentik = errors.New("not an answer from Authentik's API")
	// ErrTooLarge: Fetch stopped at its size limit.
	ErrTooLarge = errors.New("the image is larger than allowed")
	// ErrUnsupportedURL: Fetch only reads http, https and data: URLs.
	ErrUnsupportedURL = errors.New("only http, https and data: image URLs are fetched")
	// ErrBadServerURL: the server URL given to New is not an http(s) URL.
	ErrBadServerURL = errors.New("authentik.server_url must be an http(s) address such as https://auth.example.org")
)

// Operations named in Error.Op.
const (
	OpMe           = "users/me"
	OpApplications = "applications"
	OpImage        = "image"
)

// Error is a failed call. It names the URL and, when there was one, the
// HTTP status and Authentik's "detail"; it never holds the token.
type Error struct {
	Op     string // OpMe, OpApplications or OpImage
	URL    string
	Status int    // 0 when no HTTP answer arrived
	Detail string // Authentik's "detail" or the start of the body, shortened
	Err    error  // one of the Err* values, a network error, or the context's error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op == OpImage {
		fmt.Fprintf(&b, "fetching the image %s", e.URL)
	} else {
		fmt.Fprintf(&b, "Authentik at %s", e.URL)
	}
	if e.Status != 0 && e.Status != http.StatusOK {
		fmt.Fprintf(&b, " answered %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, " (%q)", e.Detail)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	switch {
	case errors.Is(e.Err, ErrNoAPIScope):
		b.WriteString(" (Authentik answers the same for an expired or revoked token: if the scope is already set up, sign in again)")
	case errors.Is(e.Err, ErrNotAuthentik):
		b.WriteString(": check that authentik.server_url is the address of Authentik itself")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Client talks to one Authentik server. It is safe for concurrent use.
type Client struct {
	base   *url.URL // nil when serverURL was not usable
	hc     *http.Client
	server string
}

// New makes a client for the Authentik server at serverURL (what the user
// enters, e.g. "https://auth.example.org"). hc may be nil for a client with
// a 30 second timeout. The client copies hc and adds a redirect rule: the
// Authorization header never follows a redirect off the server's own
// origin (scheme, host and port).
func New(serverURL string, hc *http.Client) *Client {
	c := &Client{server: serverURL}
	u, err := url.Parse(strings.TrimSpace(serverURL))
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil {
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath, u.RawQuery, u.Fragment = "", "", ""
		c.base = u
	}
	var copied http.Client
	if hc != nil {
		copied = *hc
	} else {
		copied.Timeout = 30 * time.Second
	}
	next := copied.CheckRedirect
	copied.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if c.base == nil || !sameOrigin(req.URL, c.base) {
			req.Header.Del("Authorization")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	c.hc = &copied
	return c
}

// User is the signed-in user as Authentik's users/me describes them.
type User struct {
	Username, Name, Email string
	// Avatar is an absolute http(s) URL or a data: URL; "" if Authentik
	// gave none. Pass it to Fetch.
	Avatar string
	// Groups holds every group the user is in, inherited ones included
	// (the groups claim of the ID token has only direct groups).
	Groups []string
}

// Application is one application the user may open.
type Application struct {
	Name, Slug, LaunchURL string
	// IconURL is an absolute http(s) or data: URL, or "" when the
	// application has no icon or an icon Fetch cannot read (e.g. fa://).
	IconURL     string
	Description string
}

// Me asks who the access token belongs to.
func (c *Client) Me(ctx context.Context, accessToken string) (*User, error) {
	if c.base == nil {
		return nil, c.badServer(OpMe)
	}
	u := c.endpoint(mePath, nil)
	var body struct {
		User *struct {
			Username string            `json:"username"`
			Name     string            `json:"name"`
			Email    string            `json:"email"`
			Avatar   string            `json:"avatar"`
			Groups   []json.RawMessage `json:"groups"`
		} `json:"user"`
	}
	if err := c.getJSON(ctx, OpMe, u, accessToken, &body); err != nil {
		return nil, err
	}
	if body.User == nil || body.User.Username == "" {
		return nil, &Error{Op: OpMe, URL: u, Status: http.StatusOK, Err: fmt.Errorf("%w (no user in the answer)", ErrNotAuthentik)}
	}
	out := &User{Username: body.User.Username, Name: body.User.Name, Email: body.User.Email, Avatar: c.imageURL(body.User.Avatar)}
	for _, raw := range body.User.Groups {
		// Authentik sends {"name": ..., "pk": ...}; accept plain names too.
		var g struct {
			Name string `json:"name"`
		}
		var name string
		if json.Unmarshal(raw, &g) == nil && g.Name != "" {
			out.Groups = append(out.Groups, g.Name)
		} else if json.Unmarshal(raw, &name) == nil && name != "" {
			out.Groups = append(out.Groups, name)
		}
	}
	return out, nil
}

// Applications lists the applications the user may open that have a launch
// URL, in Authentik's order (by name). It follows pagination.next up to 20
// pages; anything beyond is left out.
func (c *Client) Applications(ctx context.Context, accessToken string) ([]Application, error) {
	if c.base == nil {
		return nil, c.badServer(OpApplications)
	}
	var out []Application
	seen := map[string]bool{}
	// Authentik's pages hold 20 unless asked for more, 100 at most.
	u := c.endpoint(appsPath, url.Values{"only_with_launch_url": {"true"}, "page_size": {strconv.Itoa(pageSize)}})
	for range maxPages {
		var body struct {
			Pagination *struct {
				Next    json.RawMessage `json:"next"`
				Current int             `json:"current"`
			} `json:"pagination"`
			Results []struct {
				Name            string `json:"name"`
				Slug            string `json:"slug"`
				LaunchURL       string `json:"launch_url"`
				MetaLaunchURL   string `json:"meta_launch_url"`
				MetaIcon        string `json:"meta_icon"`
				MetaIconURL     string `json:"meta_icon_url"` // newer Authentik
				MetaDescription string `json:"meta_description"`
			} `json:"results"`
		}
		if err := c.getJSON(ctx, OpApplications, u, accessToken, &body); err != nil {
			return nil, err
		}
		if body.Pagination == nil || body.Results == nil {
			return nil, &Error{Op: OpApplications, URL: u, Status: http.StatusOK, Err: fmt.Errorf("%w (no pagination or results in the answer)", ErrNotAuthentik)}
		}
		for _, r := range body.Results {
			launch := r.LaunchURL
			if launch == "" {
				launch = r.MetaLaunchURL
			}
			if launch == "" || seen[r.Slug] {
				continue
			}
			seen[r.Slug] = true
			icon := r.MetaIconURL
			if icon == "" {
				icon = r.MetaIcon
			}
			out = append(out, Application{
				Name: r.Name, Slug: r.Slug, LaunchURL: launch,
				IconURL: c.imageURL(icon), Description: r.MetaDescription,
			})
		}
		next, ok := c.nextPage(u, body.Pagination.Next, body.Pagination.Current)
		if !ok {
			break
		}
		u = next
	}
	return out, nil
}

// nextPage understands Authentik's page number (0 = last page) and, to be
// safe, a URL as plain Django REST framework would send; a URL off the
// server's origin is not followed, as the bearer would go with it.
func (c *Client) nextPage(cur string, raw json.RawMessage, current int) (string, bool) {
	var n int
	if json.Unmarshal(raw, &n) == nil {
		if n <= 0 || (current > 0 && n <= current) {
			return "", false
		}
		u, _ := url.Parse(cur)
		q := u.Query()
		q.Set("page", strconv.Itoa(n))
		u.RawQuery = q.Encode()
		return u.String(), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil || s == "" {
		return "", false
	}
	ref, err := url.Parse(s)
	if err != nil {
		return "", false
	}
	u := c.base.ResolveReference(ref)
	if !sameOrigin(u, c.base) || u.String() == cur {
		return "", false
	}
	return u.String(), true
}

// Fetch reads an image (an avatar or an icon) of at most max bytes
// (DefaultImageLimit if max <= 0). Relative URLs are taken relative to the
// server. The bearer token goes along only when the URL is on the server's
// own origin; data: URLs are decoded without any request; other schemes
// are refused.
func (c *Client) Fetch(ctx context.Context, rawURL string, accessToken string, max int64) ([]byte, error) {
	if max <= 0 {
		max = DefaultImageLimit
	}
	rawURL = strings.TrimSpace(rawURL)
	shown := shortURL(rawURL)
	if strings.HasPrefix(strings.ToLower(rawURL), "data:") {
		return decodeDataURL(rawURL, shown, max)
	}
	ref, err := url.Parse(rawURL)
	if err != nil {
		return nil, &Error{Op: OpImage, URL: shown, Err: fmt.Errorf("%w (the URL cannot be read)", ErrUnsupportedURL)}
	}
	if ref.Scheme != "" && ref.Scheme != "http" && ref.Scheme != "https" {
		return nil, &Error{Op: OpImage, URL: shown, Err: fmt.Errorf("%w (not %s:)", ErrUnsupportedURL, ref.Scheme)}
	}
	u := ref
	if !ref.IsAbs() {
		if c.base == nil {
			return nil, c.badServer(OpImage)
		}
		u = c.base.ResolveReference(ref)
	}
	if u.Host == "" {
		return nil, &Error{Op: OpImage, URL: shown, Err: fmt.Errorf("%w (no host)", ErrUnsupportedURL)}
	}
	shown = u.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, shown, nil)
	if err != nil {
		return nil, &Error{Op: OpImage, URL: shown, Err: err}
	}
	req.Header.Set("Accept", "image/*")
	if accessToken != "" && c.base != nil && sameOrigin(u, c.base) {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.netError(ctx, OpImage, shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, c.statusError(OpImage, shown, resp, accessToken)
	}
	if ct := mediaType(resp.Header.Get("Content-Type")); ct != "" && !strings.HasPrefix(ct, "image/") && ct != "application/octet-stream" {
		return nil, &Error{Op: OpImage, URL: shown, Status: resp.StatusCode, Err: fmt.Errorf("the answer is %s, not an image: check the avatar or icon URL in Authentik", ct)}
	}
	if resp.ContentLength > max {
		return nil, &Error{Op: OpImage, URL: shown, Status: resp.StatusCode, Err: fmt.Errorf("%w (%d bytes, the limit is %d)", ErrTooLarge, resp.ContentLength, max)}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, c.netError(ctx, OpImage, shown, err)
	}
	if int64(len(b)) > max {
		return nil, &Error{Op: OpImage, URL: shown, Status: resp.StatusCode, Err: fmt.Errorf("%w (more than %d bytes)", ErrTooLarge, max)}
	}
	return b, nil
}

func decodeDataURL(raw, shown string, max int64) ([]byte, error) {
	_, rest, _ := strings.Cut(raw, ":")
	meta, data, ok := strings.Cut(rest, ",")
	if !ok {
		return nil, &Error{Op: OpImage, URL: shown, Err: fmt.Errorf("%w (a data: URL without a comma)", ErrUnsupportedURL)}
	}
	var b []byte
	var err error
	if strings.HasSuffix(strings.ToLower(meta), ";base64") {
		if int64(base64.StdEncoding.DecodedLen(len(data))) > max+3 {
			return nil, &Error{Op: OpImage, URL: shown, Err: fmt.Errorf("%w (the limit is %d bytes)", ErrTooLarge, max)}
		}
		b, err = base64.StdEncoding.DecodeString(strings.TrimRight(data, "\r\n"))
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(data, "="))
		}
	} else {
		var s string
		s, err = url.PathUnescape(data)
		b = []byte(s)
	}
	if err != nil {
		return nil, &Error{Op: OpImage, URL: shown, Err: fmt.Errorf("%w (a data: URL that cannot be decoded)", ErrUnsupportedURL)}
	}
	if int64(len(b)) > max {
		return nil, &Error{Op: OpImage, URL: shown, Err: fmt.Errorf("%w (%d bytes, the limit is %d)", ErrTooLarge, len(b), max)}
	}
	return b, nil
}

func (c *Client) badServer(op string) error {
	return &Error{Op: op, URL: c.server, Err: ErrBadServerURL}
}

func (c *Client) endpoint(path string, q url.Values) string {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = q.Encode()
	return u.String()
}

// imageURL makes an avatar or icon reference absolute against the server,
// as Authentik gives uploaded files as paths ("/media/..."). Only http(s)
// and data: survive; fa:// icons and the like become "".
func (c *Client) imageURL(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if strings.HasPrefix(strings.ToLower(s), "data:") {
		return s
	}
	ref, err := url.Parse(s)
	if err != nil {
		return ""
	}
	u := c.base.ResolveReference(ref)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

func (c *Client) getJSON(ctx context.Context, op, u, accessToken string, v any) error {
	if accessToken == "" {
		return &Error{Op: op, URL: u, Err: errors.New("no access token: sign in with Authentik first")}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return &Error{Op: op, URL: u, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.netError(ctx, op, u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c.statusError(op, u, resp, accessToken)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxJSON+1))
	if err != nil {
		return c.netError(ctx, op, u, err)
	}
	if len(b) > maxJSON {
		return &Error{Op: op, URL: u, Status: resp.StatusCode, Err: fmt.Errorf("%w (the answer is larger than %d bytes)", ErrNotAuthentik, maxJSON)}
	}
	if ct := mediaType(resp.Header.Get("Content-Type")); ct != "application/json" && !strings.HasSuffix(ct, "+json") && !json.Valid(b) {
		return &Error{Op: op, URL: u, Status: resp.StatusCode, Detail: snippet(b, accessToken), Err: fmt.Errorf("%w (got %s, not JSON)", ErrNotAuthentik, orUnknown(ct))}
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &Error{Op: op, URL: u, Status: resp.StatusCode, Detail: snippet(b, accessToken), Err: fmt.Errorf("%w (the JSON does not fit: %v)", ErrNotAuthentik, err)}
	}
	return nil
}

func (c *Client) statusError(op, u string, resp *http.Response, accessToken string) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	detail := ""
	var d struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(b, &d) == nil && d.Detail != "" {
		detail = clean(d.Detail, accessToken)
	} else {
		detail = snippet(b, accessToken)
	}
	e := &Error{Op: op, URL: u, Status: resp.StatusCode, Detail: detail}
	switch {
	case op == OpImage:
		e.Err = errors.New("the image could not be loaded: check the avatar or icon URL in Authentik")
	case resp.StatusCode == http.StatusForbidden:
		e.Err = ErrNoAPIScope
	case resp.StatusCode == http.StatusUnauthorized:
		e.Err = ErrUnauthorized
	case resp.StatusCode == http.StatusNotFound:
		e.Err = fmt.Errorf("%w (no such page: an Authentik too old for this API, or another site)", ErrNotAuthentik)
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Err = errors.New("too many requests: wait a moment and try again")
	case resp.StatusCode >= 500:
		e.Err = errors.New("the server has a problem: try again later or ask the administrator to check Authentik")
	default:
		e.Err = fmt.Errorf("%w (unexpected status)", ErrNotAuthentik)
	}
	return e
}

func (c *Client) netError(ctx context.Context, op, u string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return &Error{Op: op, URL: u, Err: ctxErr}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is named once, by Error
	}
	advice := ": check authentik.server_url and that Authentik is running"
	if op == OpImage {
		advice = "" // the image may be on another server; Authentik itself may be fine
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{Op: op, URL: u, Err: fmt.Errorf("no answer in time (%v)%s", err, advice)}
	}
	return &Error{Op: op, URL: u, Err: fmt.Errorf("cannot reach the server (%v)%s", err, advice)}
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(hostPort(a), hostPort(b))
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(ct))
	}
	return mt
}

func orUnknown(s string) string {
	if s == "" {
		return "no content type"
	}
	return s
}

// snippet is the start of a body for an error: one line, printable,
// without the token.
func snippet(b []byte, accessToken string) string {
	return clean(string(bytes.TrimSpace(b)), accessToken)
}

func clean(s, accessToken string) string {
	if accessToken != "" {
		s = strings.ReplaceAll(s, accessToken, "[token]")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 160 {
		s = string(r[:160]) + "…"
	}
	return s
}

// shortURL keeps data: URLs out of messages; they can be long.
func shortURL(s string) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), "data:") {
		if i := strings.IndexByte(s, ','); i >= 0 && i < 64 {
			return s[:i+1] + "…"
		}
		return "data:…"
	}
	if r := []rune(s); len(r) > 300 {
		return string(r[:300]) + "…"
	}
	return s
}

package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/int128/oauth2cli"
	"golang.org/x/oauth2"
)

// CallbackPath is the path of the loopback redirect URI.
const CallbackPath = "/callback"

// RedirectURI is the loopback redirect URI for a port, as it must be
// registered at the provider.
func RedirectURI(port int) string {
	return "http://127.0.0.1:" + strconv.Itoa(port) + CallbackPath
}

// RedirectURIRegex matches every loopback redirect URI, for providers (like
// Authentik) that accept a regular expression; needed when ports are [0].
const RedirectURIRegex = `http://127\.0\.0\.1:\d+/callback`

// LoginOptions drive one interactive sign-in.
type LoginOptions struct {
	// Ports are tried in order for the loopback listener; 0 means any free port.
	Ports []int
	// Timeout bounds the whole sign-in; 0 means 3 minutes.
	Timeout time.Duration
	// FreshLogin asks the provider for the password whatever session the
	// browser holds, and refuses an ID token whose auth_time is older than
	// this sign-in: on a shared machine the provider must not silently reuse
	// the previous person's browser session. Config.Prompt "login" means
	// the same.
	FreshLogin bool
	// OpenBrowser opens url in the person's browser.
	OpenBrowser func(ctx context.Context, url string) error
	// ShowURL tells the person the URL to open by hand, before the browser
	// is asked to open it (which may take a while, or fail).
	ShowURL func(url string)
	// BrowserFailed is told why the browser could not be opened.
	BrowserFailed func(err error)
}

// Login runs the Authorization Code flow with PKCE (S256) through the
// browser and a loopback listener, then verifies what came back.
func (c *Client) Login(ctx context.Context, opts LoginOptions) (*Session, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * time.Minute
	}
	if len(opts.Ports) == 0 {
		opts.Ports = []int{0}
	}
	prompt, fresh := freshPrompt(c.cfg.Prompt)
	opts.FreshLogin = opts.FreshLogin || fresh
	flowCtx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	var busy []string
	for _, port := range opts.Ports {
		bound, err := freePort(port)
		if err != nil {
			busy = append(busy, strconv.Itoa(port))
			continue
		}
		s, err := c.loginOn(flowCtx, bound, prompt, opts)
		if isListenError(err) {
			// Someone took the port between the probe and oauth2cli's listen.
			busy = append(busy, strconv.Itoa(port))
			continue
		}
		switch {
		case err == nil:
			return s, nil
		case ctx.Err() != nil:
			return nil, ErrCancelled
		case errors.Is(err, errCallbackThenTimeout):
			return nil, fmt.Errorf("the browser came back, but the identity provider did not finish the sign-in within %s; check that it is healthy and try again", opts.Timeout)
		case errors.Is(flowCtx.Err(), context.DeadlineExceeded):
			te := &TimeoutError{After: opts.Timeout, RedirectURI: RedirectURI(bound)}
			if port == 0 {
				te.RedirectURI = "" // a random port cannot be registered: only the regex helps
			}
			return nil, te
		}
		return nil, err
	}
	return nil, fmt.Errorf("cannot listen for the sign-in callback: port %s on 127.0.0.1 %s in use; close the program using %s, or change authentik.callback_ports (each port needs its entry in the provider's Redirect URIs/Origins (RegEx) in Authentik)",
		strings.Join(busy, ", "), plural(len(busy), "is", "are all"), plural(len(busy), "it", "one of them"))
}

// FreshLoginMaxAge is the max_age, in seconds, of a fresh sign-in: the
// provider asks for the password unless the browser's last login there is
// younger. It stands in for prompt=login, which Authentik answers with the
// login form twice in a browser that has no Authentik session (its issue
// 18507), and not at all in one that has been through that once; max_age=0
// it ignores. auth_time then proves that the form was shown.
const FreshLoginMaxAge = 10

// freshPrompt takes "login" out of a prompt value: it becomes max_age.
func freshPrompt(prompt string) (rest string, fresh bool) {
	var keep []string
	for _, p := range strings.Fields(prompt) {
		if p == "login" {
			fresh = true
			continue
		}
		keep = append(keep, p)
	}
	return strings.Join(keep, " "), fresh
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ErrCancelled means the sign-in was cancelled by the person or the
// program. It is a context.Canceled too, for callers that only know that.
var ErrCancelled error = cancelled{}

type cancelled struct{}

func (cancelled) Error() string        { return "sign-in cancelled" }
func (cancelled) Is(target error) bool { return target == context.Canceled }

// TimeoutError means no callback arrived in time. Most often the browser
// showed Authentik's "Redirect URI Error" page, which ssotray cannot see.
type TimeoutError struct {
	After       time.Duration
	RedirectURI string
}

func (e *TimeoutError) Error() string {
	register := fmt.Sprintf("add %s (Strict) to the provider's Redirect URIs/Origins (RegEx) in Authentik (or the regex %s)", e.RedirectURI, RedirectURIRegex)
	if e.RedirectURI == "" {
		register = fmt.Sprintf("add the regex %s (Regex) to the provider's Redirect URIs/Origins (RegEx) in Authentik", RedirectURIRegex)
	}
	return fmt.Sprintf("no sign-in arrived from the browser within %s. Finish signing in in the browser and try again; if the browser showed \"Redirect URI Error\", %s", e.After, register)
}

// errCallbackThenTimeout means the callback came but a later step ran out of time.
var errCallbackThenTimeout = errors.New("callback received, then timed out")

// freePort checks that port can be bound on 127.0.0.1 (choosing one for 0)
// and returns it. oauth2cli needs the redirect URI before it listens, so the
// port is settled here.
func freePort(port int) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func isListenError(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "listen"
}

// reusedLogin tells whether auth_time (authTime) shows a login from before
// the sign-in began, took before the ID token came (measured here, from the
// browser's visit to the start path). On the provider's clock the sign-in
// began no earlier than took before it issued the token (iat), so a login
// shown during it is no older than that: this computer's clock need not
// agree with the provider's (within the iat check's 5 minutes), and a login
// a few seconds before the sign-in, which max_age lets through, is caught.
// slack covers both claims being whole seconds. Without iat (a provider
// that leaves out a required claim) this computer's clock (started) has
// to do, with skew for the two clocks.
func reusedLogin(authTime, issuedAt, started time.Time, took time.Duration) bool {
	const slack, skew = 2 * time.Second, 30 * time.Second
	switch {
	case authTime.IsZero():
		return true
	case issuedAt.IsZero():
		return authTime.Before(started.Add(-skew))
	}
	return authTime.Before(issuedAt.Add(-max(took, 0) - slack))
}

func (c *Client) loginOn(ctx context.Context, port int, prompt string, opts LoginOptions) (*Session, error) {
	started, began := c.cfg.Now(), time.Now() // the configured clock, and the monotonic one
	state, nonce := randomString(), randomString()
	verifier := oauth2.GenerateVerifier()
	oc := c.oauth
	oc.RedirectURL = RedirectURI(port)
	authOpts := []oauth2.AuthCodeOption{
		// Authentik assumes "plain" when the method is left out, so S256 is
		// always named explicitly (S256ChallengeOption sends both).
		oauth2.S256ChallengeOption(verifier),
		gooidc.Nonce(nonce),
	}
	if prompt != "" {
		authOpts = append(authOpts, oauth2.SetAuthURLParam("prompt", prompt))
	}
	if opts.FreshLogin {
		authOpts = append(authOpts, oauth2.SetAuthURLParam("max_age", strconv.Itoa(FreshLoginMaxAge)))
	}
	guard := &callbackGuard{state: state, startPath: startPathPrefix + randomString(), binding: randomString(), bindingAge: opts.Timeout,
		uid: os.Getuid(), peerUID: requestPeerUID}
	ready := make(chan string, 1)
	go func() {
		select {
		case index := <-ready:
			// oauth2cli offers its index "/", which redirects to the authorize
			// URL for anyone who asks; the person gets the one-time start path
			// instead, and "/" answers 404 (see callbackGuard).
			u := guard.startURL(index)
			if opts.ShowURL != nil {
				opts.ShowURL(u)
			}
			if err := opts.OpenBrowser(ctx, u); err != nil && opts.BrowserFailed != nil {
				opts.BrowserFailed(err)
			}
		case <-ctx.Done():
		}
	}()
	tok, err := oauth2cli.GetToken(c.ctx(ctx), oauth2cli.Config{
		OAuth2Config:            oc,
		State:                   state,
		AuthCodeOptions:         authOpts,
		TokenRequestOptions:     []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)},
		LocalServerBindAddress:  []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(port))},
		LocalServerCallbackPath: CallbackPath,
		LocalServerMiddleware:   guard.middleware,
		LocalServerReadyChan:    ready,
		LocalServerSuccessHTML:  successPage,
	})
	// How long the sign-in took until the token came, before the checks'
	// own requests (keys, userinfo) add to it.
	took := guard.sinceStart(began)
	if err != nil {
		if perr := guard.providerError(); perr != nil {
			return nil, perr
		}
		if ctx.Err() != nil && guard.called() {
			return nil, errCallbackThenTimeout
		}
		if ctx.Err() != nil || isListenError(err) {
			return nil, err
		}
		return nil, c.tokenEndpointError("completing the sign-in", err)
	}
	idt, err := c.verifyIDToken(ctx, c.tokensOf(tok).IDToken)
	if err != nil {
		return nil, err
	}
	if idt.Nonce != nonce {
		return nil, &RejectedError{What: "ID token", Why: "its nonce does not belong to this sign-in (a replayed or injected token)"}
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, &RejectedError{What: "ID token", Why: "its at_hash does not match the access token"}
		}
	}
	p, err := c.profile(ctx, idt, tok)
	if err != nil {
		return nil, err
	}
	if opts.FreshLogin && reusedLogin(p.AuthTime, idt.IssuedAt, started, took) {
		return nil, &RejectedError{What: "sign-in", Why: "the provider reused an earlier session (a login at " + p.AuthTime.Format(time.RFC3339) + ") instead of asking for the password, though ssotray asked for a fresh sign-in"}
	}
	return &Session{Tokens: c.tokensOf(tok), Profile: p}, nil
}

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// startPathPrefix begins the one-time path the browser is sent to.
const startPathPrefix = "/start/"

// bindingCookie ties the callback to the browser that opened the start
// path.
const bindingCookie = "ssotray_signin"

// callbackGuard stands in front of oauth2cli's handler, which on its own
// would redirect anyone asking for "/" to the full authorize URL (state,
// nonce, PKCE challenge) and end the whole flow on a callback with a wrong
// state. Every local account can reach 127.0.0.1, so the guard:
//   - refuses connections from other users' programs where the system says
//     who owns them (Linux);
//   - answers "/" with 404; the authorize URL is reached only through a
//     one-time, unguessable start path, and only by its first request;
//   - sets a cookie on that first request and accepts a callback only with
//     it, so a code that comes back through another browser (someone who
//     learned the state) cannot sign the person in as someone else;
//   - answers stray callbacks itself, so they cannot abort the sign-in.
type callbackGuard struct {
	state      string
	startPath  string        // "/start/<random>"
	binding    string        // the cookie's value
	bindingAge time.Duration // how long the cookie lives in the browser
	uid        int           // this process's user
	// peerUID says which user's program sent r; known is false where the
	// system cannot tell.
	peerUID func(r *http.Request) (uid int, known bool)

	mu        sync.Mutex
	started   bool      // the start path was used
	startedAt time.Time // when, on the monotonic clock
	perr      error
	arrive    bool // a callback with the right state came
}

// startURL is the one-time start URL on the listener behind index (oauth2cli's
// "http://127.0.0.1:PORT/").
func (g *callbackGuard) startURL(index string) string {
	return strings.TrimSuffix(index, "/") + g.startPath
}

func (g *callbackGuard) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The start path is on the browser's command line, which other
		// users can read; one who fetched it first would get the authorize
		// URL and the cookie, and could sign the person in as themselves.
		if uid, known := g.peerUID(r); known && uid != g.uid {
			refuse(w, http.StatusForbidden, "This sign-in belongs to another user", "ssotray answers only the browser of the user who started the sign-in. Sign in from your own account.")
			return
		}
		switch {
		case r.URL.Path == g.startPath && r.Method == http.MethodGet:
			if !g.claimStart() {
				// The person's own browser never asks twice: a second request
				// is a reload, a copy of the link or another program.
				refuse(w, http.StatusNotFound, "This sign-in link was already used", "Each sign-in link works once. If you did not just open it, another program on this computer got to it first: cancel the sign-in in ssotray and start again.")
				return
			}
			http.SetCookie(w, &http.Cookie{Name: bindingCookie, Value: g.binding, Path: CallbackPath, MaxAge: int(g.bindingAge.Seconds()),
				HttpOnly: true, SameSite: http.SameSiteLaxMode})
			// oauth2cli's index builds the authorize URL from its config, so
			// it stays the one source of it.
			index := r.Clone(r.Context())
			index.URL.Path, index.URL.RawPath = "/", ""
			next.ServeHTTP(w, index)
		case r.URL.Path == CallbackPath:
			g.callback(next, w, r)
		default:
			refuse(w, http.StatusNotFound, "Nothing here", "This address only answers the sign-in ssotray started. Start the sign-in from ssotray.")
		}
	})
}

func (g *callbackGuard) callback(next http.Handler, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(g.state)) != 1 {
		refuse(w, http.StatusBadRequest, "This link is not for the current sign-in", "ssotray ignored it and is still waiting for the sign-in it started. Go back to the sign-in tab, or start again from ssotray.")
		return
	}
	if c, err := r.Cookie(bindingCookie); err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(g.binding)) != 1 {
		refuse(w, http.StatusBadRequest, "This sign-in was started in another browser", "ssotray accepts the sign-in only in the browser that opened its sign-in link, and ignored this one. Finish signing in in that browser, or start again from ssotray.")
		return
	}
	g.mu.Lock()
	g.arrive = true
	if code := q.Get("error"); code != "" {
		g.perr = &ProviderError{Code: code, Description: q.Get("error_description")}
	}
	g.mu.Unlock()
	next.ServeHTTP(w, r)
}

// requestPeerUID is the user owning the client end of r's connection.
func requestPeerUID(r *http.Request) (int, bool) {
	la, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if la == nil {
		return 0, false
	}
	local, err1 := netip.ParseAddrPort(la.String())
	remote, err2 := netip.ParseAddrPort(r.RemoteAddr)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return loopbackPeerUID(local, remote)
}

// claimStart reports whether this is the first use of the start path.
func (g *callbackGuard) claimStart() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	first := !g.started
	if first {
		g.started, g.startedAt = true, time.Now()
	}
	return first
}

// sinceStart is how long ago the browser reached the start path (the
// sign-in began there), or since fallback if it never did.
func (g *callbackGuard) sinceStart(fallback time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started {
		return time.Since(g.startedAt)
	}
	return time.Since(fallback)
}

func refuse(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprint(w, page(title, text))
}

func (g *callbackGuard) called() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.arrive
}

func (g *callbackGuard) providerError() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.perr
}

// ProviderError is an error the provider sent back through the redirect.
type ProviderError struct {
	Code, Description string
}

func (e *ProviderError) Error() string {
	advice := "try again, or ask your administrator"
	switch e.Code {
	case "access_denied":
		advice = "you may not be allowed to use this application; ask your administrator to check the application's policy bindings in Authentik"
	case "login_required", "interaction_required":
		advice = "sign in again without prompt=none"
	case "invalid_scope":
		advice = "remove the scope it names from authentik.scopes, or add its scope mapping to the provider in Authentik"
	}
	desc := ""
	if e.Description != "" {
		desc = " (" + e.Description + ")"
	}
	return fmt.Sprintf("the identity provider refused the sign-in: %s%s; %s", e.Code, desc, advice)
}

var successPage = page("Signed in to ssotray", "You can close this tab and go back to ssotray.")

func page(title, text string) string {
	return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>` + html.EscapeString(title) +
		`</title><style>body{font-family:sans-serif;background:#f4f5f7;margin:0}main{max-width:32em;margin:4em auto;background:#fff;padding:2em;border-radius:8px}</style></head><body><main><h1>` +
		html.EscapeString(title) + `</h1><p>` + html.EscapeString(text) + `</p></main></body></html>`
}

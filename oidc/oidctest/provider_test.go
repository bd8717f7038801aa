package oidctest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

const (
	publicID   = "ssotray"
	strictID   = "strict-app"
	confID     = "webapp"
	confSecret = "webapp-secret-0123456789abcdefghijklmnopqrstuvwxyz" // >= 32 bytes so go-jose accepts it as an HS256 key

	regexRedirect  = `http://127\.0\.0\.1:\d+/callback`
	loopback       = "http://127.0.0.1:49152/callback" // matches regexRedirect
	strictRedirect = "http://127.0.0.1:38080/callback"
	confRedirect   = "https://webapp.example/oauth/callback"
	logoutRedirect = "http://127.0.0.1:38080/logged-out"
)

var (
	alice = User{Username: "alice", Password: "wonderland", Name: "Alice Liddell", Email: "alice@example.org", Groups: []string{"music", "admins"}}
	bob   = User{Username: "bob", Password: "builder", Name: "Bob", Email: "bob@example.org"}
)

func testClients() []Client {
	return []Client{
		{ID: publicID, RedirectURIRegexes: []string{regexRedirect}, PostLogoutRedirectURIs: []string{logoutRedirect}},
		{ID: strictID, RedirectURIs: []string{strictRedirect}},
		{ID: confID, Secret: confSecret, RedirectURIs: []string{confRedirect}},
	}
}

func startProvider(t *testing.T, edit ...func(*Options)) *Provider {
	t.Helper()
	opts := Options{Users: []User{alice, bob}, Clients: testClients()}
	for _, e := range edit {
		e(&opts)
	}
	p, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// fakeClock lets a test move the provider's time, and the verifier's with it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now().Truncate(time.Second)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// --- the browser: a cookie jar that follows the provider's own redirects
// and stops at the first one that leaves it, as a browser hands the
// callback to the application.

type browser struct {
	t *testing.T
	p *Provider
	c *http.Client
}

type page struct {
	status   int
	url      *url.URL // last URL requested on the provider
	location *url.URL // set when the provider redirected elsewhere
	header   http.Header
	body     string
}

func newBrowser(t *testing.T, p *Provider) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, p: p, c: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	for range 10 {
		resp, err := b.c.Do(req)
		if err != nil {
			b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		pg := page{status: resp.StatusCode, url: req.URL, header: resp.Header, body: string(body)}
		if resp.StatusCode < 300 || resp.StatusCode > 399 {
			return pg
		}
		loc, err := resp.Location()
		if err != nil {
			b.t.Fatalf("redirect without Location from %s: %v", req.URL, err)
		}
		if !strings.HasPrefix(loc.String(), b.p.URL()+"/") {
			pg.location = loc
			return pg
		}
		req, _ = http.NewRequest(http.MethodGet, loc.String(), nil)
	}
	b.t.Fatalf("too many redirects")
	return page{}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) postForm(u string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var formAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)

func isLoginForm(pg page) bool {
	return pg.status == http.StatusOK && pg.location == nil &&
		strings.Contains(pg.body, `<input id="username" name="username"`) &&
		strings.Contains(pg.body, `<input id="password" name="password" type="password"`) &&
		strings.Contains(pg.body, `<button id="submit" type="submit">Log in</button>`)
}

// submitLogin fills in the form the way a person would.
func (b *browser) submitLogin(pg page, username, password string) page {
	b.t.Helper()
	if !isLoginForm(pg) {
		b.t.Fatalf("expected the login form, got %d %v:\n%s", pg.status, pg.location, pg.body)
	}
	m := formAction.FindStringSubmatch(pg.body)
	if m == nil {
		b.t.Fatalf("no form action in:\n%s", pg.body)
	}
	action, err := pg.url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		b.t.Fatal(err)
	}
	return b.postForm(action.String(), url.Values{"username": {username}, "password": {password}})
}

// --- the relying party: golang.org/x/oauth2 + coreos/go-oidc, as the
// product's client uses them.

type rp struct {
	t        *testing.T
	p        *Provider
	provider *gooidc.Provider
	conf     oauth2.Config
	verifier *gooidc.IDTokenVerifier
}

func newRP(t *testing.T, p *Provider, clientID, secret, redirect string, now func() time.Time, scopes ...string) *rp {
	t.Helper()
	prov, err := gooidc.NewProvider(t.Context(), p.Issuer())
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	if len(scopes) == 0 {
		scopes = []string{gooidc.ScopeOpenID, "profile", "email", gooidc.ScopeOfflineAccess}
	}
	return &rp{
		t: t, p: p, provider: prov,
		conf: oauth2.Config{
			ClientID: clientID, ClientSecret: secret, RedirectURL: redirect,
			Endpoint: prov.Endpoint(), Scopes: scopes,
		},
		verifier: prov.Verifier(&gooidc.Config{ClientID: clientID, Now: now}),
	}
}

type flow struct {
	state, nonce, verifier string
	authURL                string
}

func (r *rp) start(extra ...oauth2.AuthCodeOption) flow {
	f := flow{state: oauth2.GenerateVerifier()[:16], nonce: oauth2.GenerateVerifier()[:20], verifier: oauth2.GenerateVerifier()}
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.verifier), gooidc.Nonce(f.nonce)}, extra...)
	f.authURL = r.conf.AuthCodeURL(f.state, opts...)
	return f
}

// callback checks that the browser landed on the redirect URI with our state
// and returns the code.
func (r *rp) callback(pg page, f flow) string {
	r.t.Helper()
	if pg.location == nil {
		r.t.Fatalf("expected a redirect to %s, got %d:\n%s", r.conf.RedirectURL, pg.status, pg.body)
	}
	q := pg.location.Query()
	if got := strings.SplitN(pg.location.String(), "?", 2)[0]; got != r.conf.RedirectURL {
		r.t.Fatalf("redirected to %s, want %s", got, r.conf.RedirectURL)
	}
	if q.Get("error") != "" {
		r.t.Fatalf("authorization error %q: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != f.state {
		r.t.Fatalf("state %q, want %q", q.Get("state"), f.state)
	}
	if q.Get("code") == "" {
		r.t.Fatalf("no code in %s", pg.location)
	}
	return q.Get("code")
}

// login runs authorize, the form, and the callback.
func (r *rp) login(b *browser, user User) (flow, string) {
	r.t.Helper()
	f := r.start()
	pg := b.submitLogin(b.get(f.authURL), user.Username, user.Password)
	return f, r.callback(pg, f)
}

func (r *rp) exchange(code string, f flow) (*oauth2.Token, error) {
	return r.conf.Exchange(r.t.Context(), code, oauth2.VerifierOption(f.verifier))
}

func (r *rp) mustExchange(code string, f flow) *oauth2.Token {
	r.t.Helper()
	tok, err := r.exchange(code, f)
	if err != nil {
		r.t.Fatalf("exchange: %v", err)
	}
	return tok
}

func (r *rp) verify(tok *oauth2.Token) (*gooidc.IDToken, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errors.New("token response has no id_token")
	}
	return r.verifier.Verify(r.t.Context(), raw)
}

func (r *rp) mustVerify(tok *oauth2.Token) *gooidc.IDToken {
	r.t.Helper()
	idt, err := r.verify(tok)
	if err != nil {
		r.t.Fatalf("verify ID token: %v", err)
	}
	return idt
}

// refresh posts a refresh_token grant by hand, so the test sees exactly
// what the provider answered (oauth2.TokenSource would hide an omitted
// refresh_token).
func (r *rp) refresh(rt string) (int, map[string]any) {
	r.t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {r.conf.ClientID}}
	if r.conf.ClientSecret != "" {
		form.Set("client_secret", r.conf.ClientSecret)
	}
	return postJSON(r.t, r.conf.Endpoint.TokenURL, form, nil)
}

func postJSON(t *testing.T, u string, form url.Values, basic *[2]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != nil {
		req.SetBasicAuth(basic[0], basic[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("POST %s: %d, not JSON: %q", u, resp.StatusCode, body)
		}
	}
	return resp.StatusCode, out
}

type authentikClaims struct {
	Subject           string   `json:"sub"`
	Name              string   `json:"name"`
	GivenName         string   `json:"given_name"`
	PreferredUsername string   `json:"preferred_username"`
	Nickname          string   `json:"nickname"`
	Groups            []string `json:"groups"`
	Email             string   `json:"email"`
	EmailVerified     *bool    `json:"email_verified"` // nil when left out
	AZP               string   `json:"azp"`
	AuthTime          int64    `json:"auth_time"`
	Nonce             *string  `json:"nonce"`
}

func claimsOf(t *testing.T, idt *gooidc.IDToken) authentikClaims {
	t.Helper()
	var c authentikClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func eventsOf(p *Provider, kind string) []Event {
	var out []Event
	for _, e := range p.Events() {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func errorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// ===================================================================

func TestDiscoveryMatchesAuthentikLayout(t *testing.T) {
	t.Parallel()
	p := startProvider(t, func(o *Options) { o.Slug = "music" })

	if want := p.URL() + "/application/o/music/"; p.Issuer() != want {
		t.Fatalf("Issuer() = %q, want %q", p.Issuer(), want)
	}
	if want := p.Issuer() + ".well-known/openid-configuration"; p.DiscoveryURL() != want {
		t.Fatalf("DiscoveryURL() = %q, want %q", p.DiscoveryURL(), want)
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(p.URL()) {
		t.Fatalf("URL() = %q", p.URL())
	}

	resp, err := http.Get(p.DiscoveryURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery: %d", resp.StatusCode)
	}
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	base := p.URL()
	wantURLs := map[string]string{
		"issuer":                 base + "/application/o/music/",
		"authorization_endpoint": base + "/application/o/authorize/",
		"token_endpoint":         base + "/application/o/token/",
		"userinfo_endpoint":      base + "/application/o/userinfo/",
		"revocation_endpoint":    base + "/application/o/revoke/",
		"introspection_endpoint": base + "/application/o/introspect/",
		"jwks_uri":               base + "/application/o/music/jwks/",
		"end_session_endpoint":   base + "/application/o/music/end-session/",
	}
	for k, want := range wantURLs {
		if doc[k] != want {
			t.Errorf("%s = %v, want %s", k, doc[k], want)
		}
	}
	// No other URL may be advertised: a client must not find an endpoint
	// Authentik does not have at that place.
	for k, v := range doc {
		if s, ok := v.(string); ok && strings.HasPrefix(s, "http") {
			if _, listed := wantURLs[k]; !listed {
				t.Errorf("unexpected URL %s = %s", k, s)
			}
		}
	}
	strs := func(k string) []string {
		var out []string
		for _, v := range doc[k].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	if got := strs("code_challenge_methods_supported"); !slices.Equal(got, []string{"plain", "S256"}) {
		t.Errorf("code_challenge_methods_supported = %v", got)
	}
	if got := strs("id_token_signing_alg_values_supported"); !slices.Equal(got, []string{"RS256"}) {
		t.Errorf("id_token_signing_alg_values_supported = %v", got)
	}
	for _, s := range []string{"openid", "profile", "email", "offline_access"} {
		if !slices.Contains(strs("scopes_supported"), s) {
			t.Errorf("scopes_supported lacks %s: %v", s, strs("scopes_supported"))
		}
	}

	// go-oidc accepts the document for the issuer with the trailing slash.
	prov, err := gooidc.NewProvider(t.Context(), p.Issuer())
	if err != nil {
		t.Fatalf("go-oidc: %v", err)
	}
	if prov.Endpoint().AuthURL != wantURLs["authorization_endpoint"] {
		t.Errorf("go-oidc AuthURL = %s", prov.Endpoint().AuthURL)
	}

	// Every advertised URL is actually served.
	check := func(method, u string, wantStatus int, wantBody string) {
		t.Helper()
		req, _ := http.NewRequest(method, u, nil)
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, u, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != wantStatus || !strings.Contains(string(body), wantBody) {
			t.Errorf("%s %s = %d %q, want %d containing %q", method, u, resp.StatusCode, body, wantStatus, wantBody)
		}
	}
	check(http.MethodGet, wantURLs["authorization_endpoint"], 400, "Client ID Error")
	check(http.MethodPost, wantURLs["token_endpoint"], 400, `"error"`)
	check(http.MethodGet, wantURLs["userinfo_endpoint"], 401, "invalid_token")
	check(http.MethodPost, wantURLs["revocation_endpoint"], 401, "invalid_client")
	check(http.MethodPost, wantURLs["introspection_endpoint"], 401, "")
	check(http.MethodGet, wantURLs["jwks_uri"], 200, `"kty":"RSA"`)
	// Without a browser session: the login page first (Quirks.EndSessionLoginFirst).
	check(http.MethodGet, wantURLs["end_session_endpoint"], 200, "Welcome to authentik!")
	// Only the configured slug exists, and the global endpoints are not per slug.
	check(http.MethodGet, base+"/application/o/other/.well-known/openid-configuration", 404, "")
	check(http.MethodPost, base+"/application/o/music/token/", 404, "")
}

func TestHealthEndpoints(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	for _, path := range []string{"/-/health/live/", "/-/health/ready/"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			req, _ := http.NewRequest(method, p.URL()+path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || len(body) != 0 {
				t.Errorf("%s %s = %d %q, want 200 and an empty body", method, path, resp.StatusCode, body)
			}
		}
	}
}

func TestCodeFlowWithPKCE(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	r := newRP(t, p, publicID, "", loopback, nil)
	b := newBrowser(t, p)

	f := r.start()
	form := b.get(f.authURL)
	if !isLoginForm(form) {
		t.Fatalf("authorize did not show the login form: %d\n%s", form.status, form.body)
	}
	before := time.Now().Add(-time.Second)
	pg := b.submitLogin(form, "alice", "wonderland")
	after := time.Now().Add(time.Second)
	code := r.callback(pg, f)

	var cookie *http.Cookie
	for _, c := range b.c.Jar.Cookies(pg.url) {
		if c.Name == "authentik_session" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no browser session cookie after login")
	}
	if sc := pg.header.Get("Set-Cookie"); !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "Path=/;") {
		t.Errorf("session cookie = %q, want HttpOnly and Path=/", sc)
	}

	tok := r.mustExchange(code, f)
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token response lacks tokens: access=%v refresh=%v", tok.AccessToken != "", tok.RefreshToken != "")
	}
	// Authentik's default access token validity: 1 hour.
	if ei, _ := tok.Extra("expires_in").(float64); ei != 3600 {
		t.Errorf("expires_in = %v, want 3600", tok.Extra("expires_in"))
	}
	idt := r.mustVerify(tok)
	c := claimsOf(t, idt)
	want := authentikClaims{
		Subject: sha256Hex("alice"), Name: "Alice Liddell", GivenName: "Alice Liddell",
		PreferredUsername: "alice", Nickname: "alice", Groups: []string{"music", "admins"},
		Email: "alice@example.org", AZP: "", // Authentik's ID tokens have no azp
	}
	// Authentik sends email_verified, and false: a claim left out is not the same.
	said := func(v *bool) string {
		return map[bool]string{true: fmt.Sprint(v != nil && *v), false: "left out"}[v != nil]
	}
	if c.Subject != want.Subject || c.Name != want.Name || c.GivenName != want.GivenName ||
		c.PreferredUsername != want.PreferredUsername || c.Nickname != want.Nickname ||
		!slices.Equal(c.Groups, want.Groups) || c.Email != want.Email || c.AZP != want.AZP {
		t.Errorf("ID token claims = %+v\nwant %+v", c, want)
	}
	if got := said(c.EmailVerified); got != "false" {
		t.Errorf("ID token's email_verified: %s, want false", got)
	}
	if idt.Nonce != f.nonce {
		t.Errorf("nonce = %q, want %q", idt.Nonce, f.nonce)
	}
	if at := time.Unix(c.AuthTime, 0); at.Before(before) || at.After(after) {
		t.Errorf("auth_time %v not within the login (%v .. %v)", at, before, after)
	}
	if !slices.Equal(idt.Audience, []string{publicID}) {
		t.Errorf("aud = %v", idt.Audience)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}

	// userinfo carries the same claims.
	ui, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	var uc authentikClaims
	if err := ui.Claims(&uc); err != nil {
		t.Fatal(err)
	}
	if uc.Subject != want.Subject || !slices.Equal(uc.Groups, want.Groups) || uc.PreferredUsername != "alice" || uc.Email != want.Email {
		t.Errorf("userinfo = %+v", uc)
	}
	if got := said(uc.EmailVerified); got != "false" {
		t.Errorf("userinfo's email_verified: %s, want false", got)
	}
	if p.TokenState(tok.AccessToken) != TokenActive || p.TokenState(tok.RefreshToken) != TokenActive {
		t.Errorf("token states = %v / %v, want active", p.TokenState(tok.AccessToken), p.TokenState(tok.RefreshToken))
	}

	// The code is single use.
	if _, err := r.exchange(code, f); errorCode(err) != "invalid_grant" {
		t.Errorf("second exchange of the code: %v, want invalid_grant", err)
	}

	az := eventsOf(p, "authorize")
	if len(az) == 0 {
		t.Fatal("no authorize event")
	}
	d := az[0].Detail
	if d["client_id"] != publicID || d["redirect_uri"] != loopback || d["code_challenge_method"] != "S256" ||
		d["nonce_present"] != "true" || d["state_present"] != "true" || d["prompt"] != "" ||
		d["scope"] != "openid profile email offline_access" {
		t.Errorf("authorize event detail = %v", d)
	}
	kinds := []string{}
	for _, e := range p.Events() {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Equal(kinds[:4], []string{"authorize", "login_form", "login_ok", "token"}) {
		t.Errorf("event kinds = %v", kinds)
	}
	if ok := eventsOf(p, "login_ok"); len(ok) != 1 || ok[0].User != "alice" {
		t.Errorf("login_ok events = %+v", ok)
	}
	if tk := eventsOf(p, "token"); tk[0].Detail["grant_type"] != "authorization_code" || tk[0].Detail["redirect_uri"] != loopback || tk[0].Detail["client_id"] != publicID || tk[0].User != "alice" {
		t.Errorf("token event = %+v", tk[0])
	}
	assertNoSecretsInEvents(t, p, "wonderland", tok.AccessToken, tok.RefreshToken, tok.Extra("id_token").(string), code)

	// Events hands out a copy.
	ev := p.Events()
	ev[0].Detail["client_id"] = "changed"
	ev[0].Kind = "changed"
	if again := p.Events(); again[0].Kind != "authorize" || again[0].Detail["client_id"] != publicID {
		t.Errorf("Events() returned shared data: %+v", again[0])
	}
}

func assertNoSecretsInEvents(t *testing.T, p *Provider, secrets ...string) {
	t.Helper()
	for _, e := range p.Events() {
		for k, v := range e.Detail {
			for _, s := range secrets {
				if s != "" && (v == s || strings.Contains(v, s) || (len(v) > 8 && strings.Contains(s, v))) {
					t.Errorf("event %s detail %s leaks a secret: %q", e.Kind, k, v)
				}
			}
			if k == "token" || k == "password" || k == "code" {
				t.Errorf("event %s has a %q detail", e.Kind, k)
			}
		}
		for _, s := range secrets {
			if s != "" && e.User == s {
				t.Errorf("event %s user is a secret", e.Kind)
			}
		}
	}
}

func TestPKCEPlainWhenMethodOmitted(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	r := newRP(t, p, publicID, "", loopback, nil)
	b := newBrowser(t, p)

	for _, tc := range []struct {
		name     string
		verifier func(challenge string) string
		wantErr  string
	}{
		{"verifier equals challenge", func(c string) string { return c }, ""},
		{"S256 verifier is refused", func(c string) string { return "x" + c }, "invalid_grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			challenge := oauth2.GenerateVerifier()
			f := flow{state: "st-" + tc.name[:4], nonce: "n"}
			f.authURL = r.conf.AuthCodeURL(f.state, oauth2.SetAuthURLParam("code_challenge", challenge), gooidc.Nonce(f.nonce))
			pg := b.get(f.authURL)
			if isLoginForm(pg) {
				pg = b.submitLogin(pg, "alice", "wonderland")
			}
			code := r.callback(pg, f)
			tok, err := r.conf.Exchange(t.Context(), code, oauth2.VerifierOption(tc.verifier(challenge)))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("exchange with plain verifier: %v", err)
				}
				r.mustVerify(tok)
				return
			}
			if errorCode(err) != tc.wantErr {
				t.Fatalf("exchange: %v, want %s", err, tc.wantErr)
			}
		})
	}
	for _, e := range eventsOf(p, "authorize") {
		if m, ok := e.Detail["code_challenge_method"]; !ok || m != "" {
			t.Errorf("code_challenge_method detail = %q (present %v), want empty", m, ok)
		}
	}
}

func TestWrongPasswordShowsError(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	r := newRP(t, p, publicID, "", loopback, nil)
	b := newBrowser(t, p)
	f := r.start()

	pg := b.submitLogin(b.get(f.authURL), "alice", "not-the-password")
	if !isLoginForm(pg) || !strings.Contains(pg.body, `<p id="error" role="alert">Invalid username or password</p>`) {
		t.Fatalf("wrong password: %d\n%s", pg.status, pg.body)
	}
	pg = b.submitLogin(pg, "nobody", "wonderland")
	if !strings.Contains(pg.body, `id="error"`) {
		t.Fatalf("unknown user did not show the error:\n%s", pg.body)
	}
	// The email works as the identifier too, as in Authentik's default flow.
	pg = b.submitLogin(pg, "alice@example.org", "wonderland")
	tok := r.mustExchange(r.callback(pg, f), f)
	if c := claimsOf(t, r.mustVerify(tok)); c.PreferredUsername != "alice" {
		t.Errorf("logged in as %q", c.PreferredUsername)
	}

	failed := eventsOf(p, "login_failed")
	if len(failed) != 2 || failed[0].User != "alice" || failed[1].User != "nobody" {
		t.Errorf("login_failed events = %+v", failed)
	}
	assertNoSecretsInEvents(t, p, "not-the-password", "wonderland")
}

func TestBrowserSessionAndPrompt(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	p := startProvider(t, func(o *Options) { o.Now = clock.Now })
	r := newRP(t, p, publicID, "", loopback, clock.Now)
	b := newBrowser(t, p)

	f, code := r.login(b, alice)
	first := claimsOf(t, r.mustVerify(r.mustExchange(code, f)))
	if first.AuthTime != clock.Now().Unix() {
		t.Errorf("auth_time = %d, want the fake clock's %d", first.AuthTime, clock.Now().Unix())
	}

	t.Run("session reused silently", func(t *testing.T) {
		clock.Advance(time.Minute)
		f := r.start()
		pg := b.get(f.authURL)
		tok := r.mustExchange(r.callback(pg, f), f)
		idt := r.mustVerify(tok)
		if c := claimsOf(t, idt); c.AuthTime != first.AuthTime || c.Subject != first.Subject {
			t.Errorf("reused session: auth_time %d sub %s, want %d %s", c.AuthTime, c.Subject, first.AuthTime, first.Subject)
		}
		if !idt.IssuedAt.Equal(clock.Now()) {
			t.Errorf("iat = %v, want the fake clock's %v", idt.IssuedAt, clock.Now())
		}
		if ev := eventsOf(p, "session_reused"); len(ev) != 1 || ev[0].User != "alice" {
			t.Errorf("session_reused events = %+v", ev)
		}
	})

	t.Run("prompt=none with a session", func(t *testing.T) {
		f := r.start(oauth2.SetAuthURLParam("prompt", "none"))
		r.mustExchange(r.callback(b.get(f.authURL), f), f)
	})

	t.Run("prompt=login asks again", func(t *testing.T) {
		clock.Advance(time.Minute)
		f := r.start(oauth2.SetAuthURLParam("prompt", "login"))
		pg := b.get(f.authURL)
		if !isLoginForm(pg) {
			t.Fatalf("prompt=login did not show the form: %d %v", pg.status, pg.location)
		}
		if wrong := b.submitLogin(pg, "alice", "guess"); !strings.Contains(wrong.body, `id="error"`) {
			t.Fatalf("prompt=login accepted a wrong password")
		}
		tok := r.mustExchange(r.callback(b.submitLogin(pg, "bob", "builder"), f), f)
		c := claimsOf(t, r.mustVerify(tok))
		if c.AuthTime != clock.Now().Unix() || c.PreferredUsername != "bob" {
			t.Errorf("after prompt=login: auth_time %d user %s, want %d bob", c.AuthTime, c.PreferredUsername, clock.Now().Unix())
		}
		last := eventsOf(p, "authorize")
		if d := last[len(last)-1].Detail; d["prompt"] != "login" {
			t.Errorf("prompt detail = %q", d["prompt"])
		}
	})

	t.Run("prompt=none without a session", func(t *testing.T) {
		fresh := newBrowser(t, p)
		f := r.start(oauth2.SetAuthURLParam("prompt", "none"))
		pg := fresh.get(f.authURL)
		if pg.location == nil || pg.location.Query().Get("error") != "login_required" || pg.location.Query().Get("state") != f.state {
			t.Fatalf("prompt=none without session: %d %v", pg.status, pg.location)
		}
	})
}

func TestRedirectURIMatching(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	for _, tc := range []struct {
		name, client, uri string
		ok                bool
	}{
		{"strict exact", strictID, strictRedirect, true},
		{"strict other port", strictID, "http://127.0.0.1:38081/callback", false},
		{"strict localhost", strictID, "http://localhost:38080/callback", false},
		{"strict trailing slash", strictID, strictRedirect + "/", false},
		{"strict case", strictID, "http://127.0.0.1:38080/Callback", false},
		{"regex any port", publicID, "http://127.0.0.1:1/callback", true},
		{"regex another port", publicID, loopback, true},
		{"regex query appended", publicID, loopback + "?x=1", false},
		{"regex suffix", publicID, loopback + "x", false},
		{"regex prefix", publicID, "http://evil.example/" + loopback, false},
		{"regex localhost", publicID, "http://localhost:49152/callback", false},
		{"regex is not a strict entry", publicID, regexRedirect, false},
		{"missing", publicID, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{
				"client_id": {tc.client}, "response_type": {"code"}, "scope": {"openid"},
				"state": {"s"}, "code_challenge": {"c" + strings.Repeat("x", 43)}, "code_challenge_method": {"plain"},
			}
			if tc.uri != "" {
				q.Set("redirect_uri", tc.uri)
			}
			pg := newBrowser(t, p).get(p.URL() + "/application/o/authorize/?" + q.Encode())
			if tc.ok {
				if !isLoginForm(pg) {
					t.Fatalf("allowed URI: got %d %v\n%s", pg.status, pg.location, pg.body)
				}
				return
			}
			if pg.status != http.StatusBadRequest || pg.location != nil || pg.header.Get("Location") != "" ||
				!strings.Contains(pg.body, "Redirect URI Error") || !strings.HasPrefix(pg.header.Get("Content-Type"), "text/html") {
				t.Fatalf("refused URI: got %d location=%v type=%q\n%s", pg.status, pg.location, pg.header.Get("Content-Type"), pg.body)
			}
		})
	}
}

func TestTokenRequestRedirectURI(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	r := newRP(t, p, publicID, "", loopback, nil)
	f, code := r.login(newBrowser(t, p), alice)

	for _, tc := range []struct {
		name, redirect string
	}{
		{"missing", ""},
		{"other allowed URI", "http://127.0.0.1:1/callback"},
		{"unregistered", "http://127.0.0.1:49152/other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {publicID}, "code_verifier": {f.verifier}}
			if tc.redirect != "" {
				form.Set("redirect_uri", tc.redirect)
			}
			status, body := postJSON(t, r.conf.Endpoint.TokenURL, form, nil)
			if status != http.StatusBadRequest || body["error"] != "invalid_client" {
				t.Fatalf("token with redirect_uri %q: %d %v, want 400 invalid_client", tc.redirect, status, body)
			}
		})
	}
	if tk := eventsOf(p, "token"); len(tk) != 3 || tk[0].Detail["redirect_uri"] != "" {
		t.Errorf("token events = %+v", tk)
	}
	// The refused attempts did not burn the code.
	r.mustVerify(r.mustExchange(code, f))
}

func TestConfidentialClient(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	b := newBrowser(t, p)
	for _, tc := range []struct {
		name    string
		style   oauth2.AuthStyle
		secret  string
		wantErr string
	}{
		{"client_secret_basic", oauth2.AuthStyleInHeader, confSecret, ""},
		{"client_secret_post", oauth2.AuthStyleInParams, confSecret, ""},
		{"wrong secret", oauth2.AuthStyleInParams, "nope", "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRP(t, p, confID, tc.secret, confRedirect, nil)
			r.conf.Endpoint.AuthStyle = tc.style
			f := r.start()
			pg := b.get(f.authURL)
			if isLoginForm(pg) {
				pg = b.submitLogin(pg, "bob", "builder")
			}
			tok, err := r.exchange(r.callback(pg, f), f)
			if tc.wantErr != "" {
				if errorCode(err) != tc.wantErr {
					t.Fatalf("exchange: %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c := claimsOf(t, r.mustVerify(tok)); c.PreferredUsername != "bob" || c.Groups == nil || len(c.Groups) != 0 {
				t.Errorf("claims = %+v (groups must be an empty list, not absent)", c)
			}
			if _, ok := tok.Extra("refresh_token").(string); !ok {
				t.Error("no refresh token for offline_access")
			}
		})
	}

	t.Run("introspection", func(t *testing.T) {
		r := newRP(t, p, confID, confSecret, confRedirect, nil)
		f := r.start()
		tok := r.mustExchange(r.callback(b.get(f.authURL), f), f)
		introspect := p.URL() + "/application/o/introspect/"
		status, body := postJSON(t, introspect, url.Values{"token": {tok.AccessToken}}, &[2]string{confID, confSecret})
		if status != 200 || body["active"] != true || body["sub"] != sha256Hex("bob") || body["client_id"] != confID {
			t.Errorf("introspect = %d %v", status, body)
		}
		status, body = postJSON(t, introspect, url.Values{"token": {"garbage"}}, &[2]string{confID, confSecret})
		if status != 200 || body["active"] != false {
			t.Errorf("introspect garbage = %d %v", status, body)
		}
	})
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	r := newRP(t, p, publicID, "", loopback, nil)
	b := newBrowser(t, p)
	f, code := r.login(b, alice)
	tok := r.mustExchange(code, f)
	orig := claimsOf(t, r.mustVerify(tok))

	ts := r.conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken})
	next, err := ts.Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken || next.AccessToken == tok.AccessToken {
		t.Fatal("refresh did not rotate the tokens")
	}
	idt := r.mustVerify(next)
	c := claimsOf(t, idt)
	if c.Nonce != nil {
		t.Errorf("refreshed ID token carries a nonce: %q", *c.Nonce)
	}
	if c.Subject != orig.Subject || c.AuthTime != orig.AuthTime || !slices.Equal(c.Groups, orig.Groups) {
		t.Errorf("refreshed claims %+v differ from %+v", c, orig)
	}
	if got := p.TokenState(tok.RefreshToken); got != TokenRotated {
		t.Errorf("old refresh token is %v, want rotated", got)
	}
	if got := p.TokenState(next.RefreshToken); got != TokenActive {
		t.Errorf("new refresh token is %v, want active", got)
	}

	status, body := r.refresh(tok.RefreshToken)
	if status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("reusing a rotated refresh token: %d %v, want 400 invalid_grant", status, body)
	}
	if ev := eventsOf(p, "refresh_refused"); len(ev) != 1 || ev[0].Detail["reason"] != "invalid_grant" {
		t.Errorf("refresh_refused events = %+v", ev)
	}
	status, body = r.refresh(next.RefreshToken)
	if status != 200 || body["refresh_token"] == nil || body["id_token"] == nil {
		t.Errorf("refreshing with the new token: %d %v", status, body)
	}

	t.Run("no offline_access, no refresh token", func(t *testing.T) {
		r := newRP(t, p, publicID, "", loopback, nil, "openid", "profile")
		f := r.start()
		tok := r.mustExchange(r.callback(b.get(f.authURL), f), f)
		if tok.RefreshToken != "" {
			t.Error("refresh token issued without offline_access")
		}
		if c := claimsOf(t, r.mustVerify(tok)); c.Email != "" || c.PreferredUsername != "alice" {
			t.Errorf("claims without the email scope = %+v", c)
		}
	})

	t.Run("parallel reuse: exactly one wins", func(t *testing.T) {
		f := r.start()
		tok := r.mustExchange(r.callback(b.get(f.authURL), f), f)
		var wg sync.WaitGroup
		statuses := make([]int, 8)
		for i := range statuses {
			wg.Go(func() { statuses[i], _ = r.refresh(tok.RefreshToken) })
		}
		wg.Wait()
		if n := len(slices.DeleteFunc(slices.Clone(statuses), func(s int) bool { return s != 200 })); n != 1 {
			t.Errorf("statuses %v: %d successes, want 1", statuses, n)
		}
	})
}

func TestRefreshFaults(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	r := newRP(t, p, publicID, "", loopback, nil)
	f, code := r.login(newBrowser(t, p), alice)
	rt := r.mustExchange(code, f).RefreshToken

	t.Run("OmitRefreshToken", func(t *testing.T) {
		p.SetFaults(Faults{OmitRefreshToken: true})
		defer p.SetFaults(Faults{})
		for i := range 2 {
			status, body := r.refresh(rt)
			if status != 200 || body["access_token"] == nil || body["id_token"] == nil {
				t.Fatalf("refresh %d: %d %v", i, status, body)
			}
			if _, ok := body["refresh_token"]; ok {
				t.Fatalf("refresh %d returned a refresh_token", i)
			}
		}
		if p.TokenState(rt) != TokenActive {
			t.Errorf("refresh token is %v, want still active", p.TokenState(rt))
		}
		// oauth2 keeps the old refresh token when the response has none.
		next, err := r.conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: rt}).Token()
		if err != nil || next.RefreshToken != rt {
			t.Errorf("oauth2 refresh: %v, kept token %v", err, next != nil && next.RefreshToken == rt)
		}
	})

	t.Run("RefuseRefresh", func(t *testing.T) {
		p.SetFaults(Faults{RefuseRefresh: true})
		defer p.SetFaults(Faults{})
		status, body := r.refresh(rt)
		if status != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("refresh = %d %v, want 400 invalid_grant", status, body)
		}
		if ev := eventsOf(p, "refresh_refused"); len(ev) != 1 || ev[0].User != "alice" || ev[0].Detail["reason"] != "fault" {
			t.Errorf("refresh_refused events = %+v", ev)
		}
		if p.TokenState(rt) != TokenActive {
			t.Errorf("a refused refresh changed the token to %v", p.TokenState(rt))
		}
	})

	t.Run("back to normal", func(t *testing.T) {
		if status, body := r.refresh(rt); status != 200 || body["refresh_token"] == nil {
			t.Fatalf("refresh = %d %v", status, body)
		}
	})
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	r := newRP(t, p, publicID, "", loopback, nil)
	b := newBrowser(t, p)
	revoke := p.URL() + "/application/o/revoke/"

	f, code := r.login(b, alice)
	tok := r.mustExchange(code, f)

	t.Run("refresh token", func(t *testing.T) {
		status, _ := postJSON(t, revoke, url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}, "client_id": {publicID}}, nil)
		if status != 200 {
			t.Fatalf("revoke = %d", status)
		}
		if got := p.TokenState(tok.RefreshToken); got != TokenRevoked {
			t.Errorf("state = %v, want revoked", got)
		}
		if status, body := r.refresh(tok.RefreshToken); status != 400 || body["error"] != "invalid_grant" {
			t.Errorf("refresh after revoke = %d %v", status, body)
		}
	})

	t.Run("access token", func(t *testing.T) {
		if _, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok)); err != nil {
			t.Fatalf("userinfo before revoke: %v", err)
		}
		// No hint, Basic auth with an empty password: what oauth2 libraries send for public clients.
		status, _ := postJSON(t, revoke, url.Values{"token": {tok.AccessToken}}, &[2]string{publicID, ""})
		if status != 200 {
			t.Fatalf("revoke = %d", status)
		}
		if got := p.TokenState(tok.AccessToken); got != TokenRevoked {
			t.Errorf("state = %v, want revoked", got)
		}
		req, _ := http.NewRequest(http.MethodGet, p.URL()+"/application/o/userinfo/", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("userinfo with a revoked token = %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	})

	t.Run("unknown token", func(t *testing.T) {
		status, _ := postJSON(t, revoke, url.Values{"token": {"never-issued"}, "client_id": {publicID}}, nil)
		if status != 200 {
			t.Errorf("revoke unknown token = %d, want 200", status)
		}
		if p.TokenState("never-issued") != TokenUnknown {
			t.Error("unknown token has a state")
		}
	})

	t.Run("confidential client", func(t *testing.T) {
		rc := newRP(t, p, confID, confSecret, confRedirect, nil)
		f := rc.start()
		ctok := rc.mustExchange(rc.callback(b.get(f.authURL), f), f)
		status, _ := postJSON(t, revoke, url.Values{"token": {ctok.RefreshToken}, "token_type_hint": {"refresh_token"}}, &[2]string{confID, confSecret})
		if status != 200 || p.TokenState(ctok.RefreshToken) != TokenRevoked {
			t.Errorf("revoke = %d, state %v", status, p.TokenState(ctok.RefreshToken))
		}
		// Another client cannot revoke it; the answer is still 200.
		status, _ = postJSON(t, revoke, url.Values{"token": {ctok.AccessToken}, "client_id": {publicID}}, nil)
		if status != 200 || p.TokenState(ctok.AccessToken) != TokenActive {
			t.Errorf("foreign revoke = %d, state %v", status, p.TokenState(ctok.AccessToken))
		}
	})

	ev := eventsOf(p, "revoke")
	if len(ev) != 5 || ev[0].Detail["token_type_hint"] != "refresh_token" || ev[0].Detail["client_id"] != publicID || ev[1].Detail["client_id"] != publicID {
		t.Errorf("revoke events = %+v", ev)
	}
	assertNoSecretsInEvents(t, p, tok.AccessToken, tok.RefreshToken, "wonderland")
}

// TestEndSession pins Authentik's end-session for both kinds of
// invalidation flow: the default provider flow keeps the browser's
// Authentik session (the next authorize needs no form), a flow with a User
// Logout stage ends it.
func TestEndSession(t *testing.T) {
	t.Parallel()
	for _, flow := range []InvalidationFlow{DefaultProviderInvalidation, UserLogoutInvalidation} {
		t.Run(flow.String(), func(t *testing.T) {
			t.Parallel()
			p := startProvider(t, func(o *Options) { o.InvalidationFlow = flow })
			r := newRP(t, p, publicID, "", loopback, nil)
			endSession := p.Issuer() + "end-session/"
			ended := flow == UserLogoutInvalidation

			for _, tc := range []struct {
				name         string
				method       string
				withHint     bool
				postLogout   string
				wantRedirect string
			}{
				{"registered redirect with hint", http.MethodGet, true, logoutRedirect, logoutRedirect + "?state=bye"},
				{"registered redirect via POST", http.MethodPost, true, logoutRedirect, logoutRedirect + "?state=bye"},
				{"unregistered redirect", http.MethodGet, true, "http://127.0.0.1:1/elsewhere", ""},
				{"no hint, client_id", http.MethodGet, false, logoutRedirect, logoutRedirect + "?state=bye"},
				{"nothing", http.MethodGet, false, "", ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					b := newBrowser(t, p)
					f, code := r.login(b, alice)
					tok := r.mustExchange(code, f)

					q := url.Values{"state": {"bye"}}
					if tc.withHint {
						q.Set("id_token_hint", tok.Extra("id_token").(string))
					} else if tc.postLogout != "" {
						q.Set("client_id", publicID)
					}
					if tc.postLogout != "" {
						q.Set("post_logout_redirect_uri", tc.postLogout)
					}
					var pg page
					if tc.method == http.MethodPost {
						pg = b.postForm(endSession, q)
					} else {
						pg = b.get(endSession + "?" + q.Encode())
					}
					if tc.wantRedirect != "" {
						if pg.location == nil || pg.location.String() != tc.wantRedirect {
							t.Fatalf("end-session = %d %v, want redirect to %s", pg.status, pg.location, tc.wantRedirect)
						}
					} else if pg.status != 200 || pg.location != nil || !strings.Contains(pg.body, "You've logged out of ssotray.") ||
						!strings.Contains(pg.body, `href="/flows/-/default/invalidation/"`) {
						t.Fatalf("end-session = %d %v\n%s", pg.status, pg.location, pg.body)
					}

					f2 := r.start()
					pg = b.get(f2.authURL)
					if ended && !isLoginForm(pg) {
						t.Fatalf("%s: authorize after logout did not show the form: %d %v", flow, pg.status, pg.location)
					}
					if !ended {
						// The session stays: the next sign-in is silent.
						r.callback(pg, f2)
					}
					ev := eventsOf(p, "end_session")
					last := ev[len(ev)-1]
					if last.User != "alice" || last.Detail["id_token_hint_present"] != fmt.Sprint(tc.withHint) ||
						last.Detail["post_logout_redirect_uri"] != tc.postLogout || last.Detail["session_ended"] != fmt.Sprint(ended) ||
						last.Detail["flow"] != flow.String() {
						t.Errorf("end_session event = %+v", last)
					}
				})
			}

			t.Run("no session: the login page, then back", func(t *testing.T) {
				// TestEndSessionLoginFirst pins the newer behaviour too.
				b := newBrowser(t, p)
				pg := b.get(endSession + "?state=bye")
				if !isLoginForm(pg) {
					t.Fatalf("end-session without a session = %d %v\n%s", pg.status, pg.location, pg.body)
				}
				if ev := eventsOf(p, "end_session"); ev[len(ev)-1].Detail["outcome"] != "login_page" || ev[len(ev)-1].Detail["session_ended"] != "false" {
					t.Errorf("end_session event = %+v", ev[len(ev)-1])
				}
				// After logging in, the browser comes back to end-session.
				pg = b.submitLogin(pg, "alice", "wonderland")
				if pg.status != 200 || !strings.Contains(pg.body, "You've logged out of ssotray.") {
					t.Fatalf("after the login: %d %v\n%s", pg.status, pg.location, pg.body)
				}
			})

			t.Run("log out of authentik", func(t *testing.T) {
				b := newBrowser(t, p)
				r.login(b, alice)
				if pg := b.get(p.URL() + "/flows/-/default/invalidation/"); !isLoginForm(pg) {
					t.Fatalf("the logout link did not end on the login page: %d %v", pg.status, pg.location)
				}
				if pg := b.get(r.start().authURL); !isLoginForm(pg) {
					t.Fatalf("the logout link left the session: %d %v", pg.status, pg.location)
				}
			})
		})
	}
}

func TestIDTokenFaults(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	r := newRP(t, p, publicID, "", loopback, nil)
	b := newBrowser(t, p)
	f, code := r.login(b, alice)
	rt := r.mustExchange(code, f).RefreshToken

	for _, tc := range []struct {
		fault IDTokenFault
		check func(t *testing.T, idt *gooidc.IDToken, err error, nonce string)
	}{
		{IDTokenBadSignature, wantVerifyError("failed to verify signature")},
		{IDTokenWrongIssuer, wantVerifyError("issued by a different provider")},
		{IDTokenWrongAudience, wantVerifyError("expected audience")},
		{IDTokenExpired, func(t *testing.T, _ *gooidc.IDToken, err error, _ string) {
			var te *gooidc.TokenExpiredError
			if !errors.As(err, &te) {
				t.Errorf("err = %v, want *oidc.TokenExpiredError", err)
			}
		}},
		{IDTokenWrongNonce, func(t *testing.T, idt *gooidc.IDToken, err error, nonce string) {
			// go-oidc leaves the nonce to the caller; the token is otherwise valid.
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if idt.Nonce == "" || idt.Nonce == nonce {
				t.Errorf("nonce = %q, want a different, non-empty one", idt.Nonce)
			}
		}},
		{IDTokenAlgNone, wantVerifyError("malformed jwt")},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			p.SetFaults(Faults{IDToken: tc.fault})
			defer p.SetFaults(Faults{})

			f := r.start()
			tok := r.mustExchange(r.callback(b.get(f.authURL), f), f)
			idt, err := r.verify(tok)
			tc.check(t, idt, err, f.nonce)

			if tc.fault == IDTokenAlgNone {
				raw := tok.Extra("id_token").(string)
				hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
				if string(hdr) != `{"alg":"none","typ":"JWT"}` || !strings.HasSuffix(raw, ".") {
					t.Errorf("alg none token: header %s, ends with dot %v", hdr, strings.HasSuffix(raw, "."))
				}
			}

			// The refresh grant's ID token is spoiled the same way.
			status, body := r.refresh(rt)
			if status != 200 {
				t.Fatalf("refresh = %d %v", status, body)
			}
			rt = body["refresh_token"].(string)
			idt, err = r.verifier.Verify(t.Context(), body["id_token"].(string))
			tc.check(t, idt, err, f.nonce)
		})
	}

	// Access tokens from a tampered response still work: only the ID token is spoiled.
	p.SetFaults(Faults{IDToken: IDTokenBadSignature})
	f = r.start()
	tok := r.mustExchange(r.callback(b.get(f.authURL), f), f)
	p.SetFaults(Faults{})
	if _, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok)); err != nil {
		t.Errorf("userinfo with the access token of a tampered response: %v", err)
	}
}

func wantVerifyError(substr string) func(*testing.T, *gooidc.IDToken, error, string) {
	return func(t *testing.T, _ *gooidc.IDToken, err error, _ string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), substr) {
			t.Errorf("verify error = %v, want one containing %q", err, substr)
		}
	}
}

func TestHS256Fault(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	p.SetFaults(Faults{HS256: true})
	b := newBrowser(t, p)

	resp, err := http.Get(p.DiscoveryURL())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Algs    []string `json:"id_token_signing_alg_values_supported"`
		JWKSURI string   `json:"jwks_uri"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if !slices.Equal(doc.Algs, []string{"HS256"}) {
		t.Errorf("algs = %v, want [HS256]", doc.Algs)
	}
	resp, err = http.Get(doc.JWKSURI)
	if err != nil {
		t.Fatal(err)
	}
	var jwks jose.JSONWebKeySet
	_ = json.NewDecoder(resp.Body).Decode(&jwks)
	resp.Body.Close()
	if len(jwks.Keys) != 0 {
		t.Errorf("JWKS has %d keys, want none", len(jwks.Keys))
	}

	for _, tc := range []struct {
		name, client, secret, redirect, key string
	}{
		{"confidential: keyed with the secret", confID, confSecret, confRedirect, confSecret},
		{"public: keyed with the client id", publicID, "", loopback, publicID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRP(t, p, tc.client, tc.secret, tc.redirect, nil)
			f := r.start()
			pg := b.get(f.authURL)
			if isLoginForm(pg) {
				pg = b.submitLogin(pg, "alice", "wonderland")
			}
			tok := r.mustExchange(r.callback(pg, f), f)
			raw := tok.Extra("id_token").(string)

			if _, err := r.verify(tok); err == nil {
				t.Error("go-oidc verified an HS256 ID token against an empty JWKS")
			}
			jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.HS256})
			if err != nil {
				t.Fatalf("parse HS256 token: %v", err)
			}
			var payload []byte
			if len(tc.key) >= 32 {
				payload, err = jws.Verify([]byte(tc.key))
			} else {
				// go-jose refuses short HMAC keys; check the MAC directly.
				parts := strings.Split(raw, ".")
				m := hmac.New(sha256.New, []byte(tc.key))
				m.Write([]byte(parts[0] + "." + parts[1]))
				if base64.RawURLEncoding.EncodeToString(m.Sum(nil)) != parts[2] {
					err = errors.New("HMAC mismatch")
				}
				payload = jws.UnsafePayloadWithoutVerification()
			}
			if err != nil {
				t.Fatalf("HS256 signature with the expected key: %v", err)
			}
			var c authentikClaims
			_ = json.Unmarshal(payload, &c)
			if c.Subject != sha256Hex("alice") || c.Nonce == nil || *c.Nonce != f.nonce || c.AZP != "" {
				t.Errorf("claims = %+v", c)
			}

			// The provider itself still recognises its HS256 token as a logout
			// hint, keyed by its audience (it has no azp): the public client's
			// registered logout URI is followed, the confidential client has
			// none and gets the logged-out page.
			pg = b.get(p.Issuer() + "end-session/?" + url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {logoutRedirect}}.Encode())
			if tc.client == publicID && (pg.location == nil || pg.location.String() != logoutRedirect) ||
				tc.client == confID && (pg.status != 200 || pg.location != nil) {
				t.Errorf("end-session with an HS256 hint = %d %v", pg.status, pg.location)
			}
		})
	}
}

func TestWrongIssuerFault(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	p.SetFaults(Faults{WrongIssuer: true})
	_, err := gooidc.NewProvider(t.Context(), p.Issuer())
	var mismatch *gooidc.IssuerMismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("NewProvider = %v, want *oidc.IssuerMismatchError", err)
	}
	if want := "https://evil.example/application/o/ssotray/"; mismatch.Discovered != want {
		t.Errorf("discovered issuer %q, want %q", mismatch.Discovered, want)
	}
	p.SetFaults(Faults{})
	if _, err := gooidc.NewProvider(t.Context(), p.Issuer()); err != nil {
		t.Errorf("after clearing the fault: %v", err)
	}
}

func TestUserinfoSubjectFault(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	r := newRP(t, p, publicID, "", loopback, nil)
	f, code := r.login(newBrowser(t, p), alice)
	tok := r.mustExchange(code, f)
	idt := r.mustVerify(tok)

	p.SetFaults(Faults{UserinfoSubject: "someone-else"})
	ui, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	if ui.Subject != "someone-else" || idt.Subject != sha256Hex("alice") {
		t.Errorf("userinfo sub %q, ID token sub %q", ui.Subject, idt.Subject)
	}
	if ev := eventsOf(p, "userinfo"); len(ev) != 1 || ev[0].User != "alice" {
		t.Errorf("userinfo events = %+v", ev)
	}
}

func TestAuthorizeErrorFault(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	p.SetFaults(Faults{AuthorizeError: "access_denied"})
	r := newRP(t, p, publicID, "", loopback, nil)
	f := r.start()
	pg := newBrowser(t, p).get(f.authURL)
	if pg.location == nil {
		t.Fatalf("no redirect: %d\n%s", pg.status, pg.body)
	}
	q := pg.location.Query()
	if !strings.HasPrefix(pg.location.String(), loopback+"?") || q.Get("error") != "access_denied" || q.Get("error_description") == "" || q.Get("state") != f.state || q.Get("code") != "" {
		t.Errorf("redirect = %s", pg.location)
	}
	if len(eventsOf(p, "login_form")) != 0 {
		t.Error("the login form was shown")
	}
	// An invalid redirect URI still gets the error page, not a redirect.
	bad := strings.Replace(f.authURL, url.QueryEscape(loopback), url.QueryEscape("http://localhost:1/callback"), 1)
	if pg := newBrowser(t, p).get(bad); pg.status != 400 || !strings.Contains(pg.body, "Redirect URI Error") {
		t.Errorf("bad redirect with AuthorizeError = %d %v", pg.status, pg.location)
	}
}

func TestCloseRefusesConnections(t *testing.T) {
	t.Parallel()
	for _, used := range []bool{true, false} {
		t.Run(fmt.Sprintf("used=%v", used), func(t *testing.T) {
			p := startProvider(t)
			client := &http.Client{Transport: &http.Transport{}}
			if used {
				resp, err := client.Get(p.URL() + "/-/health/live/")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			// Without the request above, Close races the serving goroutine's start.
			if err := p.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := p.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			_, err := client.Get(p.DiscoveryURL())
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("after Close: %v, want connection refused", err)
			}
		})
	}
}

func TestConcurrentLogins(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	r := newRP(t, p, publicID, "", loopback, nil)
	t.Run("group", func(t *testing.T) {
		for i := range 12 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				user := []User{alice, bob}[i%2]
				rr := *r
				rr.t = t
				b := newBrowser(t, p)
				f, code := rr.login(b, user)
				tok := rr.mustExchange(code, f)
				if c := claimsOf(t, rr.mustVerify(tok)); c.PreferredUsername != user.Username {
					t.Errorf("got %s, want %s", c.PreferredUsername, user.Username)
				}
				if i%3 == 0 {
					p.SetFaults(Faults{})
					_ = p.Events()
				}
				if status, _ := rr.refresh(tok.RefreshToken); status != 200 {
					t.Errorf("refresh = %d", status)
				}
			})
		}
	})
	if n := len(eventsOf(p, "login_ok")); n != 12 {
		t.Errorf("%d login_ok events, want 12", n)
	}
}

func TestPublicURL(t *testing.T) {
	t.Parallel()
	// Reserve a port, then serve on it under another name, as behind a proxy.
	p0 := startProvider(t)
	addr := strings.TrimPrefix(p0.URL(), "http://")
	_ = p0.Close()
	port := addr[strings.LastIndex(addr, ":")+1:]
	public := "http://localhost:" + port
	p := startProvider(t, func(o *Options) { o.Addr = addr; o.PublicURL = public + "/" })

	if p.URL() != public || p.Issuer() != public+"/application/o/ssotray/" {
		t.Fatalf("URL %q, Issuer %q", p.URL(), p.Issuer())
	}
	r := newRP(t, p, publicID, "", loopback, nil)
	if r.conf.Endpoint.TokenURL != public+"/application/o/token/" {
		t.Errorf("token URL = %s", r.conf.Endpoint.TokenURL)
	}
	f, code := r.login(newBrowser(t, p), alice)
	if idt := r.mustVerify(r.mustExchange(code, f)); idt.Issuer != p.Issuer() {
		t.Errorf("iss = %s", idt.Issuer)
	}
}

func TestStartValidatesOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"bad regex", Options{Clients: []Client{{ID: "a", RedirectURIRegexes: []string{"("}}}}},
		{"duplicate client", Options{Clients: []Client{{ID: "a"}, {ID: "a"}}}},
		{"empty client id", Options{Clients: []Client{{}}}},
		{"duplicate user", Options{Users: []User{alice, alice}}},
		{"slug with slash", Options{Slug: "a/b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if p, err := Start(tc.opts); err == nil {
				p.Close()
				t.Fatal("Start accepted invalid options")
			}
		})
	}
}

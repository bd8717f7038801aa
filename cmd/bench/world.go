package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/renewlock"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

// The one person of the benchmark. The password is not a secret: the
// provider lives on loopback for the length of the run.
var alice = oidctest.User{Username: "alice", Password: "bench-alice", Name: "Alice Example", Email: "alice@example.com", Groups: []string{"admins", "users"}}

const clientID = "ssotray"

func startProvider(accessLifetime time.Duration) (*oidctest.Provider, error) {
	return oidctest.Start(oidctest.Options{
		Users:               []oidctest.User{alice},
		Clients:             []oidctest.Client{{ID: clientID, RedirectURIRegexes: []string{oidc.RedirectURIRegex}}},
		AccessTokenLifetime: accessLifetime,
	})
}

// writeConfig writes what a person signed in with Authentik would have, a
// few apps included, so the window has its usual content.
func writeConfig(dir, name, serverURL, browser string) (string, error) {
	cfg := fmt.Sprintf(`authentik:
  server_url: %s
  app_slug: ssotray
  client_id: %s
  callback_ports: [0]
browser_command: [%s]
apps:
  - {name: Music, url: "https://music.example.com", description: Navidrome}
  - {name: Photos, url: "https://photos.example.com", description: Immich, groups: [users]}
  - {name: Admin, url: "https://auth.example.com/if/admin/", description: Authentik admin, groups: [admins]}
`, serverURL, clientID, browser)
	path := filepath.Join(dir, name+".yaml")
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}

// newCore is ssotray's application core for the config at path, as the
// command-line verbs build it.
func newCore(path string, store tokenstore.Store, browser func(context.Context, string) error) (*app.Core, error) {
	cfg, err := config.Load(path, os.Getenv)
	if err != nil {
		return nil, err
	}
	// The renewal lock as the product takes it: the refresh row includes it.
	lock, err := renewlock.Open(os.Getenv)
	if err != nil {
		return nil, err
	}
	return app.New(app.Deps{Config: cfg, Store: store, Browser: browser, RenewLock: lock}), nil
}

// signIn makes a session for the config at path through ssotray's own
// sign-in, with a form-filling HTTP client as the browser: fast, and the
// session is exactly what ssotray would store.
func signIn(ctx context.Context, path string) (*tokenstore.Session, error) {
	store := tokenstore.NewMemory()
	fb := newFormBrowser()
	core, err := newCore(path, store, fb.open)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := core.SignIn(ctx, app.Authentik, app.SignInOptions{Timeout: 20 * time.Second}); err != nil {
		return nil, fmt.Errorf("signing in for %s: %w (browser: %v)", path, err, fb.err())
	}
	return store.Load()
}

// formBrowser follows redirects and fills in the test provider's login form
// with plain HTTP.
type formBrowser struct {
	client *http.Client
	errc   chan error
}

func newFormBrowser() *formBrowser {
	jar, _ := cookiejar.New(nil)
	return &formBrowser{client: &http.Client{Jar: jar, Timeout: 10 * time.Second}, errc: make(chan error, 4)}
}

var formAction = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)

// open runs in the background like a real browser: the caller's callback
// listener has to keep serving meanwhile.
func (b *formBrowser) open(_ context.Context, u string) error {
	go func() { b.errc <- b.visit(u) }()
	return nil
}

func (b *formBrowser) visit(u string) error {
	resp, err := b.client.Get(u)
	for i := 0; err == nil && i < 3; i++ {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(body)
		if strings.Contains(page, `id="error"`) {
			return errors.New("the provider refused the password")
		}
		if !strings.Contains(page, `id="username"`) {
			return nil
		}
		action := resp.Request.URL
		if m := formAction.FindStringSubmatch(page); m != nil {
			action, _ = resp.Request.URL.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
		}
		resp, err = b.client.PostForm(action.String(), url.Values{"username": {alice.Username}, "password": {alice.Password}})
	}
	return err
}

func (b *formBrowser) err() error {
	select {
	case err := <-b.errc:
		return err
	default:
		return nil
	}
}

// direct is an OpenID client with nothing of ssotray in it: the
// provider's own authorize and token endpoints, used by hand. It is the
// baseline for the sign-in and the refresh.
type direct struct {
	authURL, tokenURL string
	http              *http.Client
}

func newDirect(ctx context.Context, p *oidctest.Provider) (*direct, error) {
	// Keep-alive, like ssotray's own client: both sides of a comparison
	// reuse their connection to the provider.
	d := &direct{http: &http.Client{Timeout: 30 * time.Second, Transport: http.DefaultTransport.(*http.Transport).Clone()}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.DiscoveryURL(), nil)
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var doc struct {
		Auth  string `json:"authorization_endpoint"`
		Token string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || doc.Auth == "" || doc.Token == "" {
		return nil, fmt.Errorf("discovery at %s: %v", p.DiscoveryURL(), err)
	}
	d.authURL, d.tokenURL = doc.Auth, doc.Token
	return d, nil
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// post sends one form to the token endpoint and reads the answer.
func (d *direct) post(ctx context.Context, form url.Values) (*tokenResponse, error) {
	form.Set("client_id", clientID)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, d.tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("token endpoint: %s: %s", resp.Status, body)
	}
	var t tokenResponse
	if err := json.Unmarshal(body, &t); err != nil || t.AccessToken == "" {
		return nil, fmt.Errorf("token endpoint: unreadable answer (%v)", err)
	}
	return &t, nil
}

// refresh is one bare refresh request. Refresh tokens rotate: it returns
// the one to use next.
func (d *direct) refresh(ctx context.Context, refreshToken string) (string, error) {
	t, err := d.post(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
	if err != nil {
		return "", err
	}
	if t.RefreshToken == "" {
		return refreshToken, nil
	}
	return t.RefreshToken, nil
}

// signIn runs authorization code + PKCE through open (a browser) and a
// loopback callback, and returns the tokens as soon as the token endpoint
// has answered.
func (d *direct) signIn(ctx context.Context, open func(url string) error) (*tokenResponse, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	redirect := oidc.RedirectURI(ln.Addr().(*net.TCPAddr).Port)
	verifier, state := oauth2.GenerateVerifier(), random()
	q := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect},
		"scope": {"openid profile email offline_access"}, "state": {state}, "nonce": {random()},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
	}
	type result struct {
		t   *tokenResponse
		err error
	}
	done := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" || r.URL.Query().Get("state") != state {
			http.NotFound(w, r)
			return
		}
		t, err := d.post(r.Context(), url.Values{"grant_type": {"authorization_code"}, "code": {r.URL.Query().Get("code")},
			"redirect_uri": {redirect}, "code_verifier": {verifier}})
		select {
		case done <- result{t, err}:
		default:
		}
		fmt.Fprint(w, "<!DOCTYPE html><title>Signed in</title><p>Signed in. You can close this page.</p>")
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	if err := open(d.authURL + "?" + q.Encode()); err != nil {
		return nil, err
	}
	select {
	case r := <-done:
		return r.t, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func random() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

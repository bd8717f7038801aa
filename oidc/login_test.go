package oidc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssotray/ssotray/oidc"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

// formBrowser is a person at a browser, scripted in Go: it follows
// redirects, fills the provider's login form and lands on the callback. It
// keeps cookies like a browser, so a second visit reuses the provider's
// session. Chromium plays this part in the end-to-end tests.
type formBrowser struct {
	username, password string
	client             *http.Client

	mu    sync.Mutex
	pages []string // the last page's text of each visit
	done  chan struct{}
}

func newFormBrowser(username, password string) *formBrowser {
	jar, _ := cookiejar.New(nil)
	return &formBrowser{username: username, password: password, client: &http.Client{Jar: jar, Timeout: 10 * time.Second}, done: make(chan struct{}, 10)}
}

var formAction = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)

// open runs in the background like a real browser, so Login's listener
// keeps running while the browser works.
func (b *formBrowser) open(_ context.Context, u string) error {
	go func() {
		defer func() { b.done <- struct{}{} }()
		resp, err := b.client.Get(u)
		for i := 0; err == nil && i < 3; i++ {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			page := string(body)
			if !strings.Contains(page, `id="username"`) || strings.Contains(page, `id="error"`) {
				b.record(page)
				return
			}
			action := resp.Request.URL
			if m := formAction.FindStringSubmatch(page); m != nil {
				action, _ = resp.Request.URL.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
			}
			resp, err = b.client.PostForm(action.String(), url.Values{"username": {b.username}, "password": {b.password}})
		}
		if err != nil {
			b.record("error: " + err.Error())
		}
	}()
	return nil
}

func (b *formBrowser) record(page string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pages = append(b.pages, page)
}

func (b *formBrowser) lastPage(t *testing.T) string {
	t.Helper()
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		t.Fatal("browser did not finish")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pages[len(b.pages)-1]
}

var users = []oidctest.User{
	{Username: "alice", Password: "alice-pw", Name: "Alice Example", Email: "alice@example.com", Groups: []string{"admins", "users"}},
	{Username: "bob", Password: "bob-pw", Name: "Bob Example", Email: "bob@example.com", Groups: []string{"users"}},
}

func startProvider(t *testing.T, clients ...oidctest.Client) *oidctest.Provider {
	t.Helper()
	return startProviderWith(t, func(o *oidctest.Options) { o.Clients = clients })
}

// startProviderWith starts the Authentik stand-in with its real defaults
// and what set changes; no clients means ssotray's with the regex.
func startProviderWith(t *testing.T, set func(*oidctest.Options)) *oidctest.Provider {
	t.Helper()
	opts := oidctest.Options{Users: users}
	set(&opts)
	if len(opts.Clients) == 0 {
		opts.Clients = []oidctest.Client{{ID: "ssotray", RedirectURIRegexes: []string{oidc.RedirectURIRegex}}}
	}
	p, err := oidctest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func config(p *oidctest.Provider) oidc.Config {
	return oidc.Config{ServerURL: p.URL(), Slug: "ssotray", ClientID: "ssotray", Scopes: []string{"openid", "profile", "email", "offline_access"}, UsernameClaim: "preferred_username"}
}

func discover(t *testing.T, cfg oidc.Config) *oidc.Client {
	t.Helper()
	c, err := oidc.Discover(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func login(t *testing.T, c *oidc.Client, b *formBrowser, timeout time.Duration) (*oidc.Session, error) {
	t.Helper()
	return c.Login(context.Background(), oidc.LoginOptions{Ports: []int{0}, Timeout: timeout, OpenBrowser: b.open})
}

func events(p *oidctest.Provider, kind string) []oidctest.Event {
	var out []oidctest.Event
	for _, e := range p.Events() {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func TestLoginHappyPath(t *testing.T) {
	for _, claim := range []string{"preferred_username", "email", "sub"} {
		t.Run(claim, func(t *testing.T) {
			p := startProvider(t)
			cfg := config(p)
			cfg.UsernameClaim = claim
			c := discover(t, cfg)
			if c.Issuer() != p.URL()+"/application/o/ssotray/" || !c.SupportsS256() || !c.CanRevoke() || !c.CanEndSession() {
				t.Errorf("discovery: issuer %s s256 %v", c.Issuer(), c.SupportsS256())
			}
			shownc := make(chan string, 1)
			s, err := c.Login(context.Background(), oidc.LoginOptions{Timeout: 10 * time.Second, OpenBrowser: newFormBrowser("alice", "alice-pw").open,
				ShowURL: func(u string) { shownc <- u }})
			if err != nil {
				t.Fatal(err)
			}
			pr := s.Profile
			want := map[string]string{"preferred_username": "alice", "email": "alice@example.com", "sub": pr.Subject}[claim]
			if pr.Username != want || pr.Name != "Alice Example" || pr.Email != "alice@example.com" || fmt.Sprint(pr.Groups) != "[admins users]" || pr.Subject == "" {
				t.Errorf("profile %+v", pr)
			}
			if time.Since(pr.AuthTime) > time.Minute {
				t.Errorf("auth_time %v", pr.AuthTime)
			}
			if s.Tokens.AccessToken == "" || s.Tokens.RefreshToken == "" || s.Tokens.IDToken == "" || s.Tokens.Expiry.IsZero() {
				t.Errorf("tokens %v", s.Tokens)
			}
			if shown := <-shownc; !strings.HasPrefix(shown, "http://127.0.0.1:") {
				t.Errorf("URL shown to the person: %q", shown)
			}
			auth := events(p, "authorize")
			if len(auth) != 1 {
				t.Fatalf("authorize events %v", auth)
			}
			d := auth[0].Detail
			if d["code_challenge_method"] != "S256" || d["nonce_present"] != "true" || !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/callback$`).MatchString(d["redirect_uri"]) {
				t.Errorf("authorize request %v", d)
			}
			tok := events(p, "token")
			if len(tok) != 1 || tok[0].Detail["redirect_uri"] != d["redirect_uri"] {
				t.Errorf("token request %v", tok)
			}
		})
	}
}

func TestLoginUsesFirstFreeConfiguredPort(t *testing.T) {
	ports := oidctest.FreePorts(t, 3)
	p := startProvider(t, oidctest.Client{ID: "ssotray", RedirectURIs: []string{oidc.RedirectURI(ports[0]), oidc.RedirectURI(ports[1]), oidc.RedirectURI(ports[2])}})
	c := discover(t, config(p))
	busy, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(ports[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if _, err := c.Login(context.Background(), oidc.LoginOptions{Ports: ports, Timeout: 10 * time.Second, OpenBrowser: newFormBrowser("bob", "bob-pw").open}); err != nil {
		t.Fatal(err)
	}
	if got := events(p, "authorize")[0].Detail["redirect_uri"]; got != oidc.RedirectURI(ports[1]) {
		t.Errorf("redirect_uri %s, want the second port", got)
	}
	// All taken: a clear error naming the ports and the config key.
	var more []net.Listener
	for _, port := range ports[1:] {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		more = append(more, l)
	}
	defer func() {
		for _, l := range more {
			l.Close()
		}
	}()
	_, err = c.Login(context.Background(), oidc.LoginOptions{Ports: ports, Timeout: 5 * time.Second, OpenBrowser: newFormBrowser("bob", "bob-pw").open})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d, %d, %d", ports[0], ports[1], ports[2])) || !strings.Contains(err.Error(), "authentik.callback_ports") {
		t.Errorf("all ports taken: %v", err)
	}
}

func TestLoginFailures(t *testing.T) {
	tests := []struct {
		name     string
		faults   oidctest.Faults
		client   *oidctest.Client
		user     string
		password string
		timeout  time.Duration
		want     []string
		wantPage string // what the browser ends up showing
		encrypt  bool   // the provider has an Encryption Key
	}{
		{name: "wrong password", user: "alice", password: "nope", timeout: 3 * time.Second,
			want: []string{"no sign-in arrived from the browser within 3s", "Finish signing in in the browser"}, wantPage: "Invalid username or password"},
		{name: "redirect URI not registered", client: &oidctest.Client{ID: "ssotray", RedirectURIs: []string{"http://127.0.0.1:1/callback"}}, user: "alice", password: "alice-pw", timeout: 3 * time.Second,
			want: []string{"no sign-in arrived", "add the regex http://127\\.0\\.0\\.1:\\d+/callback (Regex) to the provider's Redirect URIs/Origins (RegEx)"}, wantPage: "Redirect URI Error"},
		{name: "HS256 without signing key", faults: oidctest.Faults{HS256: true}, want: []string{"HS256", "Signing Key"}},
		{name: "bad signature", faults: oidctest.Faults{IDToken: oidctest.IDTokenBadSignature}, want: []string{"ID token was refused", "signature"}},
		{name: "wrong issuer in token", faults: oidctest.Faults{IDToken: oidctest.IDTokenWrongIssuer}, want: []string{"ID token was refused", "different provider"}},
		{name: "wrong audience", faults: oidctest.Faults{IDToken: oidctest.IDTokenWrongAudience}, want: []string{"ID token was refused", "another client", "authentik.client_id"}},
		{name: "expired ID token", faults: oidctest.Faults{IDToken: oidctest.IDTokenExpired}, want: []string{"ID token was refused", "expired", "clock"}},
		{name: "nonce mismatch", faults: oidctest.Faults{IDToken: oidctest.IDTokenWrongNonce}, want: []string{"ID token was refused", "nonce"}},
		{name: "several audiences without azp", faults: oidctest.Faults{IDToken: oidctest.IDTokenManyAudiencesNoAZP}, want: []string{"ID token was refused", "several clients (ssotray, another-app)", "azp"}},
		{name: "several audiences, azp another client", faults: oidctest.Faults{IDToken: oidctest.IDTokenManyAudiencesOtherAZP}, want: []string{"ID token was refused", `issued to the client "another-app"`, "authentik.client_id"}},
		{name: "issued in the future", faults: oidctest.Faults{IDToken: oidctest.IDTokenFutureIAT}, want: []string{"ID token was refused", "in the future", "clock"}},
		{name: "alg none", faults: oidctest.Faults{IDToken: oidctest.IDTokenAlgNone}, want: []string{"ID token was refused", "not signed at all"}},
		{name: "userinfo for another subject", faults: oidctest.Faults{UserinfoSubject: "someone-else"}, want: []string{"userinfo answer was refused", "different user"}},
		{name: "error redirect", faults: oidctest.Faults{AuthorizeError: "access_denied"}, want: []string{"refused the sign-in: access_denied", "policy bindings"}},
		{name: "encryption key", encrypt: true, want: []string{"encrypts ID tokens", "clear Encryption Key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var clients []oidctest.Client
			if tt.client != nil {
				clients = append(clients, *tt.client)
			}
			p := startProviderWith(t, func(o *oidctest.Options) { o.Clients, o.EncryptionKey = clients, tt.encrypt })
			p.SetFaults(tt.faults)
			c := discover(t, config(p))
			user, pw := tt.user, tt.password
			if user == "" {
				user, pw = "alice", "alice-pw"
			}
			if tt.timeout == 0 {
				tt.timeout = 10 * time.Second
			}
			b := newFormBrowser(user, pw)
			s, err := login(t, c, b, tt.timeout)
			if err == nil {
				t.Fatalf("signed in: %v", s.Tokens)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tt.wantPage != "" {
				if page := b.lastPage(t); !strings.Contains(page, tt.wantPage) {
					t.Errorf("browser shows %q, want %q", page, tt.wantPage)
				}
			}
		})
	}
}

func TestDiscoveryFailures(t *testing.T) {
	t.Run("provider down", func(t *testing.T) {
		p := startProvider(t)
		cfg := config(p)
		_ = p.Close()
		_, err := oidc.Discover(context.Background(), cfg)
		var ue *oidc.UnreachableError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "cannot reach the identity provider at "+p.URL()) || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("down: %v", err)
		}
	})
	t.Run("wrong issuer", func(t *testing.T) {
		p := startProvider(t)
		p.SetFaults(oidctest.Faults{WrongIssuer: true})
		_, err := oidc.Discover(context.Background(), config(p))
		if err == nil || !strings.Contains(err.Error(), "https://evil.example/application/o/ssotray/") || !strings.Contains(err.Error(), "authentik.server_url") {
			t.Errorf("wrong issuer: %v", err)
		}
		cfg := config(p)
		cfg.DiscoveryURL = cfg.DiscoveryDocumentURL()
		if _, err := oidc.Discover(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "check authentik.discovery_url") {
			t.Errorf("wrong issuer with discovery_url set: %v", err)
		}
	})
	t.Run("issuer mode global", func(t *testing.T) {
		p := startProviderWith(t, func(o *oidctest.Options) { o.IssuerMode = oidctest.IssuerGlobal })
		for _, viaDiscoveryURL := range []bool{false, true} {
			cfg := config(p)
			if viaDiscoveryURL {
				cfg.DiscoveryURL = cfg.DiscoveryDocumentURL()
			}
			_, err := oidc.Discover(context.Background(), cfg)
			var ge *oidc.GlobalIssuerError
			if !errors.As(err, &ge) || !strings.Contains(err.Error(), "Issuer mode") || !strings.Contains(err.Error(), oidc.IssuerModePerProvider) {
				t.Errorf("issuer mode global, discovery_url set %v: %v", viaDiscoveryURL, err)
			}
		}
	})
	t.Run("wrong slug", func(t *testing.T) {
		p := startProvider(t)
		cfg := config(p)
		cfg.Slug = "other"
		_, err := oidc.Discover(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "authentik.app_slug") {
			t.Errorf("wrong slug: %v", err)
		}
	})
	t.Run("not a provider", func(t *testing.T) {
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>hello</html>")
		})}
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		go srv.Serve(l)
		defer srv.Close()
		_, err := oidc.Discover(context.Background(), oidc.Config{ServerURL: "http://" + l.Addr().String(), Slug: "x", ClientID: "x"})
		if err == nil || !strings.Contains(err.Error(), "did not answer with an OpenID configuration (got text/html)") {
			t.Errorf("html: %v", err)
		}
	})
	t.Run("discovery_url of any provider", func(t *testing.T) {
		p := startProvider(t)
		c, err := oidc.Discover(context.Background(), oidc.Config{DiscoveryURL: p.DiscoveryURL(), ClientID: "ssotray"})
		if err != nil || c.Issuer() != p.Issuer() {
			t.Errorf("discovery_url: %v", err)
		}
	})
}

func TestLoginCancelAndStrayRequests(t *testing.T) {
	p := startProvider(t)
	c := discover(t, config(p))

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error)
		go func() {
			_, err := c.Login(ctx, oidc.LoginOptions{Timeout: time.Minute, OpenBrowser: func(context.Context, string) error { cancel(); return nil }})
			errc <- err
		}()
		select {
		case err := <-errc:
			if !errors.Is(err, oidc.ErrCancelled) {
				t.Errorf("cancel: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("cancel did not end the sign-in")
		}
	})

	t.Run("stray callbacks are ignored", func(t *testing.T) {
		real := newFormBrowser("alice", "alice-pw")
		var strayStatus []int
		open := func(ctx context.Context, u string) error {
			// Before the person signs in, something else hits the callback
			// with a wrong or missing state, and a forged error.
			for _, q := range []string{"?code=forged&state=wrong", "?code=forged", "?error=access_denied&state=wrong"} {
				resp, err := http.Get(origin(t, u) + oidc.CallbackPath + q)
				if err != nil {
					return err
				}
				resp.Body.Close()
				strayStatus = append(strayStatus, resp.StatusCode)
			}
			return real.open(ctx, u)
		}
		s, err := c.Login(context.Background(), oidc.LoginOptions{Timeout: 10 * time.Second, OpenBrowser: open})
		if err != nil {
			t.Fatalf("a stray request aborted the sign-in: %v", err)
		}
		if s.Profile.Username != "alice" || fmt.Sprint(strayStatus) != "[400 400 400]" {
			t.Errorf("user %q, stray answers %v", s.Profile.Username, strayStatus)
		}
	})

	t.Run("browser cannot open", func(t *testing.T) {
		shownc, failedc := make(chan string, 1), make(chan error, 1)
		_, err := c.Login(context.Background(), oidc.LoginOptions{Timeout: 2 * time.Second,
			OpenBrowser:   func(context.Context, string) error { return errors.New("no browser") },
			ShowURL:       func(u string) { shownc <- u },
			BrowserFailed: func(err error) { failedc <- err }})
		var te *oidc.TimeoutError
		if !errors.As(err, &te) {
			t.Errorf("err %v", err)
		}
		if u, err := <-shownc, <-failedc; !strings.HasPrefix(u, "http://127.0.0.1:") || err == nil || err.Error() != "no browser" {
			t.Errorf("shown %q, browser error %v", u, err)
		}
	})
}

// origin is scheme://host:port of u.
func origin(t *testing.T, u string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return pu.Scheme + "://" + pu.Host
}

// TestLoginStartPathIsOneTime: another local account polls the callback
// port. It finds nothing at "/", nothing at the start path once the
// person's browser used it, and a callback it brings from its own browser
// (with the right state, as if it had learned it) is refused: the sign-in
// completes as the person who started it.
func TestLoginStartPathIsOneTime(t *testing.T) {
	p := startProvider(t)
	c := discover(t, config(p))
	alice, bob := newFormBrowser("alice", "alice-pw"), newFormBrowser("bob", "bob-pw")

	type result struct {
		s   *oidc.Session
		err error
	}
	startc, shownc, done := make(chan string, 1), make(chan string, 1), make(chan result, 1)
	go func() {
		s, err := c.Login(context.Background(), oidc.LoginOptions{Timeout: 20 * time.Second,
			OpenBrowser: func(_ context.Context, u string) error { startc <- u; return nil },
			ShowURL:     func(u string) { shownc <- u }})
		done <- result{s, err}
	}()
	var start string
	select {
	case start = <-startc:
	case r := <-done:
		t.Fatalf("sign-in ended before the browser was opened: %v", r.err)
	}
	if shown := <-shownc; shown != start || !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/start/[A-Za-z0-9_-]{43}$`).MatchString(start) {
		t.Fatalf("the browser got %q and the person was shown %q, want the same one-time start URL", start, shown)
	}
	noFollow := func(b *formBrowser) *http.Client {
		c := *b.client
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return &c
	}
	get := func(hc *http.Client, u string) *http.Response {
		t.Helper()
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}

	// The attacker's poll before the person's browser came: "/" is nothing.
	if resp := get(noFollow(bob), origin(t, start)+"/"); resp.StatusCode != http.StatusNotFound || resp.Header.Get("Location") != "" {
		t.Errorf("GET / answered %s, Location %q; want 404", resp.Status, resp.Header.Get("Location"))
	}
	// The person's browser takes the start path (its cookie lands in
	// alice's jar) ...
	first := get(noFollow(alice), start)
	authorize := first.Header.Get("Location")
	if first.StatusCode != http.StatusFound || !strings.HasPrefix(authorize, p.URL()) || !strings.Contains(authorize, "code_challenge_method=S256") {
		t.Fatalf("start path answered %s to %q; want a redirect to the authorize URL", first.Status, authorize)
	}
	// ... and after it, the attacker finds nothing there either.
	for _, u := range []string{start, origin(t, start) + "/", origin(t, start) + "/start/"} {
		if resp := get(noFollow(bob), u); resp.StatusCode != http.StatusNotFound || resp.Header.Get("Location") != "" {
			t.Errorf("the attacker's GET %s answered %s, Location %q; want 404", u, resp.Status, resp.Header.Get("Location"))
		}
	}
	// Even holding the authorize URL (the state), the attacker's own sign-in
	// comes back through a browser without the cookie and is turned away.
	_ = bob.open(context.Background(), authorize)
	if page := bob.lastPage(t); !strings.Contains(page, "started in another browser") {
		t.Errorf("the attacker's callback was not refused; its browser shows %q", page)
	}
	// The person finishes in their browser and is signed in as themselves.
	_ = alice.open(context.Background(), authorize)
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("the person's sign-in failed: %v", r.err)
		}
		if r.s.Profile.Username != "alice" {
			t.Errorf("signed in as %q, want alice", r.s.Profile.Username)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the sign-in did not complete")
	}
	if n := len(events(p, "token")); n != 1 {
		t.Errorf("%d token requests, want only the person's", n)
	}
}

// previous is what a refresh of s must agree with.
func previous(s *oidc.Session) oidc.Previous {
	return oidc.Previous{Subject: s.Profile.Subject, AuthTime: s.Profile.AuthTime, IDToken: s.Tokens.IDToken}
}

func TestRefresh(t *testing.T) {
	p := startProvider(t)
	c := discover(t, config(p))
	s, err := login(t, c, newFormBrowser("alice", "alice-pw"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Refresh(context.Background(), s.Tokens.RefreshToken, previous(s))
	if err != nil {
		t.Fatal(err)
	}
	if r.Tokens.AccessToken == s.Tokens.AccessToken || r.Tokens.RefreshToken == s.Tokens.RefreshToken || r.Profile.Username != "alice" {
		t.Errorf("refresh did not rotate: %v", r.Tokens)
	}
	if _, err := c.Refresh(context.Background(), s.Tokens.RefreshToken, previous(s)); !errors.Is(err, oidc.ErrSessionEnded) {
		t.Errorf("reused rotated-out refresh token: %v", err)
	}

	p.SetFaults(oidctest.Faults{OmitRefreshToken: true})
	r2, err := c.Refresh(context.Background(), r.Tokens.RefreshToken, previous(s))
	if err != nil || r2.Tokens.RefreshToken != r.Tokens.RefreshToken {
		t.Errorf("omitted refresh token not kept: %v", err)
	}

	p.SetFaults(oidctest.Faults{RefuseRefresh: true})
	if _, err := c.Refresh(context.Background(), r2.Tokens.RefreshToken, previous(s)); !errors.Is(err, oidc.ErrSessionEnded) {
		t.Errorf("refused refresh: %v", err)
	}

	p.SetFaults(oidctest.Faults{})
	if _, err := c.Refresh(context.Background(), r2.Tokens.RefreshToken, oidc.Previous{Subject: "another-subject"}); err == nil || !strings.Contains(err.Error(), "different user") {
		t.Errorf("refresh for another subject: %v", err)
	}
}

// TestRefreshKeepsTheSignIn: a refreshed ID token must belong to the same
// sign-in as the session (OpenID Connect Core 12.2) and pass the same
// checks as the first one.
func TestRefreshKeepsTheSignIn(t *testing.T) {
	authentik := startProvider(t)
	// A provider that names azp in its ID tokens (Authentik does not):
	// a refreshed one must name the same.
	withAZP := oidctest.RealAuthentik()
	withAZP.IDTokenWithoutAZP = false
	generic := startProviderWith(t, func(o *oidctest.Options) { o.Quirks = &withAZP })
	b := newFormBrowser("alice", "alice-pw")
	for _, tt := range []struct {
		fault oidctest.IDTokenFault
		p     *oidctest.Provider
		want  string // "" = the refresh is accepted
	}{
		{oidctest.IDTokenOK, authentik, ""},
		{oidctest.IDTokenOK, generic, ""},
		{oidctest.IDTokenOtherAuthTime, authentik, "reports a login at"},
		{oidctest.IDTokenNoAZP, generic, `issued to "" (azp), but the session's to "ssotray"`},
		{oidctest.IDTokenManyAudiencesNoAZP, authentik, "without naming the one it was issued to"},
		{oidctest.IDTokenFutureIAT, authentik, "in the future"},
	} {
		p := tt.p
		c := discover(t, config(p))
		t.Run(tt.fault.String(), func(t *testing.T) {
			p.SetFaults(oidctest.Faults{})
			s, err := login(t, c, b, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			b.lastPage(t)
			p.SetFaults(oidctest.Faults{IDToken: tt.fault})
			r, err := c.Refresh(context.Background(), s.Tokens.RefreshToken, previous(s))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refresh refused: %v", err)
			case tt.want == "" && r.Profile.AuthTime != s.Profile.AuthTime:
				t.Errorf("auth_time %v after refresh, want %v", r.Profile.AuthTime, s.Profile.AuthTime)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "was refused")):
				t.Errorf("refresh: %v, want a refusal saying %q", err, tt.want)
			}
		})
	}
}

// TestNoExpiresIn: an access token issued without expires_in counts as
// expiring DefaultAccessTokenLifetime after issue, at sign-in and at every
// refresh, so it is renewed instead of trusted forever.
func TestNoExpiresIn(t *testing.T) {
	p := startProvider(t)
	p.SetFaults(oidctest.Faults{OmitExpiresIn: true})
	c := discover(t, config(p))
	within := func(what string, before time.Time, got time.Time) {
		t.Helper()
		lo, hi := before.Add(oidc.DefaultAccessTokenLifetime), time.Now().Add(oidc.DefaultAccessTokenLifetime)
		if got.Before(lo) || got.After(hi) {
			t.Errorf("%s: expiry %v, want between %v and %v", what, got, lo, hi)
		}
	}
	before := time.Now()
	s, err := login(t, c, newFormBrowser("alice", "alice-pw"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	within("sign-in", before, s.Tokens.Expiry)
	before = time.Now()
	r, err := c.Refresh(context.Background(), s.Tokens.RefreshToken, previous(s))
	if err != nil {
		t.Fatal(err)
	}
	within("refresh", before, r.Tokens.Expiry)
}

func TestRevokeAndEndSession(t *testing.T) {
	for _, tt := range []struct {
		flow oidctest.InvalidationFlow
		// ended: the provider's browser session is gone afterwards, so the
		// next sign-in shows the login form again.
		ended bool
	}{
		{oidctest.DefaultProviderInvalidation, false},
		{oidctest.UserLogoutInvalidation, true},
	} {
		t.Run(tt.flow.String(), func(t *testing.T) {
			testRevokeAndEndSession(t, tt.flow, tt.ended)
		})
	}
}

func testRevokeAndEndSession(t *testing.T, flow oidctest.InvalidationFlow, ended bool) {
	p := startProviderWith(t, func(o *oidctest.Options) { o.InvalidationFlow = flow })
	c := discover(t, config(p))
	b := newFormBrowser("alice", "alice-pw")
	s, err := login(t, c, b, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b.lastPage(t)
	for _, tk := range []struct{ tok, hint string }{{s.Tokens.RefreshToken, "refresh_token"}, {s.Tokens.AccessToken, "access_token"}} {
		if err := c.Revoke(context.Background(), tk.tok, tk.hint); err != nil {
			t.Fatal(err)
		}
		if st := p.TokenState(tk.tok); st != oidctest.TokenRevoked {
			t.Errorf("%s is %v after revocation", tk.hint, st)
		}
	}
	if _, err := c.Refresh(context.Background(), s.Tokens.RefreshToken, previous(s)); !errors.Is(err, oidc.ErrSessionEnded) {
		t.Errorf("refresh after revocation: %v", err)
	}

	var opened string
	open := func(ctx context.Context, u string) error {
		opened = u
		return b.open(ctx, u)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.EndSession(ctx, s.Tokens.IDToken, open); err != nil {
		t.Fatal(err)
	}
	b.lastPage(t)
	if strings.Contains(opened, s.Tokens.IDToken) || !strings.HasPrefix(opened, "http://127.0.0.1:") {
		t.Errorf("the browser was given %q", opened)
	}
	ends := events(p, "end_session")
	if len(ends) != 1 || ends[0].Detail["id_token_hint_present"] != "true" {
		t.Errorf("end-session events %v", ends)
	}
	// Whether the browser session at the provider survived is the
	// invalidation flow's choice: the next sign-in tells.
	if _, err := login(t, c, b, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	forms, reused := len(events(p, "login_form")), len(events(p, "session_reused"))
	if ended && (forms != 2 || reused != 0) || !ended && (forms != 1 || reused != 1) {
		t.Errorf("with %s: login forms %d, sessions reused %d", flow, forms, reused)
	}

	t.Run("browser never comes", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		err := c.EndSession(ctx, s.Tokens.IDToken, func(context.Context, string) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "may still be signed in") || strings.Contains(err.Error(), s.Tokens.IDToken) {
			t.Errorf("end-session without a browser: %v", err)
		}
	})
}

// TestEndSessionOutlivesAnotherClient: another local account fetches the
// sign-out address (it is on the browser's command line) before the
// person's browser does; the browser still reaches the provider's
// end-session.
func TestEndSessionOutlivesAnotherClient(t *testing.T) {
	p := startProviderWith(t, func(o *oidctest.Options) { o.InvalidationFlow = oidctest.UserLogoutInvalidation })
	c := discover(t, config(p))
	b := newFormBrowser("alice", "alice-pw")
	s, err := login(t, c, b, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b.lastPage(t)
	attacker := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var local string
	open := func(_ context.Context, u string) error {
		local = u
		resp, err := attacker.Get(u)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.EndSession(ctx, s.Tokens.IDToken, open); err != nil {
		t.Fatal(err)
	}
	// EndSession returned on the first fetch; the person's browser comes
	// later and still gets the redirect.
	_ = b.open(ctx, local)
	if page := b.lastPage(t); strings.HasPrefix(page, "error:") {
		t.Fatalf("the person's browser could not reach the sign-out address: %s", page)
	}
	if n := len(events(p, "end_session")); n != 1 {
		t.Errorf("%d end-session requests reached the provider, want the browser's 1", n)
	}
	// The provider's session in the browser ended: the next sign-in asks
	// for the password again.
	if _, err := login(t, c, b, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if forms := len(events(p, "login_form")); forms != 2 {
		t.Errorf("%d login forms, want 2 (the browser session was not ended)", forms)
	}
}

func TestTokensNeverPrint(t *testing.T) {
	tk := oidc.Tokens{AccessToken: "AT-SECRET", RefreshToken: "RT-SECRET", IDToken: "ID-SECRET"}
	for _, s := range []string{fmt.Sprint(tk), fmt.Sprintf("%+v", tk), fmt.Sprintf("%#v", tk), fmt.Sprint(oidc.Session{Tokens: tk})} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("printed: %s", s)
		}
	}
}

func TestConfidentialClient(t *testing.T) {
	p := startProvider(t, oidctest.Client{ID: "ssotray", Secret: "s3cret", RedirectURIRegexes: []string{oidc.RedirectURIRegex}})
	cfg := config(p)
	cfg.ClientSecret = "s3cret"
	if s, err := login(t, discover(t, cfg), newFormBrowser("bob", "bob-pw"), 10*time.Second); err != nil || s.Profile.Username != "bob" {
		t.Fatalf("confidential sign-in: %v", err)
	}
	cfg.ClientSecret = "not-the-secret-xyz"
	_, err := login(t, discover(t, cfg), newFormBrowser("bob", "bob-pw"), 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "invalid_client") || !strings.Contains(err.Error(), "authentik.client_secret") || strings.Contains(err.Error(), "not-the-secret-xyz") {
		t.Errorf("wrong secret: %v", err)
	}
}

// TestFreshLogin: a fresh sign-in (kiosk, prompt: login) against Authentik's
// real behaviour asks for the password once per person, never reuses the
// browser's session silently, and refuses an ID token from an older login.
func TestFreshLogin(t *testing.T) {
	for _, tt := range []struct {
		name string
		// before signs in as alice in the same browser first (the last
		// person's session), this long before the fresh sign-in.
		before time.Duration
		// prompt is authentik.prompt; fresh is LoginOptions.FreshLogin.
		prompt string
		fresh  bool
		// ahead puts ssotray's clock ahead of the provider's (behind when
		// negative): the check must not depend on the two agreeing.
		ahead   time.Duration
		forms   int    // login forms shown for the fresh sign-in
		wantErr string // "" = signed in as bob
	}{
		{name: "no session in the browser", fresh: true, forms: 1},
		{name: "prompt login in the configuration", prompt: "login", forms: 1},
		{name: "the last person's session in the browser", before: 2 * time.Minute, fresh: true, forms: 1},
		{name: "this computer's clock 2 minutes ahead", fresh: true, ahead: 2 * time.Minute, forms: 1},
		{name: "this computer's clock 2 minutes behind", before: 2 * time.Minute, fresh: true, ahead: -2 * time.Minute, forms: 1},
		// max_age lets a login younger than itself through without a form.
		{name: "a session the provider reused, seconds old", before: 5 * time.Second, fresh: true, forms: 0,
			wantErr: "reused an earlier session"},
		{name: "the same, this computer's clock behind", before: 5 * time.Second, fresh: true, ahead: -time.Minute, forms: 0,
			wantErr: "reused an earlier session"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := &providerClock{t: time.Now()}
			p := startProviderWith(t, func(o *oidctest.Options) { o.Now = clk.now })
			b := newFormBrowser("alice", "alice-pw")
			if tt.before > 0 {
				if _, err := login(t, discover(t, config(p)), b, 10*time.Second); err != nil {
					t.Fatal(err)
				}
				b.lastPage(t)
				clk.advance(tt.before)
			}
			formsBefore := len(events(p, "login_form"))
			b.username, b.password = "bob", "bob-pw"
			cfg := config(p)
			cfg.Prompt = tt.prompt
			cfg.Now = func() time.Time { return clk.now().Add(tt.ahead) }
			s, err := discover(t, cfg).Login(context.Background(), oidc.LoginOptions{Ports: []int{0}, Timeout: 10 * time.Second, OpenBrowser: b.open, FreshLogin: tt.fresh})
			switch {
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got %v, want %q", err, tt.wantErr)
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr == "" && s.Profile.Username != "bob":
				t.Errorf("signed in as %q, want bob", s.Profile.Username)
			}
			if n := len(events(p, "login_form")) - formsBefore; n != tt.forms {
				t.Errorf("login forms for the fresh sign-in: %d, want %d", n, tt.forms)
			}
			last := events(p, "authorize")
			if d := last[len(last)-1].Detail; d["prompt"] != "" || d["max_age"] != strconv.Itoa(oidc.FreshLoginMaxAge) {
				t.Errorf("authorize asked with prompt %q, max_age %q", d["prompt"], d["max_age"])
			}
		})
	}
}

// providerClock is the stand-in's clock, moved by hand.
type providerClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *providerClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *providerClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

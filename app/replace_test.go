package app

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

// formFiller is a person at a browser, scripted: it follows the sign-in to
// the provider's login form, fills it in, and follows the redirects back to
// the callback. Its cookies make a second sign-in reuse the provider's
// session, as a browser's would.
type formFiller struct {
	username, password string
	client             *http.Client
}

var formActionRE = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)

func newFormFiller(username, password string) *formFiller {
	jar, _ := cookiejar.New(nil)
	return &formFiller{username: username, password: password, client: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// open runs in the background, as a browser does, while the sign-in waits.
func (f *formFiller) open(_ context.Context, u string) error {
	go func() {
		resp, err := f.client.Get(u)
		for i := 0; err == nil && i < 3; i++ {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			page := string(body)
			if !strings.Contains(page, `id="username"`) {
				return
			}
			action := resp.Request.URL
			if m := formActionRE.FindStringSubmatch(page); m != nil {
				action, _ = resp.Request.URL.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
			}
			resp, err = f.client.PostForm(action.String(), url.Values{"username": {f.username}, "password": {f.password}})
		}
		if err == nil {
			resp.Body.Close()
		}
	}()
	return nil
}

// TestSignInRevokesTheReplacedSession: signing in again while signed in
// (`ssotray login` twice, or another person at the same desktop) takes back
// the replaced session's tokens at the provider; they would otherwise stay
// valid there for whoever copied them.
func TestSignInRevokesTheReplacedSession(t *testing.T) {
	p, err := oidctest.Start(oidctest.Options{
		Users:   []oidctest.User{{Username: "alice", Password: "alice-pw"}, {Username: "bob", Password: "bob-pw"}},
		Clients: []oidctest.Client{{ID: "ssotray", RedirectURIRegexes: []string{oidc.RedirectURIRegex}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	for _, tt := range []struct {
		name   string
		second string // who signs in the second time
		// restart: the second sign-in runs in a new process (a new core)
		// that only finds the first session in the keyring.
		restart bool
	}{
		{name: "same person again", second: "alice"},
		{name: "another person", second: "bob"},
		{name: "ssotray login in a new process", second: "alice", restart: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := tokenstore.NewMemory()
			at := newFormFiller("alice", "alice-pw") // who sits at the browser
			newCore := func() *Core {
				cfg := config.Default()
				cfg.Authentik.ServerURL, cfg.Authentik.ClientID, cfg.Authentik.CallbackPorts = p.URL(), "ssotray", []int{0}
				cfg.Authentik.Scopes = []string{"openid", "profile", "email", "offline_access"}
				return New(Deps{Config: &cfg, Store: store, Browser: func(ctx context.Context, u string) error { return at.open(ctx, u) }})
			}
			c := newCore()
			ctx := context.Background()
			if err := c.SignIn(ctx, Authentik, SignInOptions{Timeout: 20 * time.Second}); err != nil {
				t.Fatal(err)
			}
			old, _ := c.current()
			if tt.second != "alice" {
				at = newFormFiller(tt.second, tt.second+"-pw")
			}
			if tt.restart {
				c = newCore()
			}
			if err := c.SignIn(ctx, Authentik, SignInOptions{Timeout: 20 * time.Second}); err != nil {
				t.Fatal(err)
			}
			now, _ := c.current()
			if now.Username != tt.second {
				t.Errorf("signed in as %q, want %q", now.Username, tt.second)
			}
			for _, tk := range []struct{ what, token string }{{"refresh token", old.RefreshToken}, {"access token", old.AccessToken}} {
				if st := p.TokenState(tk.token); st != oidctest.TokenRevoked {
					t.Errorf("the replaced session's %s is %v at the provider, want revoked", tk.what, st)
				}
			}
			if st := p.TokenState(now.RefreshToken); st != oidctest.TokenActive {
				t.Errorf("the new session's refresh token is %v, want active", st)
			}
		})
	}
}

// A provider that hands out a token again (no rotation, or the same access
// token) must not see it revoked: that would end the new session too.
func TestRevokeReplacedKeepsSharedTokens(t *testing.T) {
	for _, tt := range []struct {
		name         string
		oldRT, oldAT string
		revoked      bool
	}{
		{"nothing shared", "rt-old", "at-old", true},
		{"the same access token", "rt-old", "at-new", false},
		{"the same refresh token", "rt-new", "at-old", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, f, _ := newTestCore(t, tokenstore.NewMemory())
			now := &tokenstore.Session{Method: "authentik", Server: f.srv, RefreshToken: "rt-new", AccessToken: "at-new"}
			old := &tokenstore.Session{Method: "authentik", Server: f.srv, RefreshToken: tt.oldRT, AccessToken: tt.oldAT}
			c.revokeReplaced(context.Background(), now, []*tokenstore.Session{old})
			if got := len(f.revoked) > 0; got != tt.revoked {
				t.Errorf("revoked %v, want revoked: %v", f.revoked, tt.revoked)
			}
		})
	}
}

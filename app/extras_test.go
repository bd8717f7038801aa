package app

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/authentikapi"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

func TestIsSelf(t *testing.T) {
	fixed := config.Default().Authentik // app_slug ssotray, ports 38917-38919
	anyPort := fixed
	anyPort.CallbackPorts = []int{0}
	for _, tt := range []struct {
		name string
		app  authentikapi.Application
		cfg  config.Authentik
		want bool
	}{
		{"ssotray's slug", authentikapi.Application{Slug: "ssotray", LaunchURL: "https://example.com/"}, fixed, true},
		{"launch URL from the first strict redirect URI", authentikapi.Application{Slug: "desktop", LaunchURL: "http://127.0.0.1:38917"}, fixed, true},
		{"another callback port", authentikapi.Application{Slug: "desktop", LaunchURL: "http://127.0.0.1:38919"}, fixed, true},
		{"any port configured: a loopback app stays", authentikapi.Application{Slug: "grafana", LaunchURL: "http://127.0.0.1:3000"}, anyPort, false},
		{"localhost", authentikapi.Application{Slug: "desktop", LaunchURL: "http://localhost:38918"}, fixed, true},
		{"a loopback app on another port", authentikapi.Application{Slug: "grafana", LaunchURL: "http://127.0.0.1:3000"}, fixed, false},
		{"a real app", authentikapi.Application{Slug: "photos", LaunchURL: "https://photos.example.com"}, anyPort, false},
		{"a host that looks like a port", authentikapi.Application{Slug: "x", LaunchURL: "https://38917.example.com"}, fixed, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := isSelf(tt.app, tt.cfg); got != tt.want {
				t.Errorf("isSelf(%+v) = %v, want %v", tt.app, got, tt.want)
			}
		})
	}
}

// testPNG is a real w×h PNG whose header then claims claimW×claimH (with a
// valid checksum): with claims larger than the picture, a decompression
// bomb of a few dozen bytes.
func testPNG(t *testing.T, w, h int, claimW, claimH uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	binary.BigEndian.PutUint32(b[16:], claimW)
	binary.BigEndian.PutUint32(b[20:], claimH)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// TestExtrasRefusePixelBombs: an avatar that fits the byte limit but
// declares 20000×20000 pixels never reaches the status (and so never a
// decoder); a plain one does.
func TestExtrasRefusePixelBombs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		avatar []byte
		shown  bool
	}{
		{"a 96×96 avatar", testPNG(t, 96, 96, 96, 96), true},
		{"a tiny PNG declaring 20000×20000", testPNG(t, 1, 1, 20000, 20000), false},
		{"not a picture", []byte("MZ\x90\x00 not an image"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/v3/core/users/me/" {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]any{"user": map[string]any{
					"username": "alice", "avatar": "data:image/png;base64," + base64.StdEncoding.EncodeToString(tc.avatar),
				}})
			}))
			defer api.Close()
			c, _, _ := newTestCore(t, tokenstore.NewMemory())
			a := &c.deps.Config.Authentik
			a.Enabled, a.ServerURL, a.Scopes = true, api.URL, append(a.Scopes, config.APIScope)
			if err := c.SignIn(t.Context(), Authentik, SignInOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := c.LoadExtras(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := c.Status().Avatar != nil; got != tc.shown {
				t.Errorf("avatar shown = %v, want %v", got, tc.shown)
			}
		})
	}
}

// Authentik deletes the access tokens of a browser session that ends (the
// person logs out of Authentik in the browser) and answers for a deleted
// token as for one without the API scope. Extras loaded with such a token,
// still unexpired, renew it and ask again instead of blaming the scope.
func TestExtrasRenewATokenItsSessionTookAlong(t *testing.T) {
	for _, tt := range []struct {
		name    string
		scopes  []string
		wantErr string // "" loads
	}{
		{name: "the browser session ended", scopes: []string{"openid", "profile", "email", "offline_access", config.APIScope}},
		{name: "the scope really is missing", scopes: []string{"openid", "profile", "email", "offline_access"}, wantErr: "add the scope goauthentik.io/api"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := oidctest.Start(oidctest.Options{
				Users:   []oidctest.User{{Username: "alice", Password: "alice-pw", Name: "Alice Liddell"}},
				Clients: []oidctest.Client{{ID: "ssotray", RedirectURIRegexes: []string{oidc.RedirectURIRegex}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.Close() })
			cfg := config.Default()
			cfg.Authentik.ServerURL, cfg.Authentik.ClientID, cfg.Authentik.CallbackPorts = p.URL(), "ssotray", []int{0}
			// Asked for in config (so LoadExtras calls the API) but not
			// granted when the sign-in leaves it out.
			cfg.Authentik.Scopes = tt.scopes
			at := newFormFiller("alice", "alice-pw")
			c := New(Deps{Config: &cfg, Store: tokenstore.NewMemory(), Browser: at.open})
			if err := c.SignIn(t.Context(), Authentik, SignInOptions{Timeout: 20 * time.Second}); err != nil {
				t.Fatal(err)
			}
			// Configured now (LoadExtras runs only then), granted or not.
			if !slices.Contains(cfg.Authentik.Scopes, config.APIScope) {
				cfg.Authentik.Scopes = append(slices.Clone(cfg.Authentik.Scopes), config.APIScope)
			}
			before, _ := c.current()
			if n := p.EndBrowserSessions("alice"); n != 1 {
				t.Fatalf("%d browser sessions ended, want 1", n)
			}
			if st := p.TokenState(before.AccessToken); st != oidctest.TokenDeleted {
				t.Fatalf("the access token is %v at the provider, want deleted", st)
			}
			err = c.LoadExtras(t.Context())
			after, _ := c.current()
			c.mu.Lock()
			loaded := c.extras != nil
			c.mu.Unlock()
			switch {
			case tt.wantErr == "" && (err != nil || !loaded):
				t.Fatalf("extras loaded %v: %v", loaded, err)
			case tt.wantErr == "" && after.AccessToken == before.AccessToken:
				t.Error("the extras were loaded with the deleted token")
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("extras: %v, want %q", err, tt.wantErr)
			}
			if st := c.Status(); st.State != SignedIn {
				t.Errorf("the session is %v after the extras, want still signed in", st.State)
			}
		})
	}
}

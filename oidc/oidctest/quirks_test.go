package oidctest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// quirksWith is RealAuthentik with one change, the way a test opts out.
func quirksWith(edit func(*Quirks)) *Quirks {
	q := RealAuthentik()
	edit(&q)
	return &q
}

func TestRealAuthentikIsTheDefault(t *testing.T) {
	t.Parallel()
	want := Quirks{PromptLoginTwice: true, IgnoreMaxAgeZero: true, SaveFirstRedirectURI: true,
		CheckIDTokenHint: true, LaunchURLFromRedirectURI: true, APIPageSize: 20,
		RotateRefreshTokens: true, EmailVerifiedFalse: true, IDTokenWithoutAZP: true,
		AccessTokensDieWithSession: true, EndSessionLoginFirst: true}
	if got := RealAuthentik(); got != want {
		t.Errorf("RealAuthentik() = %+v, want %+v", got, want)
	}
	if p := startProvider(t); p.cfg.quirks != want {
		t.Errorf("Options.Quirks nil gives %+v, want RealAuthentik()", p.cfg.quirks)
	}
}

// TestPromptLoginTwice pins issue #18507 and its aftermath: a browser without
// a session logs in twice for prompt=login; after a prompt=login re-login
// the next prompt=login in that browser passes without a form.
func TestPromptLoginTwice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		twice       bool
		withSession bool // an ordinary sign-in happened first in this browser
		wantForms   int  // forms for the first prompt=login
		wantSilent  bool // the second prompt=login shows no form
	}{
		{"real, no session", true, false, 2, true},
		{"real, with a session", true, true, 1, true},
		{"spec, no session", false, false, 1, false},
		{"spec, with a session", false, true, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			p := startProvider(t, func(o *Options) {
				o.Now = clock.Now
				o.Quirks = quirksWith(func(q *Quirks) { q.PromptLoginTwice = tc.twice })
			})
			r := newRP(t, p, publicID, "", loopback, clock.Now)
			b := newBrowser(t, p)
			if tc.withSession {
				f, code := r.login(b, alice)
				r.mustExchange(code, f)
			}
			formsBefore := len(eventsOf(p, "login_form"))

			clock.Advance(time.Minute)
			f := r.start(oauth2.SetAuthURLParam("prompt", "login"))
			pg := b.get(f.authURL)
			for i := range tc.wantForms {
				if !isLoginForm(pg) {
					t.Fatalf("form %d of %d not shown: %d %v", i+1, tc.wantForms, pg.status, pg.location)
				}
				clock.Advance(time.Second)
				pg = b.submitLogin(pg, "alice", "wonderland")
			}
			loginAt := clock.Now().Unix()
			c := claimsOf(t, r.mustVerify(r.mustExchange(r.callback(pg, f), f)))
			if c.AuthTime != loginAt {
				t.Errorf("auth_time = %d, want the last login's %d", c.AuthTime, loginAt)
			}
			if n := len(eventsOf(p, "login_form")) - formsBefore; n != tc.wantForms {
				t.Errorf("%d login_form events, want %d", n, tc.wantForms)
			}

			// The next prompt=login in the same browser.
			clock.Advance(time.Hour)
			f = r.start(oauth2.SetAuthURLParam("prompt", "login"))
			pg = b.get(f.authURL)
			if !tc.wantSilent {
				if !isLoginForm(pg) {
					t.Fatalf("second prompt=login: %d %v, want the form", pg.status, pg.location)
				}
				return
			}
			c = claimsOf(t, r.mustVerify(r.mustExchange(r.callback(pg, f), f)))
			if c.AuthTime != loginAt {
				t.Errorf("silent prompt=login: auth_time = %d, want the old %d", c.AuthTime, loginAt)
			}
			if ev := eventsOf(p, "session_reused"); len(ev) == 0 || ev[len(ev)-1].Detail["prompt"] != "login" {
				t.Errorf("session_reused events = %+v", ev)
			}
		})
	}
}

// TestMaxAge pins max_age against the session's last login, and max_age=0
// ignored by Authentik ("if max_age:").
func TestMaxAge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		ignoreZero bool
		maxAge     string
		wantForm   bool
	}{
		{"0 ignored (real)", true, "0", false},
		{"0 forces a login (spec)", false, "0", true},
		{"older than max_age (real)", true, "60", true},
		{"older than max_age (spec)", false, "60", true},
		{"younger than max_age", true, "600", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			p := startProvider(t, func(o *Options) {
				o.Now = clock.Now
				o.Quirks = quirksWith(func(q *Quirks) { q.IgnoreMaxAgeZero = tc.ignoreZero })
			})
			r := newRP(t, p, publicID, "", loopback, clock.Now)
			b := newBrowser(t, p)
			f, code := r.login(b, alice)
			first := claimsOf(t, r.mustVerify(r.mustExchange(code, f)))

			clock.Advance(2 * time.Minute)
			f = r.start(oauth2.SetAuthURLParam("max_age", tc.maxAge))
			pg := b.get(f.authURL)
			if isLoginForm(pg) != tc.wantForm {
				t.Fatalf("max_age=%s: form shown %v, want %v (%d %v)", tc.maxAge, isLoginForm(pg), tc.wantForm, pg.status, pg.location)
			}
			wantAuthTime := first.AuthTime
			if tc.wantForm {
				pg = b.submitLogin(pg, "alice", "wonderland")
				wantAuthTime = clock.Now().Unix()
			}
			if c := claimsOf(t, r.mustVerify(r.mustExchange(r.callback(pg, f), f))); c.AuthTime != wantAuthTime {
				t.Errorf("auth_time = %d, want %d", c.AuthTime, wantAuthTime)
			}
		})
	}
}

// TestSaveFirstRedirectURI pins Authentik saving the first redirect_uri
// into an empty list, even from a request that never logs in.
func TestSaveFirstRedirectURI(t *testing.T) {
	t.Parallel()
	const emptyID = "empty-app"
	first, second := "http://127.0.0.1:40001/callback", "http://127.0.0.1:40002/callback"
	for _, tc := range []struct {
		name       string
		save       bool
		wantFirst  bool // the first URI is accepted
		wantStrict []string
	}{
		{"real: saved", true, true, []string{first}},
		{"later release: refused", false, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startProvider(t, func(o *Options) {
				o.Clients = append(o.Clients, Client{ID: emptyID})
				o.Quirks = quirksWith(func(q *Quirks) { q.SaveFirstRedirectURI = tc.save })
			})
			authorize := func(uri string) page {
				q := url.Values{"client_id": {emptyID}, "redirect_uri": {uri}, "response_type": {"code"}, "scope": {"openid"}, "state": {"s"}}
				return newBrowser(t, p).get(p.URL() + "/application/o/authorize/?" + q.Encode())
			}
			if pg := authorize(first); isLoginForm(pg) != tc.wantFirst || (!tc.wantFirst && !isRedirectURIError(pg)) {
				t.Fatalf("first redirect_uri: %d\n%s", pg.status, pg.body)
			}
			if strict, regexes := p.RedirectURIs(emptyID); !slices.Equal(strict, tc.wantStrict) || len(regexes) != 0 {
				t.Errorf("RedirectURIs = %v %v, want %v", strict, regexes, tc.wantStrict)
			}
			// Whatever happened, a second URI is refused now.
			if pg := authorize(second); !isRedirectURIError(pg) {
				t.Errorf("second redirect_uri: %d\n%s", pg.status, pg.body)
			}
			ev := eventsOf(p, "redirect_uri_saved")
			if tc.save && (len(ev) != 1 || ev[0].Detail["redirect_uri"] != first || ev[0].Detail["client_id"] != emptyID) {
				t.Errorf("redirect_uri_saved events = %+v", ev)
			}
			if !tc.save && len(ev) != 0 {
				t.Errorf("redirect_uri_saved events = %+v, want none", ev)
			}
			// A configured list is never touched.
			if strict, _ := p.RedirectURIs(strictID); !slices.Equal(strict, []string{strictRedirect}) {
				t.Errorf("strict-app's list changed to %v", strict)
			}
		})
	}
}

func isRedirectURIError(pg page) bool {
	return pg.status == http.StatusBadRequest && pg.location == nil &&
		strings.HasPrefix(pg.header.Get("Content-Type"), "text/html") && strings.Contains(pg.body, "Redirect URI Error")
}

// TestAuthorizeErrorPages pins Authentik's two HTML 400 pages and their order.
func TestAuthorizeErrorPages(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	for _, tc := range []struct {
		name, client, redirect, want string
	}{
		{"unknown client, bad redirect: client first", "nobody", "http://evil.example/cb", "Client ID Error"},
		{"no client", "", loopback, "Client ID Error"},
		{"known client, bad redirect", strictID, "http://evil.example/cb", "Redirect URI Error"},
		{"known client, no redirect", strictID, "", "Redirect URI Error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{"client_id": {tc.client}, "redirect_uri": {tc.redirect}, "response_type": {"code"}, "state": {"s"}}
			pg := newBrowser(t, p).get(p.URL() + "/application/o/authorize/?" + q.Encode())
			if pg.status != http.StatusBadRequest || pg.location != nil || !strings.HasPrefix(pg.header.Get("Content-Type"), "text/html") ||
				!strings.Contains(pg.body, `<h1 id="title">`+tc.want+`</h1>`) {
				t.Errorf("got %d %v %q\n%s", pg.status, pg.location, pg.header.Get("Content-Type"), pg.body)
			}
		})
	}
}

// TestCheckIDTokenHint pins end-session's id_token_hint check: signature
// with the current key, aud, iss; exp ignored; 400 otherwise.
func TestCheckIDTokenHint(t *testing.T) {
	t.Parallel()
	for _, check := range []bool{true, false} {
		t.Run(fmt.Sprintf("CheckIDTokenHint=%v", check), func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			p := startProvider(t, func(o *Options) {
				o.Now = clock.Now
				o.Quirks = quirksWith(func(q *Quirks) { q.CheckIDTokenHint = check })
				// The slug's application uses the public client, so only its
				// ID tokens have the right audience.
				o.Applications = []Application{{Name: "ssotray", Slug: "ssotray", Provider: publicID}}
			})
			r := newRP(t, p, publicID, "", loopback, clock.Now)
			rc := newRP(t, p, confID, confSecret, confRedirect, clock.Now)
			hint := func(rp *rp) string {
				b := newBrowser(t, p)
				f, code := rp.login(b, bob)
				return rp.mustExchange(code, f).Extra("id_token").(string)
			}
			beforeRotation := hint(r)
			p.RotateSigningKey()
			valid, other := hint(r), hint(rc)
			// An hour is the ID token's lifetime at most; a day later the
			// hint has expired.
			clock.Advance(24 * time.Hour)

			for _, tc := range []struct {
				name, hint string
				ok         bool
			}{
				{"valid, expired: exp ignored", valid, true},
				{"signed before the key rotation", beforeRotation, false},
				{"another client's audience", other, false},
				{"tampered", valid[:len(valid)-4] + "AAAA", false},
				{"not a JWT", "garbage", false},
			} {
				t.Run(tc.name, func(t *testing.T) {
					b := newBrowser(t, p)
					r.login(b, alice)
					pg := b.get(p.Issuer() + "end-session/?" + url.Values{"id_token_hint": {tc.hint}}.Encode())
					wantStatus := http.StatusOK
					if check && !tc.ok {
						wantStatus = http.StatusBadRequest
					}
					if pg.status != wantStatus || pg.location != nil {
						t.Fatalf("end-session = %d %v, want %d\n%s", pg.status, pg.location, wantStatus, pg.body)
					}
					ev := eventsOf(p, "end_session")
					if last := ev[len(ev)-1]; last.Detail["status"] != fmt.Sprint(wantStatus) {
						t.Errorf("end_session event = %+v", last)
					}
				})
			}
		})
	}
}

// TestRotateSigningKey pins that ID tokens signed before a rotation no
// longer verify against the JWKS, while the access token still works.
func TestRotateSigningKey(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	r := newRP(t, p, publicID, "", loopback, nil)
	f, code := r.login(newBrowser(t, p), alice)
	tok := r.mustExchange(code, f)
	r.mustVerify(tok)
	p.RotateSigningKey()
	// A fresh verifier, so no key is cached from before.
	if _, err := newRP(t, p, publicID, "", loopback, nil).verify(tok); err == nil {
		t.Error("an ID token signed with the old key still verifies")
	}
	if _, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok)); err != nil {
		t.Errorf("userinfo with an access token from before the rotation: %v", err)
	}
	status, body := r.refresh(tok.RefreshToken)
	if status != 200 {
		t.Fatalf("refresh after rotation = %d %v", status, body)
	}
	if _, err := newRP(t, p, publicID, "", loopback, nil).verifier.Verify(t.Context(), body["id_token"].(string)); err != nil {
		t.Errorf("a new ID token does not verify: %v", err)
	}
}

// TestLaunchURLFromRedirectURI pins Application.get_launch_url: the
// provider's first redirect URI without its path when no Launch URL is set.
func TestLaunchURLFromRedirectURI(t *testing.T) {
	t.Parallel()
	apps := []Application{
		{Name: "A strict", Slug: "a", Provider: strictID},
		{Name: "B regex", Slug: "b", Provider: publicID},
		{Name: "C blank", Slug: "c", Provider: strictID, LaunchURL: "blank://blank"},
		{Name: "D set", Slug: "d", Provider: strictID, LaunchURL: "https://d.example/"},
		{Name: "E no provider", Slug: "e"},
	}
	for _, tc := range []struct {
		name  string
		guess bool
		want  map[string]string // slug -> launch_url; absent = null
	}{
		// blank://blank is reported as it is; Authentik's own library page
		// is what hides it.
		{"real", true, map[string]string{"a": "http://127.0.0.1:38080", "b": `http://127\.0\.0\.1:\d+`, "c": "blank://blank", "d": "https://d.example/"}},
		{"off", false, map[string]string{"c": "blank://blank", "d": "https://d.example/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startProvider(t, func(o *Options) {
				o.Applications = apps
				o.Quirks = quirksWith(func(q *Quirks) { q.LaunchURLFromRedirectURI = tc.guess })
			})
			bearer := "Bearer " + apiToken(t, p, alice, apiScopes...).AccessToken
			_, body := apiGet(t, p.URL()+"/api/v3/core/applications/", bearer)
			got := map[string]string{}
			for _, a := range decodeAs[apiAppList](t, body).Results {
				if a.LaunchURL != nil {
					got[a.Slug] = *a.LaunchURL
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("launch_url = %v, want %v", got, tc.want)
			}
			_, body = apiGet(t, p.URL()+"/api/v3/core/applications/?only_with_launch_url=true", bearer)
			var slugs []string
			for s := range tc.want {
				slugs = append(slugs, s)
			}
			slices.Sort(slugs)
			if got := decodeAs[apiAppList](t, body).slugs(); !slices.Equal(got, slugs) {
				t.Errorf("only_with_launch_url = %v, want %v", got, slugs)
			}
		})
	}
}

func TestWithoutPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://127.0.0.1:38917/callback":         "http://127.0.0.1:38917",
		`http://127\.0\.0\.1:\d+/callback`:        `http://127\.0\.0\.1:\d+`,
		"https://app.example.com":                 "https://app.example.com",
		"https://app.example.com/a/b?x=1#frag":    "https://app.example.com?x=1#frag",
		"https://app.example.com/cb;p=1":          "https://app.example.com;p=1",
		`https://app\.example\.com/(cb|login)`:    `https://app\.example\.com`,
		"com.example.app:/oauth2redirect":         "com.example.app:",
		"http://[::1]:8080/callback?":             "http://[::1]:8080",
		`https://.*\.example\.com/oauth/callback`: `https://.*\.example\.com`,
	} {
		if got := withoutPath(in); got != want {
			t.Errorf("withoutPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAPIPageSize pins Authentik's pagination: 20 by default, page_size
// honoured up to 100.
func TestAPIPageSize(t *testing.T) {
	t.Parallel()
	var apps []Application
	for i := range 130 {
		apps = append(apps, Application{Name: fmt.Sprintf("App %03d", i), Slug: fmt.Sprintf("app%03d", i), LaunchURL: "https://x.example/"})
	}
	for _, tc := range []struct {
		name              string
		quirkSize         int
		query             string
		wantLen, wantPage int
	}{
		{"default 20", 0, "", 20, 7},
		{"real quirk value", 20, "", 20, 7},
		{"page_size honoured", 0, "page_size=50", 50, 3},
		{"page_size capped at 100", 0, "page_size=500", 100, 2},
		{"kinder default", 100, "", 100, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startProvider(t, func(o *Options) {
				o.Applications = apps
				if tc.quirkSize != 0 {
					o.Quirks = quirksWith(func(q *Quirks) { q.APIPageSize = tc.quirkSize })
				}
			})
			bearer := "Bearer " + apiToken(t, p, alice, apiScopes...).AccessToken
			_, body := apiGet(t, p.URL()+"/api/v3/core/applications/?"+tc.query, bearer)
			l := decodeAs[apiAppList](t, body)
			if len(l.Results) != tc.wantLen || l.Pagination.TotalPages != tc.wantPage || l.Pagination.Count != 130 {
				t.Errorf("%d results, pagination %+v; want %d results of %d pages", len(l.Results), l.Pagination, tc.wantLen, tc.wantPage)
			}
		})
	}
}

// TestIssuerMode pins the issuer of both modes; discovery stays per slug.
func TestIssuerMode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		mode       IssuerMode
		wantIssuer func(base string) string
	}{
		{"per provider", IssuerPerProvider, func(base string) string { return base + "/application/o/ssotray/" }},
		{"global", IssuerGlobal, func(base string) string { return base + "/" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startProvider(t, func(o *Options) { o.IssuerMode = tc.mode })
			issuer := tc.wantIssuer(p.URL())
			if p.Issuer() != issuer || p.DiscoveryURL() != p.URL()+"/application/o/ssotray/.well-known/openid-configuration" {
				t.Fatalf("Issuer() = %s, DiscoveryURL() = %s", p.Issuer(), p.DiscoveryURL())
			}
			resp, err := http.Get(p.DiscoveryURL())
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			err = json.NewDecoder(resp.Body).Decode(&doc)
			resp.Body.Close()
			if err != nil || doc["issuer"] != issuer || doc["jwks_uri"] != p.URL()+"/application/o/ssotray/jwks/" {
				t.Fatalf("discovery: %v %v", err, doc)
			}
			// go-oidc must be told the issuer differs from the discovery URL.
			ctx := gooidc.InsecureIssuerURLContext(t.Context(), issuer)
			prov, err := gooidc.NewProvider(ctx, p.URL()+"/application/o/ssotray/")
			if err != nil {
				t.Fatal(err)
			}
			conf := oauth2.Config{ClientID: publicID, RedirectURL: loopback, Endpoint: prov.Endpoint(), Scopes: []string{"openid", "profile"}}
			r := &rp{t: t, p: p, provider: prov, conf: conf, verifier: prov.Verifier(&gooidc.Config{ClientID: publicID})}
			f, code := r.login(newBrowser(t, p), alice)
			tok := r.mustExchange(code, f)
			if idt := r.mustVerify(tok); idt.Issuer != issuer {
				t.Errorf("ID token iss = %s, want %s", idt.Issuer, issuer)
			}
			if c := jwtClaims(t, tok.AccessToken); c["iss"] != issuer {
				t.Errorf("access token iss = %v, want %s", c["iss"], issuer)
			}
		})
	}
}

func jwtClaims(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(payload, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func jweHeader(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 5 {
		t.Fatalf("not a compact JWE: %d parts", len(parts))
	}
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(h, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEncryptionKey pins a provider with an Encryption Key: ID and access
// tokens are JWEs, in code and refresh responses; discovery is unchanged;
// the JWKS lists the encryption key.
func TestEncryptionKey(t *testing.T) {
	t.Parallel()
	for _, encrypt := range []bool{false, true} {
		t.Run(fmt.Sprintf("EncryptionKey=%v", encrypt), func(t *testing.T) {
			t.Parallel()
			p := startProvider(t, func(o *Options) { o.EncryptionKey = encrypt })
			r := newRP(t, p, publicID, "", loopback, nil)
			f, code := r.login(newBrowser(t, p), alice)
			tok := r.mustExchange(code, f)
			status, refreshed := r.refresh(tok.RefreshToken)
			if status != 200 {
				t.Fatalf("refresh = %d %v", status, refreshed)
			}
			for _, raw := range []string{tok.Extra("id_token").(string), refreshed["id_token"].(string), tok.AccessToken} {
				if !encrypt {
					jwtClaims(t, raw)
					continue
				}
				if h := jweHeader(t, raw); h["alg"] != "RSA-OAEP-256" || h["enc"] != "A256CBC-HS512" || h["typ"] != "JWE" || h["kid"] == nil {
					t.Errorf("JWE header = %v", h)
				}
			}
			if _, err := r.verify(tok); (err == nil) == encrypt {
				t.Errorf("go-oidc verify: %v", err)
			}
			// The provider still knows its tokens by value.
			if _, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok)); err != nil {
				t.Errorf("userinfo: %v", err)
			}

			resp, err := http.Get(p.DiscoveryURL())
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&doc)
			resp.Body.Close()
			if fmt.Sprint(doc["id_token_signing_alg_values_supported"]) != "[RS256]" || doc["id_token_encryption_alg_values_supported"] != nil {
				t.Errorf("discovery = %v", doc)
			}
			resp, err = http.Get(p.URL() + "/application/o/ssotray/jwks/")
			if err != nil {
				t.Fatal(err)
			}
			var jwks struct {
				Keys []map[string]any `json:"keys"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&jwks)
			resp.Body.Close()
			var uses []string
			for _, k := range jwks.Keys {
				uses = append(uses, fmt.Sprint(k["use"]))
				if k["use"] == "enc" && (k["alg"] != "RSA-OAEP-256" || k["enc"] != "A256CBC-HS512") {
					t.Errorf("encryption JWK = %v", k)
				}
			}
			want := []string{"sig"}
			if encrypt {
				want = append(want, "enc")
			}
			if !slices.Equal(uses, want) {
				t.Errorf("JWKS uses = %v, want %v", uses, want)
			}
		})
	}
}

// TestAccessTokensAreJWTs pins Authentik's access tokens: JWTs signed with
// the ID token's key, naming the client in azp, valid 5 minutes by default
// (the admin interface's value), revocable.
func TestAccessTokensAreJWTs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		lifetime time.Duration
		want     int64
	}{
		{"default one hour", 0, 3600},
		{"explicit lifetime", 10 * time.Minute, 600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startProvider(t, func(o *Options) { o.AccessTokenLifetime = tc.lifetime })
			r := newRP(t, p, publicID, "", loopback, nil)
			f, code := r.login(newBrowser(t, p), alice)
			tok := r.mustExchange(code, f)

			keys := gooidc.NewRemoteKeySet(t.Context(), p.URL()+"/application/o/ssotray/jwks/")
			if _, err := keys.VerifySignature(t.Context(), tok.AccessToken); err != nil {
				t.Errorf("access token signature: %v", err)
			}
			c := jwtClaims(t, tok.AccessToken)
			exp, _ := c["exp"].(float64)
			iat, _ := c["iat"].(float64)
			if int64(exp-iat) != tc.want || c["sub"] != sha256Hex("alice") || c["iss"] != p.Issuer() || c["azp"] != publicID {
				t.Errorf("access token claims = %v, want a lifetime of %ds", c, tc.want)
			}
			if ei, _ := tok.Extra("expires_in").(float64); int64(ei) != tc.want {
				t.Errorf("expires_in = %v, want %d", tok.Extra("expires_in"), tc.want)
			}
			if p.TokenState(tok.AccessToken) != TokenActive || !slices.Contains(p.RefreshTokensOf("alice"), tok.RefreshToken) {
				t.Errorf("TokenState = %v, RefreshTokensOf = %v", p.TokenState(tok.AccessToken), p.RefreshTokensOf("alice"))
			}

			status, _ := postJSON(t, p.URL()+"/application/o/revoke/", url.Values{"token": {tok.AccessToken}, "client_id": {publicID}}, nil)
			if status != 200 || p.TokenState(tok.AccessToken) != TokenRevoked {
				t.Fatalf("revoke = %d, state %v", status, p.TokenState(tok.AccessToken))
			}
			if _, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok)); err == nil {
				t.Error("userinfo accepted a revoked JWT access token")
			}
		})
	}
}

// TestRefreshReuseIsRefused pins RotateRefreshTokens: a rotated refresh
// token gets invalid_grant and the refusal is an event; off, the same
// token works again and comes back unchanged.
func TestRefreshReuseIsRefused(t *testing.T) {
	t.Parallel()
	for _, rotate := range []bool{true, false} {
		t.Run(fmt.Sprintf("rotate %v", rotate), func(t *testing.T) {
			p, r, tok := aliceSignedIn(t, func(q *Quirks) { q.RotateRefreshTokens = rotate })
			second := map[bool]int{true: 400, false: 200}[rotate] // rotated by the first use
			for i, want := range []int{200, second} {
				status, body := r.refresh(tok.RefreshToken)
				if status != want || (status == 400 && body["error"] != "invalid_grant") {
					t.Errorf("refresh %d = %d %v, want %d", i, status, body, want)
				}
				if status == 200 && (body["refresh_token"] == tok.RefreshToken) == rotate {
					t.Errorf("refresh %d gave refresh token %v, the same as before: %v; want the same %v", i, body["refresh_token"], body["refresh_token"] == tok.RefreshToken, !rotate)
				}
			}
			ev := eventsOf(p, "refresh_refused")
			if rotate && (len(ev) != 1 || ev[0].User != "alice" || ev[0].Detail["reason"] != "invalid_grant") || !rotate && len(ev) != 0 {
				t.Errorf("refresh_refused events = %+v", ev)
			}
		})
	}
}

// TestEmailVerifiedFalse pins EmailVerifiedFalse: the claim is there and
// false in the ID token; off, it is left out.
func TestEmailVerifiedFalse(t *testing.T) {
	t.Parallel()
	for _, sent := range []bool{true, false} {
		t.Run(fmt.Sprintf("sent %v", sent), func(t *testing.T) {
			_, r, tok := aliceSignedIn(t, func(q *Quirks) { q.EmailVerifiedFalse = sent })
			c := claimsOf(t, r.mustVerify(tok))
			if v := c.EmailVerified; (v != nil) != sent || (v != nil && *v) {
				t.Errorf("email_verified = %v, want sent as false: %v", v, sent)
			}
		})
	}
}

// aliceSignedIn starts a provider with edit applied to Authentik's quirks
// and signs alice in with the public client: its tokens.
func aliceSignedIn(t *testing.T, edit func(*Quirks)) (*Provider, *rp, *oauth2.Token) {
	t.Helper()
	p := startProvider(t, func(o *Options) { o.Quirks = quirksWith(edit) })
	r := newRP(t, p, publicID, "", loopback, nil)
	f, code := r.login(newBrowser(t, p), alice)
	return p, r, r.mustExchange(code, f)
}

// TestIDTokenWithoutAZP pins Quirks.IDTokenWithoutAZP: Authentik's ID
// tokens, first and refreshed, carry neither azp nor client_id, while its
// JWT access tokens name the client in azp; such a hint still names the
// client at end-session, whose logout URI is followed. Off: the library's
// azp and client_id stay in the ID token.
func TestIDTokenWithoutAZP(t *testing.T) {
	t.Parallel()
	for _, without := range []bool{true, false} {
		t.Run(fmt.Sprintf("IDTokenWithoutAZP=%v", without), func(t *testing.T) {
			t.Parallel()
			p, r, tok := aliceSignedIn(t, func(q *Quirks) { q.IDTokenWithoutAZP = without })
			check := func(what, idToken, accessToken string) {
				t.Helper()
				if _, err := r.verifier.Verify(t.Context(), idToken); err != nil {
					t.Fatalf("%s does not verify: %v", what, err)
				}
				c := jwtClaims(t, idToken)
				azp, hasAZP := c["azp"]
				cid, hasCID := c["client_id"]
				if hasAZP == without || hasCID == without || !without && (azp != publicID || cid != publicID) {
					t.Errorf("%s: azp %v, client_id %v; want them left out: %v", what, azp, cid, without)
				}
				if c := jwtClaims(t, accessToken); c["azp"] != publicID {
					t.Errorf("%s: the access token's azp = %v, want %s", what, c["azp"], publicID)
				}
			}
			check("ID token", tok.Extra("id_token").(string), tok.AccessToken)
			status, body := r.refresh(tok.RefreshToken)
			if status != 200 {
				t.Fatalf("refresh = %d %v", status, body)
			}
			check("refreshed ID token", body["id_token"].(string), body["access_token"].(string))

			b := newBrowser(t, p)
			r.login(b, alice)
			pg := b.get(p.Issuer() + "end-session/?" + url.Values{"id_token_hint": {body["id_token"].(string)}, "post_logout_redirect_uri": {logoutRedirect}}.Encode())
			if pg.location == nil || pg.location.String() != logoutRedirect {
				t.Errorf("end-session with the hint = %d %v, want a redirect to %s\n%s", pg.status, pg.location, logoutRedirect, pg.body)
			}
		})
	}
}

// TestIDTokenExpiresWithAccessToken pins Authentik's lifetimes: the access
// token is valid 1 hour unless the provider says otherwise, and the ID
// token's exp is the access token's expiry (iat its issue), at the code
// exchange and at every refresh, on the wall clock and on a test clock.
func TestIDTokenExpiresWithAccessToken(t *testing.T) {
	t.Parallel()
	if DefaultAccessTokenLifetime != time.Hour {
		t.Errorf("DefaultAccessTokenLifetime = %v, want Authentik's 1h", DefaultAccessTokenLifetime)
	}
	for _, tc := range []struct {
		name     string
		lifetime time.Duration
		clock    bool
		want     int64
	}{
		{"default, wall clock", 0, false, 3600},
		{"model default one hour, wall clock", time.Hour, false, 3600},
		{"default, test clock", 0, true, 3600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			var now func() time.Time
			if tc.clock {
				now = clock.Now
			}
			p := startProvider(t, func(o *Options) { o.AccessTokenLifetime = tc.lifetime; o.Now = now })
			r := newRP(t, p, publicID, "", loopback, now)
			check := func(what string, expiresIn any, idToken, accessToken string) {
				t.Helper()
				idt, err := r.verifier.Verify(t.Context(), idToken)
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				ic, ac := jwtClaims(t, idToken), jwtClaims(t, accessToken)
				exp, iat := ic["exp"].(float64), ic["iat"].(float64)
				if exp != ac["exp"] || int64(exp-iat) != tc.want || !idt.Expiry.Equal(time.Unix(int64(exp), 0)) {
					t.Errorf("%s: ID token iat %v exp %v, access token exp %v; want exp = the access token's, %ds after iat", what, iat, exp, ac["exp"], tc.want)
				}
				if tc.clock && int64(iat) != clock.Now().Unix() {
					t.Errorf("%s: iat %v, want the test clock's %d", what, iat, clock.Now().Unix())
				}
				if ei, _ := expiresIn.(float64); int64(ei) != tc.want {
					t.Errorf("%s: expires_in = %v, want %d", what, expiresIn, tc.want)
				}
			}
			f, code := r.login(newBrowser(t, p), alice)
			tok := r.mustExchange(code, f)
			check("code exchange", tok.Extra("expires_in"), tok.Extra("id_token").(string), tok.AccessToken)
			clock.Advance(time.Minute)
			status, body := r.refresh(tok.RefreshToken)
			if status != 200 {
				t.Fatalf("refresh = %d %v", status, body)
			}
			check("refresh", body["expires_in"], body["id_token"].(string), body["access_token"].(string))
		})
	}
}

// tokenWorks asks userinfo, the API and introspection about an access token
// (granted ScopeAuthentikAPI); they must agree.
func tokenWorks(t *testing.T, p *Provider, token string) bool {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, p.URL()+"/application/o/userinfo/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	userinfo := resp.StatusCode == http.StatusOK
	status, _ := apiGet(t, p.URL()+apiMePath, "Bearer "+token)
	api := status == http.StatusOK
	_, body := postJSON(t, p.URL()+"/application/o/introspect/", url.Values{"token": {token}}, &[2]string{confID, confSecret})
	introspection := body["active"] == true
	if userinfo != api || api != introspection {
		t.Fatalf("userinfo accepts the token: %v, the API: %v, introspection says active: %v", userinfo, api, introspection)
	}
	return userinfo
}

// TestAccessTokensDieWithSession pins Quirks.AccessTokensDieWithSession:
// end-session deletes the person's access tokens for the provider from
// that browser session, though the default flow keeps the session; a
// session that ends (EndBrowserSessions) takes every access token issued
// from it along; refresh tokens survive, and the access tokens they make
// belong to the refresh token's session while it lasts, to none after. Off:
// access tokens live until they expire or are revoked.
func TestAccessTokensDieWithSession(t *testing.T) {
	t.Parallel()
	for _, die := range []bool{true, false} {
		t.Run(fmt.Sprintf("AccessTokensDieWithSession=%v", die), func(t *testing.T) {
			t.Parallel()
			p := startProvider(t, func(o *Options) {
				o.Quirks = quirksWith(func(q *Quirks) { q.AccessTokensDieWithSession = die })
				o.Applications = []Application{{Name: "ssotray", Slug: "ssotray", Provider: publicID}}
			})
			r := newRP(t, p, publicID, "", loopback, nil, apiScopes...)
			rc := newRP(t, p, confID, confSecret, confRedirect, nil, apiScopes...)
			want := func(what, token string, alive bool) {
				t.Helper()
				state := map[bool]TokenState{true: TokenActive, false: TokenDeleted}[alive]
				if works := tokenWorks(t, p, token); works != alive || p.TokenState(token) != state {
					t.Errorf("%s: works %v, state %v; want %v, %v", what, works, p.TokenState(token), alive, state)
				}
			}
			deletedEvent := func(kind, want string) {
				t.Helper()
				ev := eventsOf(p, kind)
				if len(ev) == 0 || ev[len(ev)-1].Detail["access_tokens_deleted"] != want {
					t.Errorf("%s events = %+v, want the last with access_tokens_deleted=%s", kind, ev, want)
				}
			}
			n := func(k int) string { return fmt.Sprint(map[bool]int{true: k, false: 0}[die]) }

			b := newBrowser(t, p)
			f, code := r.login(b, alice)
			mine := r.mustExchange(code, f) // the slug's provider, from b's session
			fc := rc.start()
			other := rc.mustExchange(rc.callback(b.get(fc.authURL), fc), fc) // another provider, same session
			b2 := newBrowser(t, p)
			f2, code2 := r.login(b2, alice)
			elsewhere := r.mustExchange(code2, f2) // the slug's provider, another session

			pg := b.get(p.Issuer() + "end-session/")
			if pg.status != 200 || !strings.Contains(pg.body, "You've logged out of ssotray.") {
				t.Fatalf("end-session = %d %v\n%s", pg.status, pg.location, pg.body)
			}
			deletedEvent("end_session", n(1))
			want("the provider's token from the session", mine.AccessToken, !die)
			want("another provider's token from the session", other.AccessToken, true)
			want("the provider's token from another session", elsewhere.AccessToken, true)

			// The refresh token survives; its access token belongs to b's
			// session, which the default invalidation flow kept.
			status, body := r.refresh(mine.RefreshToken)
			if status != 200 {
				t.Fatalf("refresh after end-session = %d %v", status, body)
			}
			renewed, rt := body["access_token"].(string), body["refresh_token"].(string)
			want("the refreshed token", renewed, true)

			// The sessions end (expiry, an admin): their access tokens go.
			if got := p.EndBrowserSessions("alice"); got != 2 {
				t.Errorf("EndBrowserSessions = %d, want 2", got)
			}
			deletedEvent("browser_sessions_ended", n(3))
			want("the refreshed token, its session ended", renewed, !die)
			want("another provider's token, its session ended", other.AccessToken, !die)
			want("the token of the other session, ended", elsewhere.AccessToken, !die)
			if pg := b.get(r.start().authURL); !isLoginForm(pg) {
				t.Errorf("the ended session still signs in: %d %v", pg.status, pg.location)
			}

			// Refresh tokens outlive their session; what they make now
			// belongs to no session and outlives the next ending too.
			status, body = r.refresh(rt)
			if status != 200 {
				t.Fatalf("refresh after the session ended = %d %v", status, body)
			}
			fresh := body["access_token"].(string)
			if status, body := rc.refresh(other.RefreshToken); status != 200 {
				t.Errorf("the other provider's refresh after the session ended = %d %v", status, body)
			}
			b.submitLogin(b.get(p.URL()+loginPath), "alice", "wonderland")
			p.EndBrowserSessions("alice")
			want("a token refreshed after its session ended", fresh, true)
		})
	}
}

// TestAccessTokensDieWithLogout pins the two other ways a session ends: an
// invalidation flow with a User Logout stage, and the "Log out of
// authentik" link. With AccessTokensDieWithSession the session's access
// tokens go, for every provider; the refresh token still works.
func TestAccessTokensDieWithLogout(t *testing.T) {
	t.Parallel()
	for _, die := range []bool{true, false} {
		for _, how := range []string{"user logout stage", "log out of authentik"} {
			t.Run(fmt.Sprintf("AccessTokensDieWithSession=%v, %s", die, how), func(t *testing.T) {
				t.Parallel()
				p := startProvider(t, func(o *Options) {
					o.Quirks = quirksWith(func(q *Quirks) { q.AccessTokensDieWithSession = die })
					o.InvalidationFlow = UserLogoutInvalidation
				})
				r := newRP(t, p, publicID, "", loopback, nil, apiScopes...)
				rc := newRP(t, p, confID, confSecret, confRedirect, nil, apiScopes...)
				b := newBrowser(t, p)
				f, code := r.login(b, alice)
				tok := r.mustExchange(code, f)
				fc := rc.start()
				other := rc.mustExchange(rc.callback(b.get(fc.authURL), fc), fc)

				kind := "end_session"
				if how == "user logout stage" {
					b.get(p.Issuer() + "end-session/?" + url.Values{"id_token_hint": {tok.Extra("id_token").(string)}}.Encode())
				} else {
					kind = "authentik_logout"
					b.get(p.URL() + authentikLogoutPath)
				}
				ev := eventsOf(p, kind)
				if wantN := map[bool]string{true: "2", false: "0"}[die]; len(ev) != 1 || ev[0].Detail["session_ended"] != "true" || ev[0].Detail["access_tokens_deleted"] != wantN {
					t.Errorf("%s events = %+v, want the session ended and %s access tokens deleted", kind, ev, wantN)
				}
				for what, token := range map[string]string{"the provider's": tok.AccessToken, "another provider's": other.AccessToken} {
					if works := tokenWorks(t, p, token); works == die {
						t.Errorf("%s access token works: %v, want %v", what, works, !die)
					}
				}
				status, body := r.refresh(tok.RefreshToken)
				if status != 200 || !tokenWorks(t, p, body["access_token"].(string)) {
					t.Errorf("refresh after logout = %d %v", status, body)
				}
			})
		}
	}
}

// TestEndSessionLoginFirst pins end-session in a browser with no Authentik
// session. Current Authentik (off) checks the hint (400 when bad) and runs
// the invalidation flow: a registered logout URI or the logged-out page,
// no login. Older Authentik (on) sends the browser to the login page first,
// whatever the hint, and back to end-session afterwards, where the hint is
// checked.
func TestEndSessionLoginFirst(t *testing.T) {
	t.Parallel()
	for _, first := range []bool{false, true} {
		t.Run(fmt.Sprintf("EndSessionLoginFirst=%v", first), func(t *testing.T) {
			t.Parallel()
			p := startProvider(t, func(o *Options) {
				o.Quirks = quirksWith(func(q *Quirks) { q.EndSessionLoginFirst = first })
				o.Applications = []Application{{Name: "ssotray", Slug: "ssotray", Provider: publicID}}
			})
			r := newRP(t, p, publicID, "", loopback, nil)
			f, code := r.login(newBrowser(t, p), bob)
			valid := r.mustExchange(code, f).Extra("id_token").(string)

			for _, tc := range []struct {
				name, hint, postLogout string
				wantStatus             int
				wantRedirect           string
				wantOutcome            string
			}{
				{"no hint", "", "", 200, "", "logged_out_page"},
				{"valid hint, registered logout URI", valid, logoutRedirect, 302, logoutRedirect, "post_logout_redirect"},
				{"bad hint", valid[:len(valid)-4] + "AAAA", "", 400, "", "id_token_hint_invalid"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					b := newBrowser(t, p)
					q := url.Values{}
					if tc.hint != "" {
						q.Set("id_token_hint", tc.hint)
					}
					if tc.postLogout != "" {
						q.Set("post_logout_redirect_uri", tc.postLogout)
					}
					pg := b.get(p.Issuer() + "end-session/?" + q.Encode())
					user := ""
					if first {
						if !isLoginForm(pg) {
							t.Fatalf("end-session without a session = %d %v, want the login form\n%s", pg.status, pg.location, pg.body)
						}
						if ev := eventsOf(p, "end_session"); ev[len(ev)-1].Detail["outcome"] != "login_page" {
							t.Errorf("end_session event = %+v", ev[len(ev)-1])
						}
						pg, user = b.submitLogin(pg, "alice", "wonderland"), "alice"
					}
					switch {
					case tc.wantRedirect != "":
						if pg.location == nil || pg.location.String() != tc.wantRedirect {
							t.Fatalf("end-session = %d %v, want a redirect to %s", pg.status, pg.location, tc.wantRedirect)
						}
					case pg.status != tc.wantStatus || pg.location != nil ||
						tc.wantStatus == 200 && !strings.Contains(pg.body, "You've logged out of ssotray."):
						t.Fatalf("end-session = %d %v, want %d\n%s", pg.status, pg.location, tc.wantStatus, pg.body)
					}
					ev := eventsOf(p, "end_session")
					if last := ev[len(ev)-1]; last.Detail["outcome"] != tc.wantOutcome || last.User != user || last.Detail["session_ended"] != "false" {
						t.Errorf("end_session event = %+v, want outcome %s for %q", last, tc.wantOutcome, user)
					}
				})
			}
		})
	}
}

// TestRevokedThenSessionEnded: an access token revoked before its session
// ends stays TokenRevoked (in Authentik the revocation deleted it already)
// and is not counted among the tokens the end of the session deleted.
func TestRevokedThenSessionEnded(t *testing.T) {
	t.Parallel()
	p := startProvider(t)
	r := newRP(t, p, publicID, "", loopback, nil)
	b := newBrowser(t, p)
	f, code := r.login(b, alice)
	tok := r.mustExchange(code, f)
	if status, _ := postJSON(t, p.URL()+"/application/o/revoke/", url.Values{"token": {tok.AccessToken}, "client_id": {publicID}}, nil); status != 200 {
		t.Fatalf("revoke = %d", status)
	}
	b.get(p.Issuer() + "end-session/?" + url.Values{"id_token_hint": {tok.Extra("id_token").(string)}}.Encode())
	if st := p.TokenState(tok.AccessToken); st != TokenRevoked {
		t.Errorf("TokenState = %v, want revoked", st)
	}
	if ev := eventsOf(p, "end_session"); len(ev) != 1 || ev[0].Detail["access_tokens_deleted"] != "0" {
		t.Errorf("end_session events = %+v, want none deleted", ev)
	}
}

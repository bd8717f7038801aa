package oidctest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const bobAvatar = "data:image/png;base64,iVBORw0KGgo="

func apiApps() []Application {
	return []Application{
		{Name: "Navidrome", Slug: "navidrome", LaunchURL: "https://music.example/", Icon: IconPath("navidrome"), Description: "Music", Groups: []string{"music"}},
		{Name: "Wiki", Slug: "wiki", LaunchURL: "https://wiki.example/", Icon: "https://cdn.example/wiki.png"},
		{Name: "Admin panel", Slug: "admin", LaunchURL: "https://admin.example/", Groups: []string{"admins"}},
		{Name: "Lounge", Slug: "lounge", LaunchURL: "https://lounge.example/", Groups: []string{"listeners"}},
		{Name: "Backend", Slug: "backend"}, // no launch URL
		{Name: "Secret", Slug: "secret", LaunchURL: "https://secret.example/", Groups: []string{"nobody"}},
	}
}

func startAPIProvider(t *testing.T) *Provider {
	t.Helper()
	b := bob
	b.Avatar = bobAvatar
	return startProvider(t, func(o *Options) {
		o.Users = []User{alice, b}
		o.Applications = apiApps()
		o.GroupParents = map[string]string{"music": "listeners", "listeners": "everyone"}
	})
}

var apiScopes = []string{gooidc.ScopeOpenID, "profile", "email", gooidc.ScopeOfflineAccess, ScopeAuthentikAPI}

// apiToken signs user in through the login form and returns the tokens.
func apiToken(t *testing.T, p *Provider, user User, scopes ...string) *oauth2.Token {
	t.Helper()
	r := newRP(t, p, publicID, "", loopback, nil, scopes...)
	f, code := r.login(newBrowser(t, p), user)
	return r.mustExchange(code, f)
}

func apiGet(t *testing.T, u, authorization string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("GET %s: Content-Type %q", u, ct)
	}
	out := map[string]any{}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("GET %s: %d, not JSON: %q", u, resp.StatusCode, body)
	}
	return resp.StatusCode, out
}

type apiMe struct {
	User struct {
		PK       int    `json:"pk"`
		Username string `json:"username"`
		Name     string `json:"name"`
		Email    string `json:"email"`
		Avatar   string `json:"avatar"`
		UID      string `json:"uid"`
		Super    bool   `json:"is_superuser"`
		Active   bool   `json:"is_active"`
		Groups   []struct {
			Name string `json:"name"`
			PK   string `json:"pk"`
		} `json:"groups"`
	} `json:"user"`
}

func decodeAs[T any](t *testing.T, m map[string]any) T {
	t.Helper()
	b, _ := json.Marshal(m)
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

type apiAppList struct {
	Pagination struct {
		Next, Previous, Count, Current int
		TotalPages                     int `json:"total_pages"`
	} `json:"pagination"`
	Results []struct {
		Name            string  `json:"name"`
		Slug            string  `json:"slug"`
		LaunchURL       *string `json:"launch_url"`
		MetaLaunchURL   string  `json:"meta_launch_url"`
		MetaIcon        *string `json:"meta_icon"`
		MetaDescription string  `json:"meta_description"`
	} `json:"results"`
}

func (l apiAppList) slugs() []string {
	var out []string
	for _, r := range l.Results {
		out = append(out, r.Slug)
	}
	return out
}

func TestAPIWithScope(t *testing.T) {
	t.Parallel()
	p := startAPIProvider(t)
	me := p.URL() + "/api/v3/core/users/me/"
	apps := p.URL() + "/api/v3/core/applications/"

	tok := apiToken(t, p, alice, apiScopes...)
	bearer := "Bearer " + tok.AccessToken

	t.Run("me", func(t *testing.T) {
		status, body := apiGet(t, me, bearer)
		if status != http.StatusOK {
			t.Fatalf("users/me = %d %v", status, body)
		}
		m := decodeAs[apiMe](t, body)
		u := m.User
		if u.PK != 1 || u.Username != "alice" || u.Name != alice.Name || u.Email != alice.Email || !u.Active || u.Super {
			t.Errorf("user = %+v", u)
		}
		if u.UID != subjectOf("alice") {
			t.Errorf("uid = %q, want the hashed subject", u.UID)
		}
		if u.Avatar != DefaultAvatarPath {
			t.Errorf("avatar = %q, want Authentik's default %q", u.Avatar, DefaultAvatarPath)
		}
		var names []string
		for _, g := range u.Groups {
			names = append(names, g.Name)
			if len(g.PK) != 36 {
				t.Errorf("group %s pk = %q, want a UUID", g.Name, g.PK)
			}
		}
		// Direct groups plus every ancestor, sorted by name, as all_groups().
		if want := []string{"admins", "everyone", "listeners", "music"}; !slices.Equal(names, want) {
			t.Errorf("groups = %v, want %v", names, want)
		}
	})

	t.Run("applications", func(t *testing.T) {
		status, body := apiGet(t, apps+"?only_with_launch_url=true", bearer)
		if status != http.StatusOK {
			t.Fatalf("applications = %d %v", status, body)
		}
		l := decodeAs[apiAppList](t, body)
		// Sorted by name; Secret is bound to a group alice lacks, Lounge
		// comes through an inherited group, Backend has no launch URL.
		if want := []string{"admin", "lounge", "navidrome", "wiki"}; !slices.Equal(l.slugs(), want) {
			t.Errorf("slugs = %v, want %v", l.slugs(), want)
		}
		for _, r := range l.Results {
			if r.LaunchURL == nil || *r.LaunchURL != r.MetaLaunchURL || r.MetaLaunchURL == "" {
				t.Errorf("%s: launch_url %v, meta_launch_url %q", r.Slug, r.LaunchURL, r.MetaLaunchURL)
			}
			switch r.Slug {
			case "navidrome":
				if r.MetaIcon == nil || *r.MetaIcon != "/media/application-icons/navidrome.png" || r.MetaDescription != "Music" || r.Name != "Navidrome" {
					t.Errorf("navidrome = %+v", r)
				}
			case "wiki":
				if r.MetaIcon == nil || *r.MetaIcon != "https://cdn.example/wiki.png" {
					t.Errorf("wiki icon = %v", r.MetaIcon)
				}
			case "admin":
				if r.MetaIcon != nil {
					t.Errorf("admin icon = %q, want null", *r.MetaIcon)
				}
			}
		}
		if l.Pagination.Next != 0 || l.Pagination.Previous != 0 || l.Pagination.Current != 1 || l.Pagination.TotalPages != 1 || l.Pagination.Count != len(apiApps()) {
			t.Errorf("pagination = %+v", l.Pagination)
		}

		_, body = apiGet(t, apps, bearer)
		if got, want := decodeAs[apiAppList](t, body).slugs(), []string{"admin", "backend", "lounge", "navidrome", "wiki"}; !slices.Equal(got, want) {
			t.Errorf("without only_with_launch_url: %v, want %v", got, want)
		}
	})

	t.Run("pages", func(t *testing.T) {
		// Authentik cuts the page first and filters it afterwards.
		var all []string
		for page, wantNext := range []int{2, 3, 0} {
			_, body := apiGet(t, fmt.Sprintf("%s?only_with_launch_url=true&page_size=2&page=%d", apps, page+1), bearer)
			l := decodeAs[apiAppList](t, body)
			if l.Pagination.Next != wantNext || l.Pagination.Current != page+1 || l.Pagination.TotalPages != 3 {
				t.Errorf("page %d: pagination %+v", page+1, l.Pagination)
			}
			all = append(all, l.slugs()...)
		}
		if want := []string{"admin", "lounge", "navidrome", "wiki"}; !slices.Equal(all, want) {
			t.Errorf("all pages = %v", all)
		}
		for _, bad := range []string{"4", "0", "x"} {
			if status, body := apiGet(t, apps+"?page_size=2&page="+bad, bearer); status != http.StatusNotFound || body["detail"] != "Invalid page." {
				t.Errorf("page %s = %d %v", bad, status, body)
			}
		}
	})

	t.Run("other user", func(t *testing.T) {
		btok := apiToken(t, p, bob, apiScopes...)
		_, body := apiGet(t, me, "Bearer "+btok.AccessToken)
		m := decodeAs[apiMe](t, body)
		if m.User.Username != "bob" || m.User.PK != 2 || m.User.Avatar != bobAvatar || len(m.User.Groups) != 0 {
			t.Errorf("bob = %+v", m.User)
		}
		_, body = apiGet(t, apps+"?only_with_launch_url=true", "Bearer "+btok.AccessToken)
		if got := decodeAs[apiAppList](t, body).slugs(); !slices.Equal(got, []string{"wiki"}) {
			t.Errorf("bob's applications = %v, want [wiki]", got)
		}
	})

	t.Run("refreshed token keeps the scope", func(t *testing.T) {
		status, body := newRP(t, p, publicID, "", loopback, nil).refresh(tok.RefreshToken)
		if status != http.StatusOK {
			t.Fatalf("refresh = %d %v", status, body)
		}
		at, _ := body["access_token"].(string)
		if status, body := apiGet(t, me, "Bearer "+at); status != http.StatusOK {
			t.Errorf("users/me with the refreshed token = %d %v", status, body)
		}
	})

	ev := eventsOf(p, "api_me")
	if len(ev) == 0 || ev[0].Detail["status"] != "200" || ev[0].User != "alice" || ev[0].Detail["client_id"] != publicID {
		t.Errorf("api_me events = %+v", ev)
	}
	ev = eventsOf(p, "api_applications")
	if len(ev) == 0 || ev[0].Detail["status"] != "200" || ev[0].User != "alice" || ev[0].Detail["count"] != "4" {
		t.Errorf("api_applications events = %+v", ev)
	}
	if ae := eventsOf(p, "authorize"); !strings.Contains(ae[0].Detail["scope"], ScopeAuthentikAPI) {
		t.Errorf("authorize scope = %q", ae[0].Detail["scope"])
	}
	assertNoSecretsInEvents(t, p, tok.AccessToken, tok.RefreshToken, "wonderland")
}

func TestAPIScopeIsGrantedAndAdvertised(t *testing.T) {
	t.Parallel()
	p := startAPIProvider(t)
	tok := apiToken(t, p, alice, apiScopes...)
	if s, _ := tok.Extra("scope").(string); s != "" && !strings.Contains(s, ScopeAuthentikAPI) {
		t.Errorf("token response scope = %q", s)
	}
	// Introspection reports the scopes recorded on the token.
	status, body := postJSON(t, p.URL()+"/application/o/introspect/", url.Values{"token": {tok.AccessToken}}, &[2]string{confID, confSecret})
	if status != http.StatusOK || !strings.Contains(fmt.Sprint(body["scope"]), ScopeAuthentikAPI) {
		t.Errorf("introspect = %d %v", status, body)
	}
	resp, err := http.Get(p.DiscoveryURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Scopes []string `json:"scopes_supported"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&doc)
	if !slices.Contains(doc.Scopes, ScopeAuthentikAPI) {
		t.Errorf("scopes_supported = %v", doc.Scopes)
	}
}

// Authentik refuses API access with 403 and a "detail" in every case: its
// token authentication sends no challenge, so Django REST framework never
// answers 401.
func TestAPIRefusals(t *testing.T) {
	t.Parallel()
	p := startAPIProvider(t)
	me := p.URL() + "/api/v3/core/users/me/"
	apps := p.URL() + "/api/v3/core/applications/?only_with_launch_url=true"

	check := func(t *testing.T, u, authorization, detail, reason string) {
		t.Helper()
		before := len(p.Events())
		status, body := apiGet(t, u, authorization)
		if status != http.StatusForbidden || body["detail"] != detail {
			t.Errorf("GET %s = %d %v, want 403 %q", u, status, body, detail)
		}
		ev := p.Events()[before:]
		if len(ev) != 1 || ev[0].Detail["status"] != "403" || ev[0].Detail["reason"] != reason {
			t.Errorf("events = %+v, want one with reason %s", ev, reason)
		}
	}

	t.Run("without the scope", func(t *testing.T) {
		tok := apiToken(t, p, alice) // openid profile email offline_access
		if status, _ := apiGet(t, me, "Bearer "+tok.AccessToken); status != http.StatusForbidden {
			t.Fatalf("users/me = %d", status)
		}
		check(t, me, "Bearer "+tok.AccessToken, "Token invalid/expired", "no_api_scope")
		check(t, apps, "Bearer "+tok.AccessToken, "Token invalid/expired", "no_api_scope")
		// The same token is fine for userinfo.
		r := newRP(t, p, publicID, "", loopback, nil)
		if _, err := r.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok)); err != nil {
			t.Errorf("userinfo: %v", err)
		}
	})

	t.Run("revoked token", func(t *testing.T) {
		tok := apiToken(t, p, alice, apiScopes...)
		if status, _ := apiGet(t, me, "Bearer "+tok.AccessToken); status != http.StatusOK {
			t.Fatalf("users/me before revoking = %d", status)
		}
		status, _ := postJSON(t, p.URL()+"/application/o/revoke/", url.Values{"token": {tok.AccessToken}, "client_id": {publicID}}, nil)
		if status != http.StatusOK || p.TokenState(tok.AccessToken) != TokenRevoked {
			t.Fatalf("revoke = %d, state %v", status, p.TokenState(tok.AccessToken))
		}
		check(t, me, "Bearer "+tok.AccessToken, "Token invalid/expired", "token_revoked")
		check(t, apps, "Bearer "+tok.AccessToken, "Token invalid/expired", "token_revoked")
	})

	t.Run("expired token", func(t *testing.T) {
		clock := newFakeClock()
		pe := startProvider(t, func(o *Options) { o.Now = clock.Now; o.Applications = apiApps() })
		tok := apiToken(t, pe, alice, apiScopes...)
		clock.Advance(61 * time.Minute) // access tokens live one hour
		status, body := apiGet(t, pe.URL()+"/api/v3/core/users/me/", "Bearer "+tok.AccessToken)
		if status != http.StatusForbidden || body["detail"] != "Token invalid/expired" {
			t.Errorf("users/me with an expired token = %d %v", status, body)
		}
		if ev := eventsOf(pe, "api_me"); len(ev) != 1 || ev[0].Detail["token_state"] != "expired" {
			t.Errorf("events = %+v", ev)
		}
	})

	t.Run("no or bad credentials", func(t *testing.T) {
		check(t, me, "", "Authentication credentials were not provided.", "no_credentials")
		check(t, me, "Basic YWxpY2U6d29uZGVybGFuZA==", "Unsupported authentication type", "unsupported_type")
		check(t, me, "Bearer never-issued", "Token invalid/expired", "token_unknown")
	})
}

func TestAPIImages(t *testing.T) {
	t.Parallel()
	p := startAPIProvider(t)
	get := func(path string) (int, string, []byte) {
		resp, err := http.Get(p.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b
	}
	for _, path := range []string{IconPath("navidrome"), IconPath("backend"), DefaultAvatarPath} {
		status, ct, b := get(path)
		if status != http.StatusOK || ct != "image/png" {
			t.Errorf("GET %s = %d %s", path, status, ct)
			continue
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dx() < 16 || len(b) > 4096 {
			t.Errorf("GET %s: %d bytes, %v", path, len(b), err)
		}
	}
	_, _, a := get(IconPath("navidrome"))
	_, _, w := get(IconPath("wiki"))
	if bytes.Equal(a, w) {
		t.Error("two applications got the same icon")
	}
	for _, path := range []string{IconPath("unknown"), "/media/application-icons/navidrome.svg"} {
		if status, _, _ := get(path); status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, status)
		}
	}
}

func TestStartValidatesApplications(t *testing.T) {
	t.Parallel()
	for name, apps := range map[string][]Application{
		"bad slug":  {{Name: "A", Slug: "a b"}},
		"no name":   {{Slug: "a"}},
		"duplicate": {{Name: "A", Slug: "a"}, {Name: "B", Slug: "a"}},
	} {
		if p, err := Start(Options{Applications: apps}); err == nil {
			p.Close()
			t.Errorf("%s: Start accepted %+v", name, apps)
		}
	}
	if p, err := Start(Options{GroupParents: map[string]string{"a": ""}}); err == nil {
		p.Close()
		t.Error("Start accepted an empty parent group")
	}
	// A cycle in GroupParents must not hang users/me.
	p := startProvider(t, func(o *Options) { o.GroupParents = map[string]string{"music": "admins", "admins": "music"} })
	tok := apiToken(t, p, alice, apiScopes...)
	_, body := apiGet(t, p.URL()+"/api/v3/core/users/me/", "Bearer "+tok.AccessToken)
	if n := len(decodeAs[apiMe](t, body).User.Groups); n != 2 {
		t.Errorf("groups with a cycle: %d", n)
	}
}

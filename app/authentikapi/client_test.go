package authentikapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ssotray/ssotray/app/authentikapi"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

const (
	clientID = "ssotray"
	redirect = "http://127.0.0.1:1/callback" // never contacted: the browser stops there
)

var (
	alice = oidctest.User{Username: "alice", Password: "alice-pw", Name: "Alice Example", Email: "alice@example.com", Groups: []string{"music"}}
	bob   = oidctest.User{Username: "bob", Password: "bob-pw", Name: "Bob", Email: "bob@example.com", Avatar: "data:image/png;base64,iVBORw0KGgo="}

	apiScopes = []string{"openid", "profile", "email", config.APIScope}
)

func apps() []oidctest.Application {
	return []oidctest.Application{
		{Name: "Navidrome", Slug: "navidrome", LaunchURL: "https://music.example/", Icon: oidctest.IconPath("navidrome"), Description: "Music", Groups: []string{"music"}},
		{Name: "Wiki", Slug: "wiki", LaunchURL: "https://wiki.example/", Icon: "https://cdn.example/wiki.png"},
		{Name: "Chat", Slug: "chat", LaunchURL: "https://chat.example/", Icon: "fa://fa-comments", Groups: []string{"listeners"}},
		{Name: "Admin", Slug: "admin", LaunchURL: "https://admin.example/", Groups: []string{"admins"}},
		{Name: "Backend", Slug: "backend"},
	}
}

func start(t *testing.T, edit ...func(*oidctest.Options)) *oidctest.Provider {
	t.Helper()
	opts := oidctest.Options{
		Users:        []oidctest.User{alice, bob},
		Clients:      []oidctest.Client{{ID: clientID, RedirectURIs: []string{redirect}}},
		Applications: apps(),
		GroupParents: map[string]string{"music": "listeners"},
	}
	for _, e := range edit {
		e(&opts)
	}
	p, err := oidctest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

var formAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)

// signIn runs the authorization code flow with PKCE as a person at a
// browser would: the login form, then the redirect to the callback.
func signIn(t *testing.T, p *oidctest.Provider, user oidctest.User, scopes ...string) *oauth2.Token {
	t.Helper()
	conf := oauth2.Config{
		ClientID: clientID, RedirectURL: redirect, Scopes: scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   p.URL() + "/application/o/authorize/",
			TokenURL:  p.URL() + "/application/o/token/",
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
	verifier := oauth2.GenerateVerifier()
	state := oauth2.GenerateVerifier()[:16]
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), p.URL()+"/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := browser.Get(conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formAction.FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("no login form: %d %s", resp.StatusCode, body)
	}
	action, _ := resp.Request.URL.Parse(html.UnescapeString(m[1]))
	resp, err = browser.PostForm(action.String(), url.Values{"username": {user.Username}, "password": {user.Password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), redirect) || loc.Query().Get("state") != state {
		t.Fatalf("no callback: %d %v %v", resp.StatusCode, loc, err)
	}
	tok, err := conf.Exchange(t.Context(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func noToken(t *testing.T, err error, token string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), token) {
		t.Errorf("the error shows the token: %v", err)
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	p := start(t)
	c := authentikapi.New(p.URL()+"/", nil)

	tok := signIn(t, p, alice, apiScopes...)
	u, err := c.Me(t.Context(), tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	want := authentikapi.User{Username: "alice", Name: "Alice Example", Email: "alice@example.com",
		Avatar: p.URL() + oidctest.DefaultAvatarPath, Groups: []string{"listeners", "music"}}
	if fmt.Sprint(*u) != fmt.Sprint(want) {
		t.Errorf("Me = %+v\nwant %+v", *u, want)
	}
	// The default avatar is served and is a picture.
	b, err := c.Fetch(t.Context(), u.Avatar, tok.AccessToken, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Errorf("avatar: %v", err)
	}

	btok := signIn(t, p, bob, apiScopes...)
	bu, err := c.Me(t.Context(), btok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if bu.Avatar != bob.Avatar || len(bu.Groups) != 0 {
		t.Errorf("bob = %+v", bu)
	}
	b, err = c.Fetch(t.Context(), bu.Avatar, btok.AccessToken, 0)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("data: avatar = %q, %v", b, err)
	}
}

func TestApplications(t *testing.T) {
	t.Parallel()
	p := start(t)
	c := authentikapi.New(p.URL(), nil)
	tok := signIn(t, p, alice, apiScopes...)
	got, err := c.Applications(t.Context(), tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	want := []authentikapi.Application{
		// fa:// icons cannot be fetched: no icon.
		{Name: "Chat", Slug: "chat", LaunchURL: "https://chat.example/"},
		// An uploaded icon comes as a path on the server.
		{Name: "Navidrome", Slug: "navidrome", LaunchURL: "https://music.example/", IconURL: p.URL() + "/media/application-icons/navidrome.png", Description: "Music"},
		{Name: "Wiki", Slug: "wiki", LaunchURL: "https://wiki.example/", IconURL: "https://cdn.example/wiki.png"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Applications =\n%+v\nwant\n%+v", got, want)
	}
	b, err := c.Fetch(t.Context(), got[1].IconURL, tok.AccessToken, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Errorf("icon: %v", err)
	}
	if ev := p.Events(); !slices.ContainsFunc(ev, func(e oidctest.Event) bool {
		return e.Kind == "api_applications" && e.Detail["status"] == "200" && e.User == "alice"
	}) {
		t.Errorf("no api_applications event: %+v", ev)
	}
}

func TestApplicationsFollowsPages(t *testing.T) {
	t.Parallel()
	// 250 applications, every third one for a group alice is not in:
	// Authentik cuts its pages before it filters, so no page is full.
	var many []oidctest.Application
	visible := 0
	for i := range 250 {
		a := oidctest.Application{Name: fmt.Sprintf("App %03d", i), Slug: fmt.Sprintf("app-%03d", i), LaunchURL: fmt.Sprintf("https://app%d.example/", i)}
		if i%3 == 0 {
			a.Groups = []string{"finance"}
		} else {
			visible++
		}
		many = append(many, a)
	}
	p := start(t, func(o *oidctest.Options) { o.Applications = many })
	tok := signIn(t, p, alice, apiScopes...)
	got, err := authentikapi.New(p.URL(), nil).Applications(t.Context(), tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != visible || got[0].Slug != "app-001" || got[len(got)-1].Slug != "app-248" {
		t.Errorf("got %d applications, want %d", len(got), visible)
	}
	var pages, counts []string
	for _, e := range p.Events() {
		if e.Kind == "api_applications" {
			pages = append(pages, e.Detail["page"])
			counts = append(counts, e.Detail["count"])
		}
	}
	// 100 a page (Authentik's most; its default is 20), each cut short.
	if !slices.Equal(pages, []string{"1", "2", "3"}) || !slices.Equal(counts, []string{"66", "67", "33"}) {
		t.Errorf("pages requested: %v with %v results", pages, counts)
	}
}

// recorder is a web server that is not Authentik: it remembers the
// Authorization header of every request.
type recorder struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
	paths []string
}

func newRecorder(t *testing.T, h http.HandlerFunc) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.auths = append(rec.auths, r.Header.Get("Authorization"))
		rec.paths = append(rec.paths, r.URL.RequestURI())
		rec.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) seen() ([]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.auths), slices.Clone(r.paths)
}

func TestApplicationsPageBound(t *testing.T) {
	t.Parallel()
	// A server that always claims there is one more page.
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		page := r.URL.Query().Get("page")
		if page == "" {
			page = "1"
		}
		var n int
		fmt.Sscan(page, &n)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"pagination":{"next":%d,"current":%d,"count":99999},"results":[{"name":"A%d","slug":"a%d","launch_url":"https://a.example/"}]}`, n+1, n, n, n)
	})
	got, err := authentikapi.New(srv.URL, nil).Applications(t.Context(), "tok")
	if err != nil {
		t.Fatal(err)
	}
	_, paths := srv.seen()
	if len(got) != 20 || len(paths) != 20 {
		t.Errorf("%d applications in %d requests, want 20 and 20", len(got), len(paths))
	}
	if !strings.Contains(paths[1], "page=2") || !strings.Contains(paths[1], "only_with_launch_url=true") {
		t.Errorf("second request %s", paths[1])
	}

	// A "next" URL off the server is not followed: the bearer would go along.
	other := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {})
	srv2 := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"pagination":{"next":%q},"results":[]}`, other.URL+"/api/v3/core/applications/?page=2")
	})
	if _, err := authentikapi.New(srv2.URL, nil).Applications(t.Context(), "tok"); err != nil {
		t.Fatal(err)
	}
	if auths, _ := other.seen(); len(auths) != 0 {
		t.Errorf("followed a next URL to another server: %v", auths)
	}
}

func TestWithoutAPIScope(t *testing.T) {
	t.Parallel()
	p := start(t)
	c := authentikapi.New(p.URL(), nil)
	tok := signIn(t, p, alice, "openid", "profile", "email")

	_, err := c.Me(t.Context(), tok.AccessToken)
	if !errors.Is(err, authentikapi.ErrNoAPIScope) {
		t.Fatalf("Me = %v, want ErrNoAPIScope", err)
	}
	var ae *authentikapi.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusForbidden || ae.Detail != "Token invalid/expired" || ae.URL != p.URL()+"/api/v3/core/users/me/" {
		t.Errorf("error = %#v", ae)
	}
	msg := err.Error()
	for _, want := range []string{p.URL() + "/api/v3/core/users/me/", "403", "goauthentik.io/api", "authentik.scopes", "scope mapping"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	noToken(t, err, tok.AccessToken)

	_, err = c.Applications(t.Context(), tok.AccessToken)
	if !errors.Is(err, authentikapi.ErrNoAPIScope) || !strings.Contains(err.Error(), "/api/v3/core/applications/?only_with_launch_url=true") {
		t.Errorf("Applications = %v", err)
	}
	noToken(t, err, tok.AccessToken)
}

func TestRevokedToken(t *testing.T) {
	t.Parallel()
	p := start(t)
	c := authentikapi.New(p.URL(), nil)
	tok := signIn(t, p, alice, apiScopes...)
	resp, err := http.PostForm(p.URL()+"/application/o/revoke/", url.Values{"token": {tok.AccessToken}, "client_id": {clientID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Authentik cannot be told apart here: the same 403 as a missing scope.
	_, err = c.Me(t.Context(), tok.AccessToken)
	if !errors.Is(err, authentikapi.ErrNoAPIScope) || !strings.Contains(err.Error(), "sign in again") {
		t.Errorf("Me with a revoked token = %v", err)
	}
	noToken(t, err, tok.AccessToken)
}

func TestServerDown(t *testing.T) {
	t.Parallel()
	p := start(t)
	tok := signIn(t, p, alice, apiScopes...)
	base := p.URL()
	_ = p.Close()
	c := authentikapi.New(base, nil)
	_, err := c.Me(t.Context(), tok.AccessToken)
	var ae *authentikapi.Error
	if !errors.As(err, &ae) || ae.Status != 0 || errors.Is(err, authentikapi.ErrNoAPIScope) {
		t.Fatalf("Me = %#v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, base+"/api/v3/core/users/me/") || !strings.Contains(msg, "cannot reach") || !strings.Contains(msg, "authentik.server_url") {
		t.Errorf("message: %s", msg)
	}
	noToken(t, err, tok.AccessToken)
	_, err = c.Applications(t.Context(), tok.AccessToken)
	if err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("Applications = %v", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Me(ctx, tok.AccessToken); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Me = %v", err)
	}
}

func TestNotJSON(t *testing.T) {
	t.Parallel()
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!DOCTYPE html><html><body><h1>Sign in to the proxy</h1></body></html>")
	})
	c := authentikapi.New(srv.URL, nil)
	for name, call := range map[string]func() error{
		"Me":           func() error { _, err := c.Me(t.Context(), "secret-token"); return err },
		"Applications": func() error { _, err := c.Applications(t.Context(), "secret-token"); return err },
	} {
		err := call()
		if !errors.Is(err, authentikapi.ErrNotAuthentik) {
			t.Errorf("%s = %v, want ErrNotAuthentik", name, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, srv.URL+"/api/v3/core/") || !strings.Contains(msg, "text/html") || !strings.Contains(msg, "authentik.server_url") {
			t.Errorf("%s message: %s", name, msg)
		}
	}
	// JSON of another shape is not Authentik either.
	srv2 := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
	if _, err := authentikapi.New(srv2.URL, nil).Me(t.Context(), "x"); !errors.Is(err, authentikapi.ErrNotAuthentik) {
		t.Errorf("Me on other JSON = %v", err)
	}
	if _, err := authentikapi.New(srv2.URL, nil).Applications(t.Context(), "x"); !errors.Is(err, authentikapi.ErrNotAuthentik) {
		t.Errorf("Applications on other JSON = %v", err)
	}
}

func TestStatusErrors(t *testing.T) {
	t.Parallel()
	status := map[string]int{"/401/": 401, "/502/": 502, "/404/": 404}
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		for prefix, code := range status {
			if strings.HasPrefix(r.URL.Path, prefix) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(code)
				fmt.Fprintf(w, `{"detail":"echo %s"}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
				return
			}
		}
	})
	for prefix, code := range status {
		_, err := authentikapi.New(srv.URL+prefix, nil).Me(t.Context(), "secret-token")
		var ae *authentikapi.Error
		if !errors.As(err, &ae) || ae.Status != code {
			t.Errorf("%s: %v", prefix, err)
			continue
		}
		noToken(t, err, "secret-token")
		if code == 401 && !errors.Is(err, authentikapi.ErrUnauthorized) {
			t.Errorf("401 = %v, want ErrUnauthorized", err)
		}
	}
	if _, err := authentikapi.New(srv.URL, nil).Me(t.Context(), ""); err == nil || !strings.Contains(err.Error(), "sign in") {
		t.Errorf("Me without a token = %v", err)
	}
	for _, bad := range []string{"", "auth.example.org", "ftp://auth.example.org", "http://"} {
		c := authentikapi.New(bad, nil)
		if _, err := c.Me(t.Context(), "x"); !errors.Is(err, authentikapi.ErrBadServerURL) {
			t.Errorf("New(%q).Me = %v, want ErrBadServerURL", bad, err)
		}
		if _, err := c.Applications(t.Context(), "x"); !errors.Is(err, authentikapi.ErrBadServerURL) {
			t.Errorf("New(%q).Applications = %v, want ErrBadServerURL", bad, err)
		}
		if _, err := c.Fetch(t.Context(), "/media/a.png", "x", 0); !errors.Is(err, authentikapi.ErrBadServerURL) {
			t.Errorf("New(%q).Fetch(relative) = %v, want ErrBadServerURL", bad, err)
		}
	}
}

func TestFetch(t *testing.T) {
	t.Parallel()
	img := bytes.Repeat([]byte{0x42}, 1000)
	other := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(img)
	})
	server := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/media/away.png":
			http.Redirect(w, r, other.URL+"/elsewhere.png", http.StatusFound)
		case "/page.html":
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html></html>")
		case "/chunked.png": // no Content-Length: the limit applies while reading
			w.Header().Set("Content-Type", "image/png")
			for range 10 {
				w.Write(img)
				w.(http.Flusher).Flush()
			}
		default:
			w.Header().Set("Content-Type", "image/png")
			w.Write(img)
		}
	})
	forbidden := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })
	c := authentikapi.New(server.URL, nil)
	ctx := t.Context()

	t.Run("own server gets the bearer", func(t *testing.T) {
		b, err := c.Fetch(ctx, "/media/a.png", "tok-1", 0) // relative: taken against the server
		if err != nil || !bytes.Equal(b, img) {
			t.Fatalf("Fetch = %d bytes, %v", len(b), err)
		}
		auths, paths := server.seen()
		if auths[len(auths)-1] != "Bearer tok-1" || paths[len(paths)-1] != "/media/a.png" {
			t.Errorf("server saw %q %q", auths, paths)
		}
	})

	t.Run("another host does not", func(t *testing.T) {
		// Same 127.0.0.1, another port: another origin.
		b, err := c.Fetch(ctx, other.URL+"/icon.png", "tok-2", 0)
		if err != nil || !bytes.Equal(b, img) {
			t.Fatalf("Fetch = %d bytes, %v", len(b), err)
		}
		// A redirect from the server to elsewhere drops it too.
		if _, err := c.Fetch(ctx, server.URL+"/media/away.png", "tok-3", 0); err != nil {
			t.Fatal(err)
		}
		auths, paths := other.seen()
		if !slices.Equal(paths, []string{"/icon.png", "/elsewhere.png"}) {
			t.Fatalf("other saw %v", paths)
		}
		for _, a := range auths {
			if a != "" {
				t.Errorf("another host received Authorization %q", a)
			}
		}
		sauths, _ := server.seen()
		if sauths[len(sauths)-1] != "Bearer tok-3" {
			t.Errorf("server saw %q", sauths)
		}
	})

	t.Run("size limit", func(t *testing.T) {
		for _, path := range []string{"/big.png", "/chunked.png"} {
			_, err := c.Fetch(ctx, server.URL+path, "tok-4", 500)
			if !errors.Is(err, authentikapi.ErrTooLarge) || !strings.Contains(err.Error(), server.URL+path) {
				t.Errorf("%s: %v, want ErrTooLarge naming the URL", path, err)
			}
			noToken(t, err, "tok-4")
		}
		if b, err := c.Fetch(ctx, server.URL+"/exact.png", "", 1000); err != nil || len(b) != 1000 {
			t.Errorf("exactly at the limit: %d, %v", len(b), err)
		}
		if _, err := c.Fetch(ctx, "data:image/png;base64,"+strings.Repeat("QUJD", 400), "", 100); !errors.Is(err, authentikapi.ErrTooLarge) {
			t.Errorf("big data: URL = %v", err)
		}
	})

	t.Run("refused schemes", func(t *testing.T) {
		for _, u := range []string{"file:///etc/passwd", "fa://fa-music", "ftp://example.org/a.png", "javascript:alert(1)"} {
			_, err := c.Fetch(ctx, u, "tok-5", 0)
			if !errors.Is(err, authentikapi.ErrUnsupportedURL) {
				t.Errorf("Fetch(%s) = %v, want ErrUnsupportedURL", u, err)
			}
		}
	})

	t.Run("not an image", func(t *testing.T) {
		_, err := c.Fetch(ctx, server.URL+"/page.html", "tok-6", 0)
		if err == nil || !strings.Contains(err.Error(), "text/html") || !strings.HasPrefix(err.Error(), "fetching the image "+server.URL+"/page.html") {
			t.Errorf("Fetch of a page = %v", err)
		}
		// A refusal from an image host says nothing about the API scope.
		_, err = c.Fetch(ctx, forbidden.URL+"/a.png", "tok-6", 0)
		var ae *authentikapi.Error
		if !errors.As(err, &ae) || ae.Op != authentikapi.OpImage || ae.Status != http.StatusForbidden || errors.Is(err, authentikapi.ErrNoAPIScope) {
			t.Errorf("Fetch answered 403 = %v", err)
		}
	})

	t.Run("data URLs", func(t *testing.T) {
		b, err := c.Fetch(ctx, "data:image/svg+xml;charset=utf-8,%3Csvg%2F%3E", "", 0)
		if err != nil || string(b) != "<svg/>" {
			t.Errorf("data: = %q, %v", b, err)
		}
	})
}

package navidrome_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/navidrome"
	"github.com/ssotray/ssotray/app/navidrome/navidrometest"
)

const (
	alicePW = `Alice "Pw" <7f3a9c> & \ ü!`
	bobPW   = "bob-pw-b0b"
)

var testUsers = []navidrometest.User{
	{Username: "alice", Password: alicePW, Name: "Alice Liddell", IsAdmin: true},
	{Username: "bob", Password: bobPW, Name: "Bob"},
}

func startServer(t *testing.T, opts navidrometest.Options) *navidrometest.Server {
	t.Helper()
	if opts.Users == nil {
		opts.Users = testUsers
	}
	s, err := navidrometest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newClient(t *testing.T, url string) *navidrome.Client {
	t.Helper()
	c, err := navidrome.New(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// staticServer answers every request with the same status, content type and body.
func staticServer(t *testing.T, status int, contentType, body string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func jsonError(msg string) string {
	b, err := json.Marshal(map[string]string{"error": msg})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// newTLSServer is httptest.NewTLSServer with its handshake-failure logging
// silenced: the failures are what the tests provoke.
func newTLSServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts
}

func TestNew(t *testing.T) {
	tests := []struct {
		in      string
		want    string // normalised URL; "" when an error is expected
		wantErr []string
	}{
		{in: "https://music.example.com", want: "https://music.example.com"},
		{in: "https://music.example.com/", want: "https://music.example.com"},
		{in: "  http://127.0.0.1:4533//  ", want: "http://127.0.0.1:4533"},
		{in: "HTTPS://music.example.com/navidrome/", want: "https://music.example.com/navidrome"},
		{in: "https://music.example.com/my%20music/", want: "https://music.example.com/my%20music"},
		{in: "music.example.com", wantErr: []string{"navidrome.server_url", "no scheme", "https://music.example.com"}},
		{in: "music.example.com:4533/navidrome", wantErr: []string{"no scheme", "https://music.example.com:4533/navidrome"}},
		{in: "", wantErr: []string{"navidrome.server_url is empty", "https://music.example.com"}},
		{in: "ftp://music.example.com", wantErr: []string{"ftp://", "only http:// and https://"}},
		{in: "https://", wantErr: []string{"no host name"}},
		{in: "https:///navidrome", wantErr: []string{"no host name"}},
		{in: "https://music.example.com/?x=1", wantErr: []string{"query"}},
		{in: "https://music.example.com/#top", wantErr: []string{"fragment"}},
		{in: "https://bob:hunter2@music.example.com", wantErr: []string{"must not contain a username or password"}},
		{in: "bob:hunter2@music.example.com", wantErr: []string{"must not contain a username or password"}},
		{in: "https://music.example.com/\x7f", wantErr: []string{"not a valid URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := navidrome.New(tt.in, nil)
			if tt.want != "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.URL() != tt.want {
					t.Errorf("URL() = %q, want %q", c.URL(), tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("New(%q) = %q, want an error", tt.in, c.URL())
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q repeats the password in the URL", err)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	s := startServer(t, navidrometest.Options{})
	c := newClient(t, s.URL())
	before := time.Now()
	sess, err := c.Login(context.Background(), "alice", alicePW)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Username != "alice" || sess.Name != "Alice Liddell" || !sess.IsAdmin || sess.ID == "" {
		t.Errorf("session %#v", sess)
	}
	if sess.JWT == "" || sess.SubsonicSalt == "" || sess.SubsonicToken == "" {
		t.Error("session lacks the JWT or the Subsonic pair")
	}
	want := before.Add(48 * time.Hour)
	if d := sess.JWTExpiry.Sub(want); d < -2*time.Second || d > 5*time.Second {
		t.Errorf("JWTExpiry %v, want about %v", sess.JWTExpiry, want)
	}

	wantLog := []navidrometest.Request{
		{Method: "POST", Path: "/auth/login", Status: 200},
		{Method: "GET", Path: "/rest/ping.view", Status: 200},
	}
	if got := s.Requests(); !slices.Equal(got, wantLog) {
		t.Errorf("server saw %v, want %v", got, wantLog)
	}

	bob, err := c.Login(context.Background(), "bob", bobPW)
	if err != nil {
		t.Fatal(err)
	}
	if bob.IsAdmin || bob.Username != "bob" {
		t.Errorf("bob: %#v", bob)
	}
}

func TestLoginSubPath(t *testing.T) {
	s := startServer(t, navidrometest.Options{BasePath: "/navidrome"})
	root := strings.TrimSuffix(s.URL(), "/navidrome")

	for _, u := range []string{s.URL(), s.URL() + "/"} {
		t.Run(u, func(t *testing.T) {
			c := newClient(t, u)
			if c.URL() != s.URL() {
				t.Errorf("URL() = %q, want %q", c.URL(), s.URL())
			}
			if _, err := c.Login(context.Background(), "bob", bobPW); err != nil {
				t.Fatal(err)
			}
		})
	}

	t.Run("sub-path left out", func(t *testing.T) {
		_, err := newClient(t, root+"/").Login(context.Background(), "bob", bobPW)
		var nn *navidrome.NotNavidromeError
		if !errors.As(err, &nn) {
			t.Fatalf("error %v (%T), want *NotNavidromeError", err, err)
		}
		// Navidrome's router answers 405 to a POST it has no route for,
		// and sends a GET to its web interface, which names the sub-path.
		if nn.URL != root || !strings.Contains(err.Error(), "405") || !strings.Contains(err.Error(), "use "+s.URL()) {
			t.Errorf("error %q", err)
		}
	})

	for _, r := range s.Requests() {
		if r.Path != "/navidrome/auth/login" && r.Path != "/navidrome/rest/ping.view" && r.Path != "/auth/login" && r.Path != "/" {
			t.Errorf("unexpected request %v", r)
		}
	}
}

func TestLoginBadCredentials(t *testing.T) {
	s := startServer(t, navidrometest.Options{RateLimit: -1})
	c := newClient(t, s.URL())
	for _, tt := range []struct{ user, pw string }{
		{"alice", "wrong"},
		{"alice", bobPW},
		{"carol", alicePW},
	} {
		_, err := c.Login(context.Background(), tt.user, tt.pw)
		if !errors.Is(err, navidrome.ErrBadCredentials) {
			t.Fatalf("%s: error %v, want ErrBadCredentials", tt.user, err)
		}
		if !strings.Contains(err.Error(), "wrong username or password") || !strings.Contains(err.Error(), s.URL()) {
			t.Errorf("message %q", err)
		}
	}
	for _, r := range s.Requests() {
		if r.Path != "/auth/login" {
			t.Errorf("after a refused login the client still called %s", r.Path)
		}
	}
}

func TestLoginEmptyFields(t *testing.T) {
	s := startServer(t, navidrometest.Options{})
	c := newClient(t, s.URL())
	if _, err := c.Login(context.Background(), " ", "x"); err == nil || !strings.Contains(err.Error(), "username") {
		t.Errorf("empty username: %v", err)
	}
	if _, err := c.Login(context.Background(), "bob", ""); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("empty password: %v", err)
	}
	if n := s.LoginAttempts(); n != 0 {
		t.Errorf("%d requests sent for empty fields", n)
	}
}

func TestLoginRateLimited(t *testing.T) {
	s := startServer(t, navidrometest.Options{})
	c := newClient(t, s.URL())
	for i := range 5 {
		if _, err := c.Login(context.Background(), "bob", "wrong"); !errors.Is(err, navidrome.ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	_, err := c.Login(context.Background(), "bob", bobPW)
	var rl *navidrome.RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("6th attempt: %v (%T), want *RateLimitedError", err, err)
	}
	if rl.RetryAfter <= 0 || rl.RetryAfter > 20*time.Second {
		t.Errorf("RetryAfter %v", rl.RetryAfter)
	}
	wantMsg := fmt.Sprintf("wait %ds before trying again", int(rl.RetryAfter/time.Second))
	if !strings.Contains(err.Error(), wantMsg) || !strings.Contains(err.Error(), "too many sign-in attempts") {
		t.Errorf("message %q, want it to contain %q", err, wantMsg)
	}
}

func TestRetryAfterForms(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		header  string
		min     time.Duration
		max     time.Duration
		message string
	}{
		{"20", 20 * time.Second, 20 * time.Second, "wait 20s before"},
		{"90", 90 * time.Second, 90 * time.Second, "wait 1m30s before"},
		{date, 85 * time.Second, 90 * time.Second, "wait 1m"},
		{"", 0, 0, "wait a little before"},
		{"soon", 0, 0, "wait a little before"},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
			}))
			defer ts.Close()
			_, err := newClient(t, ts.URL).Login(context.Background(), "bob", bobPW)
			var rl *navidrome.RateLimitedError
			if !errors.As(err, &rl) {
				t.Fatalf("%v (%T)", err, err)
			}
			if rl.RetryAfter < tt.min || rl.RetryAfter > tt.max {
				t.Errorf("RetryAfter %v, want %v..%v", rl.RetryAfter, tt.min, tt.max)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("message %q, want %q", err, tt.message)
			}
		})
	}
}

func TestServerDown(t *testing.T) {
	s := startServer(t, navidrometest.Options{})
	c := newClient(t, s.URL())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := c.Login(context.Background(), "bob", bobPW)
	var ue *navidrome.UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("%v (%T), want *UnreachableError", err, err)
	}
	msg := err.Error()
	for _, w := range []string{s.URL(), "connection refused", "navidrome.server_url", "Navidrome is running"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q lacks %q", msg, w)
		}
	}
	if ue.URL != s.URL() || ue.Err == nil {
		t.Errorf("%+v", ue)
	}

	perr := c.Ping(context.Background(), "bob", "salt", "token")
	if !errors.As(perr, &ue) {
		t.Fatalf("Ping: %v (%T)", perr, perr)
	}
	if strings.Contains(perr.Error(), "salt") || strings.Contains(perr.Error(), "token") || strings.Contains(perr.Error(), "?") {
		t.Errorf("Ping error shows the query: %q", perr)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer ts.Close()
	defer close(release)
	c, err := navidrome.New(ts.URL, &http.Client{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Login(context.Background(), "bob", bobPW)
	var ue *navidrome.UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("%v (%T), want an UnreachableError that says it timed out", err, err)
	}
}

func TestCancelled(t *testing.T) {
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer ts.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := newClient(t, ts.URL).Login(ctx, "bob", bobPW)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%v, want context.Canceled", err)
	}
	var ue *navidrome.UnreachableError
	if errors.As(err, &ue) {
		t.Error("a cancelled sign-in is reported as an unreachable server")
	}
}

func TestNotNavidrome(t *testing.T) {
	page := "<!DOCTYPE html><html><body>Welcome to nginx!</body></html>"
	pingHTML := http.NewServeMux()
	pingHTML.HandleFunc("/auth/login", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"1","username":"bob","name":"Bob","isAdmin":false,"token":"x.y.z","subsonicSalt":"abc","subsonicToken":"def"}`)
	})
	pingHTML.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, page)
	})
	pingHTMLServer := httptest.NewServer(pingHTML)
	defer pingHTMLServer.Close()

	tests := []struct {
		name   string
		url    string
		detail string
	}{
		{"HTML everywhere", staticServer(t, 200, "text/html; charset=utf-8", page).URL, "HTML page instead of JSON"},
		{"HTML without content type", staticServer(t, 200, "", page).URL, "HTML page instead of JSON"},
		{"unexpected JSON", staticServer(t, 200, "application/json", `{"hello":1}`).URL, "has no token"},
		{"not JSON", staticServer(t, 200, "text/plain", `hello`).URL, "not the JSON Navidrome sends"},
		{"404", staticServer(t, 404, "text/plain", "404 page not found").URL, "/auth/login answered 404 Not Found"},
		{"405", staticServer(t, 405, "text/plain", "").URL, "405"},
		{"HTML 400 from a proxy", staticServer(t, 400, "text/html", page).URL, "400 Bad Request with an HTML page"},
		{"ping answers HTML", pingHTMLServer.URL, "/rest/ping.view with an HTML page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newClient(t, tt.url).Login(context.Background(), "bob", bobPW)
			var nn *navidrome.NotNavidromeError
			if !errors.As(err, &nn) {
				t.Fatalf("%v (%T), want *NotNavidromeError", err, err)
			}
			msg := err.Error()
			for _, w := range []string{tt.url, "does not look like a Navidrome server", tt.detail, "check navidrome.server_url", "sub-path"} {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestRedirect(t *testing.T) {
	target := "https://music.example.com/navidrome/rest/ping.view?u=bob&t=SECRET-T&s=SECRET-S"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusMovedPermanently)
	}))
	defer ts.Close()
	c := newClient(t, ts.URL)
	for name, err := range map[string]error{
		"login": func() error { _, err := c.Login(context.Background(), "bob", bobPW); return err }(),
		"ping":  c.Ping(context.Background(), "bob", "SECRET-S", "SECRET-T"),
	} {
		var nn *navidrome.NotNavidromeError
		if !errors.As(err, &nn) {
			t.Fatalf("%s: %v (%T)", name, err, err)
		}
		if !strings.Contains(err.Error(), "redirects to https://music.example.com/navidrome/rest/ping.view;") {
			t.Errorf("%s: message %q", name, err)
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: message %q shows the redirect's query", name, err)
		}
	}
}

func TestServerErrors(t *testing.T) {
	tests := []struct {
		name, ct, body string
		status         int
		want           []string
	}{
		{"500 with message", "application/json", `{"error":"Unknown error authenticating user. Please try again"}`, 500,
			[]string{"500 Internal Server Error", "Unknown error authenticating user", "check that Navidrome"}},
		{"502 from a proxy", "text/html", "<html>Bad Gateway</html>", 502, []string{"502 Bad Gateway", "check that Navidrome"}},
		{"422", "application/json", `{"error":"invalid request payload"}`, 422, []string{"422 Unprocessable Entity", "invalid request payload"}},
		{"echoed password", "application/json", jsonError("password " + alicePW + " rejected"), 400, []string{"[redacted]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := staticServer(t, tt.status, tt.ct, tt.body)
			_, err := newClient(t, ts.URL).Login(context.Background(), "alice", alicePW)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tt.want, ts.URL) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), alicePW) {
				t.Errorf("message %q shows the password", err)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	ts := newTLSServer(t, http.NotFoundHandler())
	_, err := newClient(t, ts.URL).Login(context.Background(), "bob", bobPW)
	var te *navidrome.TLSError
	if !errors.As(err, &te) {
		t.Fatalf("%v (%T), want *TLSError", err, err)
	}
	if te.URL != ts.URL || !strings.Contains(err.Error(), "the TLS certificate of "+ts.URL+" is not trusted") {
		t.Errorf("message %q", err)
	}

	// The same server trusted: no TLS error.
	c, err := navidrome.New(ts.URL, ts.Client())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(context.Background(), "bob", bobPW); errors.As(err, &te) {
		t.Errorf("trusted certificate still gives %v", err)
	}

	// https:// to a plain HTTP server.
	s := startServer(t, navidrometest.Options{})
	plain := strings.Replace(s.URL(), "http://", "https://", 1)
	_, err = newClient(t, plain).Login(context.Background(), "bob", bobPW)
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "plain HTTP") || !strings.Contains(err.Error(), plain) {
		t.Errorf("https to an HTTP server: %v (%T)", err, err)
	}
}

func TestPing(t *testing.T) {
	s := startServer(t, navidrometest.Options{})
	c := newClient(t, s.URL())
	sess, err := c.Login(context.Background(), "bob", bobPW)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background(), sess.Username, sess.SubsonicSalt, sess.SubsonicToken); err != nil {
		t.Fatalf("ping: %v", err)
	}

	t.Run("missing parameter", func(t *testing.T) {
		err := c.Ping(context.Background(), "", sess.SubsonicSalt, sess.SubsonicToken)
		var se *navidrome.SubsonicError
		if !errors.As(err, &se) || se.Code != 10 {
			t.Fatalf("%v (%T), want SubsonicError code 10", err, err)
		}
		if !strings.Contains(err.Error(), "code 10") || !strings.Contains(err.Error(), "Required parameter is missing") {
			t.Errorf("message %q", err)
		}
	})

	t.Run("after password change", func(t *testing.T) {
		s.SetPassword("bob", "a-new-password")
		err := c.Ping(context.Background(), sess.Username, sess.SubsonicSalt, sess.SubsonicToken)
		if !errors.Is(err, navidrome.ErrBadCredentials) {
			t.Fatalf("%v, want ErrBadCredentials", err)
		}
		if !strings.Contains(err.Error(), "sign in again") {
			t.Errorf("message %q", err)
		}
	})

	t.Run("other code", func(t *testing.T) {
		ts := staticServer(t, 200, "application/json",
			`{"subsonic-response":{"status":"failed","version":"1.16.1","error":{"code":41,"message":"Token authentication not supported for LDAP users"}}}`)
		err := newClient(t, ts.URL).Ping(context.Background(), "bob", "9f8e7d", "0123456789abcdef0123456789abcdef")
		var se *navidrome.SubsonicError
		if !errors.As(err, &se) || se.Code != 41 || !strings.Contains(err.Error(), "code 41") || !strings.Contains(err.Error(), "(Token authentication not supported for LDAP users)") {
			t.Errorf("%v (%T)", err, err)
		}
	})

	t.Run("not a Subsonic answer", func(t *testing.T) {
		for _, body := range []string{`<html></html>`, `{"status":"ok"}`, `{"subsonic-response":{"status":"maybe"}}`} {
			ts := staticServer(t, 200, "application/json", body)
			err := newClient(t, ts.URL).Ping(context.Background(), "bob", "s", "t")
			var nn *navidrome.NotNavidromeError
			if !errors.As(err, &nn) {
				t.Errorf("%s: %v (%T)", body, err, err)
			}
		}
	})

	// Ping never sends a password.
	for _, r := range s.Requests() {
		if r.Path == "/rest/ping.view" && r.Method != http.MethodGet {
			t.Errorf("ping sent as %s", r.Method)
		}
	}
}

func TestSessionRedacted(t *testing.T) {
	s := startServer(t, navidrometest.Options{})
	sess, err := newClient(t, s.URL()).Login(context.Background(), "alice", alicePW)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{sess.JWT, sess.SubsonicSalt, sess.SubsonicToken, alicePW}

	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("signed in", "session", sess)
	logger.Info("signed in", "session", *sess)
	logger.Info("signed in", slog.Any("session", sess))

	outputs := map[string]string{
		"%v":        fmt.Sprintf("%v", sess),
		"%+v":       fmt.Sprintf("%+v", sess),
		"%#v":       fmt.Sprintf("%#v", sess),
		"%s":        fmt.Sprintf("%s", sess),
		"%q":        fmt.Sprintf("%q", sess),
		"%x":        fmt.Sprintf("%x", sess),
		"value %v":  fmt.Sprintf("%v", *sess),
		"value %+v": fmt.Sprintf("%+v", *sess),
		"value %#v": fmt.Sprintf("%#v", *sess),
		"nested":    fmt.Sprintf("%+v", struct{ S navidrome.Session }{*sess}),
		"nested #":  fmt.Sprintf("%#v", struct{ S navidrome.Session }{*sess}),
		"slog":      logs.String(),
	}
	for name, out := range outputs {
		for _, sec := range secrets {
			if strings.Contains(out, sec) {
				t.Errorf("%s output shows a secret: %s", name, out)
			}
		}
		if name != "%x" && (!strings.Contains(out, "alice") || !strings.Contains(out, "[redacted]")) {
			t.Errorf("%s output lacks the username or [redacted]: %s", name, out)
		}
	}
	if !strings.Contains(outputs["%v"], "admin") || !strings.Contains(outputs["%v"], sess.JWTExpiry.UTC().Format(time.RFC3339)) {
		t.Errorf("String() lacks admin flag or expiry: %s", outputs["%v"])
	}
	if !strings.Contains(logs.String(), `"admin":true`) || !strings.Contains(logs.String(), `"jwt":"[redacted]"`) {
		t.Errorf("slog output: %s", logs.String())
	}
}

// TestErrorsNeverShowSecrets drives every failure the client can report and
// checks that no message holds the password (nor, for ping, the salt and
// token).
func TestErrorsNeverShowSecrets(t *testing.T) {
	const pw = alicePW
	const salt, token = "5a17ab", "70ce4e9a5f1b0c2d3e4f5a6b7c8d9e0f"
	s := startServer(t, navidrometest.Options{})
	closed := startServer(t, navidrometest.Options{})
	_ = closed.Close()
	tlsServer := newTLSServer(t, http.NotFoundHandler())
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", r.URL.String())
		switch r.URL.Path {
		case "/auth/login":
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":%q}`, string(body))
		default:
			fmt.Fprintf(w, `{"subsonic-response":{"status":"failed","error":{"code":50,"message":%q}}}`, r.URL.RawQuery+" "+r.URL.Query().Get("t")+" "+r.URL.Query().Get("s"))
		}
	}))
	defer echo.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.String(), http.StatusFound)
	}))
	defer redirect.Close()

	var errs []error
	login := func(url, user, password string) {
		_, err := newClient(t, url).Login(context.Background(), user, password)
		if err == nil {
			t.Errorf("login to %s as %s: no error", url, user)
		}
		errs = append(errs, err)
	}
	ping := func(url, user string) {
		err := newClient(t, url).Ping(context.Background(), user, salt, token)
		if err == nil {
			t.Errorf("ping %s as %s: no error", url, user)
		}
		errs = append(errs, err)
	}
	login(s.URL(), "alice", pw+"x")
	login(s.URL(), "nobody", pw)
	login(closed.URL(), "alice", pw)
	login(tlsServer.URL, "alice", pw)
	login(strings.Replace(s.URL(), "http:", "https:", 1), "alice", pw)
	login(echo.URL, "alice", pw)
	login(redirect.URL, "alice", pw)
	login(staticServer(t, 200, "text/html", "<html>"+pw+"</html>").URL, "alice", pw)
	login(staticServer(t, 200, "application/json", `{"hello":1}`).URL, "alice", pw)
	login(staticServer(t, 500, "application/json", jsonError(pw)).URL, "alice", pw)
	for range 5 {
		login(s.URL(), "alice", pw+"y")
	}
	ping(s.URL(), "alice")
	ping(s.URL(), "")
	ping(closed.URL(), "alice")
	ping(tlsServer.URL, "alice")
	ping(echo.URL, "alice")
	ping(redirect.URL, "alice")
	ping(staticServer(t, 500, "application/json", jsonError(token)).URL, "alice")

	var sawRateLimit bool
	for _, err := range errs {
		if err == nil {
			continue
		}
		t.Log(err)
		var rl *navidrome.RateLimitedError
		sawRateLimit = sawRateLimit || errors.As(err, &rl)
		for _, sec := range []string{pw, salt, token} {
			if strings.Contains(err.Error(), sec) {
				t.Errorf("error shows a secret: %q", err)
			}
			if strings.Contains(fmt.Sprintf("%+v %#v", err, err), sec) {
				t.Errorf("error details show a secret: %#v", err)
			}
		}
	}
	if !sawRateLimit {
		t.Error("the loop never reached the rate limit")
	}
}

// Keepalive renews the JWT as Navidrome's native API does, for another
// SessionTimeout from now; an expired or foreign token is ErrSessionExpired.
func TestKeepalive(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s := startServer(t, navidrometest.Options{SessionTimeout: 48 * time.Hour, Now: clock})
	c := newClient(t, s.URL())
	sess, err := c.Login(context.Background(), "bob", bobPW)
	if err != nil {
		t.Fatal(err)
	}

	advance(40 * time.Hour)
	token, expiry, err := c.Keepalive(context.Background(), sess.JWT)
	if err != nil {
		t.Fatal(err)
	}
	if want := clock().Add(48 * time.Hour); !expiry.Equal(want) || token == sess.JWT {
		t.Errorf("renewed until %v (a new token: %v), want %v", expiry, token != sess.JWT, want)
	}
	// Past the first token's expiry, the renewed one still works.
	advance(20 * time.Hour)
	if _, _, err := c.Keepalive(context.Background(), token); err != nil {
		t.Errorf("the renewed token after the first one's expiry: %v", err)
	}
	if _, _, err := c.Keepalive(context.Background(), sess.JWT); !errors.Is(err, navidrome.ErrSessionExpired) {
		t.Errorf("the expired token: %v, want ErrSessionExpired", err)
	}
	if _, _, err := c.Keepalive(context.Background(), "not-a-jwt"); !errors.Is(err, navidrome.ErrSessionExpired) {
		t.Errorf("a foreign token: %v", err)
	}
}

// What is not Navidrome's keepalive answer is refused, and never shows the
// token sent.
func TestKeepaliveAnswersThatAreNotNavidromes(t *testing.T) {
	const token = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXNlc3Npb24.c2ln"
	for _, tt := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"no renewed token", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"response":"ok", "id":"keepalive"}`)
		}, "no renewed token with an expiry"},
		{"a renewed token without exp", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-ND-Authorization", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2ln")
			_, _ = io.WriteString(w, `{"response":"ok", "id":"keepalive"}`)
		}, "no renewed token with an expiry"},
		{"an error that repeats the token", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"error":"bad token `+strings.TrimPrefix(r.Header.Get("X-ND-Authorization"), "Bearer ")+`"}`)
		}, "500"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			_, _, err := newClient(t, srv.URL).Keepalive(context.Background(), token)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want it to say %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("the token is in the error: %v", err)
			}
		})
	}
}

package navidrometest_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/ssotray/ssotray/app/navidrome/navidrometest"
)

var users = []navidrometest.User{
	{Username: "alice", Password: "alice-pw", Name: "Alice Liddell", IsAdmin: true},
	{Username: "bob", Password: "bob-pw"},
}

func start(t *testing.T, opts navidrometest.Options) *navidrometest.Server {
	t.Helper()
	if opts.Users == nil {
		opts.Users = users
	}
	s, err := navidrometest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func login(t *testing.T, base, body string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(base+"/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

func get(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestLoginShape(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := start(t, navidrometest.Options{Now: func() time.Time { return now }, SessionTimeout: time.Hour})
	resp, data := login(t, s.URL(), `{"username":"alice","password":"alice-pw"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"id", "isAdmin", "name", "subsonicSalt", "subsonicToken", "token", "username"}
	if !slices.Equal(keys, want) {
		t.Errorf("fields %v, want %v", keys, want)
	}
	if m["username"] != "alice" || m["name"] != "Alice Liddell" || m["isAdmin"] != true || m["id"] == "" {
		t.Errorf("payload %v", m)
	}
	salt, _ := m["subsonicSalt"].(string)
	if _, err := hex.DecodeString(salt); err != nil || salt == "" {
		t.Errorf("subsonicSalt %q is not hex", salt)
	}
	if m["subsonicToken"] != md5Hex("alice-pw"+salt) {
		t.Errorf("subsonicToken is not md5(password+salt)")
	}

	tok, err := jwt.ParseSigned(m["token"].(string), []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatal(err)
	}
	var std jwt.Claims
	var extra struct {
		UID string `json:"uid"`
		Adm bool   `json:"adm"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&std, &extra); err != nil {
		t.Fatal(err)
	}
	if std.Issuer != "ND" || std.Subject != "alice" || extra.UID != m["id"] || !extra.Adm {
		t.Errorf("claims %+v %+v", std, extra)
	}
	if !std.IssuedAt.Time().Equal(now) || !std.Expiry.Time().Equal(now.Add(time.Hour)) {
		t.Errorf("iat %v exp %v", std.IssuedAt.Time(), std.Expiry.Time())
	}
}

func TestLoginErrors(t *testing.T) {
	s := start(t, navidrometest.Options{RateLimit: -1})
	tests := []struct {
		name, body string
		status     int
		errMsg     string
	}{
		{"wrong password", `{"username":"alice","password":"nope"}`, 401, "Invalid username or password"},
		{"unknown user", `{"username":"carol","password":"alice-pw"}`, 401, "Invalid username or password"},
		{"empty password", `{"username":"alice","password":""}`, 401, "Invalid username or password"},
		{"not json", `username=alice`, 422, "invalid request payload"},
		{"case-insensitive username", `{"username":"ALICE","password":"alice-pw"}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, data := login(t, s.URL(), tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, data)
			}
			if tt.errMsg == "" {
				return
			}
			var e map[string]string
			if err := json.Unmarshal(data, &e); err != nil {
				t.Fatal(err)
			}
			if e["error"] != tt.errMsg {
				t.Errorf("error %q, want %q", e["error"], tt.errMsg)
			}
		})
	}
	if got := s.LoginAttempts(); got != len(tests) {
		t.Errorf("LoginAttempts %d, want %d", got, len(tests))
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s := start(t, navidrometest.Options{Now: clock})

	for i := range 5 {
		resp, _ := login(t, s.URL(), `{"username":"alice","password":"wrong"}`)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d", i+1, resp.StatusCode)
		}
		advance(time.Second)
	}
	resp, data := login(t, s.URL(), `{"username":"alice","password":"alice-pw"}`)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("6th attempt: status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	if len(data) == 0 {
		t.Error("empty 429 body")
	}
	// httprate asks for the whole window, whatever is left of it.
	if ra := resp.Header.Get("Retry-After"); ra != "20" {
		t.Errorf("Retry-After %q, want 20", ra)
	}
	// 12:00:20, a new window: the last one's 5 attempts still count whole.
	advance(15 * time.Second)
	if resp, _ := login(t, s.URL(), `{"username":"alice","password":"alice-pw"}`); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("at the start of the next window: status %d, want 429", resp.StatusCode)
	}
	// 12:00:25: they count 5×15/20 = 3.75, so 4; a fifth is allowed.
	advance(5 * time.Second)
	if resp, _ := login(t, s.URL(), `{"username":"alice","password":"alice-pw"}`); resp.StatusCode != http.StatusOK {
		t.Errorf("after Retry-After: status %d", resp.StatusCode)
	}
	if got := s.LoginAttempts(); got != 8 {
		t.Errorf("LoginAttempts %d, want 8", got)
	}
}

func ping(t *testing.T, base string, q url.Values) map[string]any {
	t.Helper()
	resp, data := get(t, base+"/rest/ping.view?"+q.Encode())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ping status %d", resp.StatusCode)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	r, ok := m["subsonic-response"]
	if !ok {
		t.Fatalf("no subsonic-response: %s", data)
	}
	return r
}

func code(r map[string]any) int {
	e, _ := r["error"].(map[string]any)
	c, _ := e["code"].(float64)
	return int(c)
}

func TestPing(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := start(t, navidrometest.Options{Now: clock, SessionTimeout: time.Hour})
	_, data := login(t, s.URL(), `{"username":"bob","password":"bob-pw"}`)
	var lr struct{ Token, SubsonicSalt, SubsonicToken string }
	if err := json.Unmarshal(data, &lr); err != nil {
		t.Fatal(err)
	}
	_, adata := login(t, s.URL(), `{"username":"alice","password":"alice-pw"}`)
	var alr struct{ Token string }
	if err := json.Unmarshal(adata, &alr); err != nil {
		t.Fatal(err)
	}

	q := func(kv ...string) url.Values {
		v := url.Values{"v": {"1.16.1"}, "c": {"test"}, "f": {"json"}}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	salt := "abc123"
	tests := []struct {
		name string
		q    url.Values
		code int // 0: ok
	}{
		{"token from login", q("u", "bob", "t", lr.SubsonicToken, "s", lr.SubsonicSalt), 0},
		{"own salt", q("u", "bob", "t", md5Hex("bob-pw"+salt), "s", salt), 0},
		{"plain password", q("u", "bob", "p", "bob-pw"), 0},
		{"enc password", q("u", "bob", "p", "enc:"+hex.EncodeToString([]byte("bob-pw"))), 0},
		{"jwt", q("u", "bob", "jwt", lr.Token), 0},
		{"missing u", q("t", lr.SubsonicToken, "s", lr.SubsonicSalt), 10},
		{"missing v", q("u", "bob", "t", lr.SubsonicToken, "s", lr.SubsonicSalt, "v", ""), 10},
		{"missing c", q("u", "bob", "t", lr.SubsonicToken, "s", lr.SubsonicSalt, "c", ""), 10},
		{"empty u", q("u", "", "t", lr.SubsonicToken, "s", lr.SubsonicSalt), 10},
		{"wrong token", q("u", "bob", "t", md5Hex("nope"+salt), "s", salt), 40},
		{"wrong salt", q("u", "bob", "t", lr.SubsonicToken, "s", "other"), 40},
		{"unknown user", q("u", "carol", "t", lr.SubsonicToken, "s", lr.SubsonicSalt), 40},
		{"no credentials", q("u", "bob"), 40},
		{"jwt of another user", q("u", "bob", "jwt", alr.Token), 40},
		{"garbage jwt", q("u", "bob", "jwt", "not.a.jwt"), 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ping(t, s.URL(), tt.q)
			if r["version"] != "1.16.1" || r["type"] != "navidrome" || r["serverVersion"] != "0.53.0" || r["openSubsonic"] != true {
				t.Errorf("response %v", r)
			}
			wantStatus := "ok"
			if tt.code != 0 {
				wantStatus = "failed"
			}
			if r["status"] != wantStatus || code(r) != tt.code {
				t.Errorf("status %v code %d, want %s %d (%v)", r["status"], code(r), wantStatus, tt.code, r)
			}
		})
	}

	t.Run("messages", func(t *testing.T) {
		r := ping(t, s.URL(), q("u", "bob", "p", "nope"))
		if msg := r["error"].(map[string]any)["message"]; msg != "Wrong username or password" {
			t.Errorf("40 message %q", msg)
		}
		r = ping(t, s.URL(), q())
		if msg := r["error"].(map[string]any)["message"]; msg != "Required parameter is missing" {
			t.Errorf("10 message %q", msg)
		}
	})

	t.Run("ping without .view", func(t *testing.T) {
		resp, data := get(t, s.URL()+"/rest/ping?"+q("u", "bob", "p", "bob-pw").Encode())
		if resp.StatusCode != 200 || !strings.Contains(string(data), `"status":"ok"`) {
			t.Errorf("%d %s", resp.StatusCode, data)
		}
	})

	t.Run("xml unless f=json", func(t *testing.T) {
		resp, data := get(t, s.URL()+"/rest/ping.view?"+q("u", "bob", "p", "bob-pw", "f", "").Encode())
		if resp.StatusCode != 200 || !strings.Contains(string(data), `<subsonic-response xmlns="http://subsonic.org/restapi" status="ok"`) {
			t.Errorf("%d %s", resp.StatusCode, data)
		}
	})

	t.Run("password change", func(t *testing.T) {
		s.SetPassword("bob", "new-pw")
		defer s.SetPassword("bob", "bob-pw")
		if c := code(ping(t, s.URL(), q("u", "bob", "t", lr.SubsonicToken, "s", lr.SubsonicSalt))); c != 40 {
			t.Errorf("old token after password change: code %d, want 40", c)
		}
		if c := code(ping(t, s.URL(), q("u", "bob", "t", md5Hex("new-pw"+salt), "s", salt))); c != 0 {
			t.Errorf("new password: code %d", c)
		}
		if c := code(ping(t, s.URL(), q("u", "bob", "jwt", lr.Token))); c != 0 {
			t.Errorf("JWT after password change: code %d, want ok", c)
		}
	})

	t.Run("expired jwt", func(t *testing.T) {
		mu.Lock()
		now = now.Add(time.Hour + time.Second)
		mu.Unlock()
		if c := code(ping(t, s.URL(), q("u", "bob", "jwt", lr.Token))); c != 40 {
			t.Errorf("expired JWT: code %d, want 40", c)
		}
	})

	t.Run("jwt from another server", func(t *testing.T) {
		other := start(t, navidrometest.Options{})
		_, data := login(t, other.URL(), `{"username":"bob","password":"bob-pw"}`)
		var olr struct{ Token string }
		if err := json.Unmarshal(data, &olr); err != nil {
			t.Fatal(err)
		}
		if c := code(ping(t, s.URL(), q("u", "bob", "jwt", olr.Token))); c != 40 {
			t.Errorf("foreign JWT: code %d, want 40", c)
		}
	})
}

func TestBasePathAndNotFound(t *testing.T) {
	s := start(t, navidrometest.Options{BasePath: "/navidrome/"})
	if !strings.HasSuffix(s.URL(), "/navidrome") || !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %q", s.URL())
	}
	root := strings.TrimSuffix(s.URL(), "/navidrome")

	if resp, data := login(t, s.URL(), `{"username":"bob","password":"bob-pw"}`); resp.StatusCode != 200 {
		t.Errorf("login under base path: %d %s", resp.StatusCode, data)
	}
	// Navidrome's router: a POST it has no route for is 405, any other GET
	// goes to the web interface.
	if resp, _ := login(t, root, `{"username":"bob","password":"bob-pw"}`); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("login at root with a base path: %d, want 405", resp.StatusCode)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{root + "/", root + "/rest/ping.view?u=bob&p=bob-pw&v=1&c=x&f=json", s.URL() + "/"} {
		resp, err := noRedirect.Get(p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != "/navidrome/app/" {
			t.Errorf("GET %s: %d to %q, want 302 to /navidrome/app/", p, resp.StatusCode, loc)
		}
	}
	// The native API is behind its authenticator.
	if resp, data := get(t, s.URL()+"/api/song"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(data), "Not authenticated") {
		t.Errorf("GET /api/song without a token: %d %s", resp.StatusCode, data)
	}
	if resp, data := get(t, s.URL()+"/app/"); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(data), "<html") {
		t.Errorf("the web interface: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, _ := get(t, s.URL()+"/auth/login"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /auth/login: %d, want 405", resp.StatusCode)
	}
}

func TestRequestLogAndClose(t *testing.T) {
	s := start(t, navidrometest.Options{})
	login(t, s.URL(), `{"username":"bob","password":"bob-pw"}`)
	get(t, s.URL()+"/rest/ping.view?u=bob&p=bob-pw&v=1.16.1&c=x&f=json")
	get(t, s.URL()+"/nothing")
	want := []navidrometest.Request{
		{Method: "POST", Path: "/auth/login", Status: 200},
		{Method: "GET", Path: "/rest/ping.view", Status: 200},
		{Method: "GET", Path: "/nothing", Status: 302}, // to the web interface
		{Method: "GET", Path: "/app/", Status: 200},
	}
	if got := s.Requests(); !slices.Equal(got, want) {
		t.Errorf("Requests() = %v, want %v", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(s.URL() + "/rest/ping.view"); err == nil {
		t.Error("server still answers after Close")
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := navidrometest.Start(navidrometest.Options{Users: []navidrometest.User{{Username: "a"}, {Username: "A"}}}); err == nil {
		t.Error("duplicate user accepted")
	}
	if _, err := navidrometest.Start(navidrometest.Options{Addr: "127.0.0.1:-1"}); err == nil {
		t.Error("bad address accepted")
	}
}

func TestConcurrentLogins(t *testing.T) {
	s := start(t, navidrometest.Options{RateLimit: -1})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			resp, err := http.Post(s.URL()+"/auth/login", "application/json",
				strings.NewReader(`{"username":"bob","password":"bob-pw`+strconv.Itoa(i%2)+`"}`))
			if err == nil {
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if s.LoginAttempts() != 20 || len(s.Requests()) != 20 {
		t.Errorf("attempts %d requests %d", s.LoginAttempts(), len(s.Requests()))
	}
}

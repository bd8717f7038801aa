package app

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/navidrome/navidrometest"
	"github.com/ssotray/ssotray/app/tokenstore"
)

const ndPassword = "n4vidrome-pa55word"

func navidromeCore(t *testing.T, srv *navidrometest.Server, store tokenstore.Store, now func() time.Time) *Core {
	t.Helper()
	cfg := config.Default()
	cfg.Authentik.Enabled = false
	cfg.Navidrome = config.Navidrome{Enabled: true, ServerURL: srv.URL()}
	return New(Deps{Config: &cfg, Store: store, Now: now})
}

// navidromeOnClock is a Navidrome for dave whose clock is now, as
// ssotray's is in the test: JWTs expire for both alike.
func navidromeOnClock(t *testing.T, now func() time.Time) *navidrometest.Server {
	t.Helper()
	srv, err := navidrometest.Start(navidrometest.Options{Users: []navidrometest.User{{Username: "dave", Password: ndPassword}}, SessionTimeout: 48 * time.Hour, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func startNavidrome(t *testing.T) *navidrometest.Server {
	t.Helper()
	srv, err := navidrometest.Start(navidrometest.Options{BasePath: "/navidrome", Users: []navidrometest.User{
		{Username: "carol", Password: ndPassword, Name: "Carol Admin", IsAdmin: true},
		{Username: "dave", Password: ndPassword, Name: "Dave User"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func TestNavidromeSignInAndProfile(t *testing.T) {
	srv := startNavidrome(t)
	tests := []struct {
		user, role string
		groups     []string
	}{
		{"carol", "admin", []string{NavidromeAdminsGroup}},
		{"dave", "user", nil},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			store := tokenstore.NewMemory()
			c := navidromeCore(t, srv, store, time.Now)
			if err := c.SignIn(context.Background(), Navidrome, SignInOptions{Username: tt.user, Password: ndPassword}); err != nil {
				t.Fatal(err)
			}
			st := c.Status()
			if st.State != SignedIn || st.Method != Navidrome || st.Profile.Username != tt.user || st.Profile.Role != tt.role ||
				strings.Join(st.Profile.Groups, ",") != strings.Join(tt.groups, ",") || st.ExpiresAt.Before(time.Now().Add(47*time.Hour)) {
				t.Errorf("status %+v", st)
			}
			s, _ := store.Load()
			raw, _ := json.Marshal(s)
			if strings.Contains(string(raw), ndPassword) || s.SubsonicSalt == "" || s.SubsonicToken == "" || s.AccessToken == "" {
				t.Errorf("stored session: %s", raw)
			}
			if tok, err := c.AccessToken(context.Background()); err != nil || tok != s.AccessToken {
				t.Errorf("token %v", err)
			}
		})
	}
}

func TestNavidromeRestore(t *testing.T) {
	tests := []struct {
		name       string
		later      time.Duration // how long after sign-in the next start is
		change     func(*navidrometest.Server)
		wantState  State
		wantStored bool
		wantNotice string
	}{
		{"pings fine", time.Minute, nil, SignedIn, true, ""},
		{"expired JWT but the salt/token still pings", 72 * time.Hour, nil, SignedIn, true, ""},
		{"password changed", time.Minute, func(s *navidrometest.Server) { s.SetPassword("carol", "new-password") }, SignedOut, false, "password changed"},
		{"server down keeps the session", time.Minute, func(s *navidrometest.Server) { _ = s.Close() }, SignedIn, true, "could not check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startNavidrome(t)
			store := tokenstore.NewMemory()
			if err := navidromeCore(t, srv, store, time.Now).SignIn(context.Background(), Navidrome, SignInOptions{Username: "carol", Password: ndPassword}); err != nil {
				t.Fatal(err)
			}
			if tt.change != nil {
				tt.change(srv)
			}
			c := navidromeCore(t, srv, store, func() time.Time { return time.Now().Add(tt.later) })
			_ = c.Restore(context.Background())
			st := c.Status()
			if st.State != tt.wantState || !strings.Contains(st.Notice, tt.wantNotice) {
				t.Errorf("status %v, notice %q", st.State, st.Notice)
			}
			if _, err := store.Load(); (err == nil) != tt.wantStored {
				t.Errorf("stored: %v", err)
			}
		})
	}
}

// A JWT that expired (the machine was off for days) is not handed out and
// cannot be renewed; the session stays for what needs no JWT.
func TestNavidromeExpiredTokenIsNotHandedOut(t *testing.T) {
	clk := &clock{t: time.Now()}
	srv := navidromeOnClock(t, clk.now)
	store := tokenstore.NewMemory()
	_ = navidromeCore(t, srv, store, clk.now).SignIn(context.Background(), Navidrome, SignInOptions{Username: "dave", Password: ndPassword})
	clk.advance(72 * time.Hour) // for ssotray and Navidrome alike
	c := navidromeCore(t, srv, store, clk.now)
	_ = c.Restore(context.Background())
	tok, err := c.AccessToken(context.Background())
	if tok != "" || err == nil || !strings.Contains(err.Error(), "sign in again with `ssotray login --method navidrome`") || c.Status().State != SignedIn {
		t.Errorf("expired JWT: %q, %v, %v", tok, err, c.Status().State)
	}
}

// A session in use is renewed every hour, after a ping: nobody signs in
// again every 48 hours.
func TestNavidromeSessionRenewsItself(t *testing.T) {
	clk := &clock{t: time.Now()}
	srv := navidromeOnClock(t, clk.now)
	store := tokenstore.NewMemory()
	c := navidromeCore(t, srv, store, clk.now)
	if err := c.SignIn(context.Background(), Navidrome, SignInOptions{Username: "dave", Password: ndPassword}); err != nil {
		t.Fatal(err)
	}
	first, _ := c.current()
	if st := c.Status(); !st.Renews || !st.SignInAgainAt.IsZero() {
		t.Errorf("status %+v: want a session that renews by itself", st)
	}
	waits, fire := keepFresh(t, c)
	for range 72 { // 3 days, a renewal an hour
		if d := <-waits; d != navidromeRenewEvery {
			t.Fatalf("next renewal in %v, want %v", d, navidromeRenewEvery)
		}
		clk.advance(navidromeRenewEvery)
		fire <- clk.now()
	}
	<-waits
	s, _ := c.current()
	if st := c.Status(); st.State != SignedIn || s.AccessToken == first.AccessToken || !s.Expiry.After(clk.now().Add(47*time.Hour)) {
		t.Errorf("after three days: %v, a new JWT %v, until %v", st.State, s.AccessToken != first.AccessToken, s.Expiry)
	}
	c.Flush()
	if stored, err := store.Load(); err != nil || stored.AccessToken != s.AccessToken {
		t.Errorf("the renewed JWT was not stored: %v", err)
	}
	// A password changed meanwhile ends it at the next renewal.
	srv.SetPassword("dave", "another-pw")
	clk.advance(navidromeRenewEvery)
	fire <- clk.now()
	for deadline := time.Now().Add(5 * time.Second); c.Status().State != SignedOut; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still %+v after the password changed", c.Status())
		}
	}
	if !strings.Contains(c.Status().Notice, "was the password changed") {
		t.Errorf("notice %q", c.Status().Notice)
	}
}

func TestNavidromeWrongPassword(t *testing.T) {
	srv := startNavidrome(t)
	c := navidromeCore(t, srv, tokenstore.NewMemory(), time.Now)
	err := c.SignIn(context.Background(), Navidrome, SignInOptions{Username: "carol", Password: "wrong"})
	if err == nil || c.Status().State != SignedOut || !strings.Contains(strings.ToLower(c.Status().Notice), "wrong username or password") {
		t.Errorf("wrong password: %v, %+v", err, c.Status())
	}
	if err := c.SignIn(context.Background(), Navidrome, SignInOptions{Username: "carol"}); err == nil || !strings.Contains(err.Error(), "enter your Navidrome username and password") {
		t.Errorf("empty password: %v", err)
	}
}

func TestNavidromeCheckedAgainAfterAnOutage(t *testing.T) {
	users := []navidrometest.User{{Username: "carol", Password: ndPassword, Name: "Carol"}}
	secret := []byte("navidrome's own secret, 32 bytes")
	srv, err := navidrometest.Start(navidrometest.Options{Users: users, JWTSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	store := tokenstore.NewMemory()
	if err := navidromeCore(t, srv, store, time.Now).SignIn(context.Background(), Navidrome, SignInOptions{Username: "carol", Password: ndPassword}); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(srv.URL(), "http://")
	_ = srv.Close()

	// The next start finds Navidrome down: still signed in, and told so.
	c := navidromeCore(t, srv, store, time.Now)
	_ = c.Restore(context.Background())
	if st := c.Status(); st.State != SignedIn || !strings.Contains(st.Notice, "could not check") {
		t.Fatalf("restore while down: %+v", st)
	}
	waits, fire := keepFresh(t, c)

	if d := <-waits; d != retryInterval {
		t.Fatalf("first retry in %v", d)
	}
	// Navidrome is back (with its secret, as it keeps it): the next check
	// clears the notice, and the next is the hourly renewal.
	srv2, err := navidrometest.Start(navidrometest.Options{Addr: addr, Users: users, JWTSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	fire <- time.Now()
	if d := <-waits; d != navidromeRenewEvery {
		t.Errorf("the next check in %v after a good one, want the renewal in %v", d, navidromeRenewEvery)
	}
	if st := c.Status(); st.State != SignedIn || st.Notice != "" {
		t.Errorf("after Navidrome came back: %+v", st)
	}
}

// The hourly renewal of a fresh Navidrome session takes the cross-process
// lock and looks at the store first, like any renewal: a logout in another
// ssotray meanwhile is not undone by this process storing the session again.
func TestNavidromeRenewalAfterALogoutElsewhere(t *testing.T) {
	srv := startNavidrome(t)
	store := sharedStore{tokenstore.NewMemory()}
	c := navidromeCore(t, srv, store, time.Now)
	lock := &fakeLock{}
	c.deps.RenewLock = lock
	if err := c.SignIn(context.Background(), Navidrome, SignInOptions{Username: "dave", Password: ndPassword}); err != nil {
		t.Fatal(err)
	}
	lock.beforeGrant = func() {
		_ = store.Delete()
		lock.stamp = "stamp-logout"
	}
	if _, err := c.renew(context.Background(), c.methods[Navidrome].refresh, renewal{due: true}); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("renewal after a logout elsewhere: %v", err)
	}
	if locks, _ := lock.counts(); locks != 1 {
		t.Errorf("the renewal took the lock %d times, want 1", locks)
	}
	c.Flush()
	if _, err := store.Load(); !errors.Is(err, tokenstore.ErrNotFound) {
		t.Errorf("the session came back: %v", err)
	}
	if st := c.Status(); st.State != SignedOut {
		t.Errorf("still %v after a logout elsewhere", st.State)
	}
}

// A JWT that Navidrome refuses before its expiry (the server's secret
// changed) cannot be renewed: said once, not tried again every 30 s.
func TestNavidromeRefusedJWTIsNotRetried(t *testing.T) {
	users := []navidrometest.User{{Username: "dave", Password: ndPassword}}
	srv, err := navidrometest.Start(navidrometest.Options{Users: users})
	if err != nil {
		t.Fatal(err)
	}
	store := tokenstore.NewMemory()
	c := navidromeCore(t, srv, store, time.Now)
	if err := c.SignIn(context.Background(), Navidrome, SignInOptions{Username: "dave", Password: ndPassword}); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(srv.URL(), "http://")
	_ = srv.Close()
	srv2, err := navidrometest.Start(navidrometest.Options{Addr: addr, Users: users}) // a new secret
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	_, err = c.renew(context.Background(), c.methods[Navidrome].refresh, renewal{due: true})
	if !errors.Is(err, errCannotRenew) {
		t.Fatalf("renewal of a refused JWT: %v", err)
	}
	if st := c.Status(); st.State != SignedIn || !strings.Contains(st.Notice, "sign in again with `ssotray login --method navidrome`") {
		t.Errorf("status %+v", st)
	}
	if d, ok := c.nextRenewal(); !ok || d != navidromeRenewEvery {
		t.Errorf("next renewal in %v (%v), want the hourly one, not a retry", d, ok)
	}
}

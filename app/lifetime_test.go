package app

import (
	"context"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/tokenstore"
)

func TestStatusSaysWhenToSignInAgain(t *testing.T) {
	const hour = time.Hour
	authentik := func(refresh string, expiresIn time.Duration) func(now time.Time) *tokenstore.Session {
		return func(now time.Time) *tokenstore.Session {
			return &tokenstore.Session{Method: string(Authentik), Server: "https://idp.example/", Subject: "sub-alice",
				AccessToken: "at", RefreshToken: refresh, Expiry: now.Add(expiresIn)}
		}
	}
	navidrome := func(now time.Time) *tokenstore.Session {
		return &tokenstore.Session{Method: string(Navidrome), Server: "https://music.example/", Subject: "nd-1",
			AccessToken: "jwt", Expiry: now.Add(48 * hour)}
	}
	tests := []struct {
		name    string
		session func(now time.Time) *tokenstore.Session
		kiosk   bool
		limit   time.Duration
		renews  bool
		again   time.Duration // from the sign-in; 0 means none known
	}{
		{name: "Authentik with a refresh token renews: no date", session: authentik("rt", 5*time.Minute), renews: true},
		{name: "Authentik without a refresh token ends with its access token", session: authentik("", 5*time.Minute), again: 5 * time.Minute},
		{name: "Navidrome's JWT renews before it expires: no date", session: navidrome, renews: true},
		{name: "a kiosk's limit ends a renewing session", session: authentik("rt", 5*time.Minute), kiosk: true, limit: hour, renews: true, again: hour},
		{name: "a kiosk's limit ends a Navidrome session", session: navidrome, kiosk: true, limit: hour, renews: true, again: hour},
		{name: "an expiry before the kiosk's limit", session: authentik("", 10*time.Minute), kiosk: true, limit: hour, again: 10 * time.Minute},
		{name: "a kiosk without a limit", session: authentik("rt", 5*time.Minute), kiosk: true, renews: true},
		{name: "a limit outside a kiosk counts for nothing", session: authentik("rt", 5*time.Minute), limit: hour, renews: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, clk := newTestCore(t, tokenstore.NewMemory())
			c.deps.Kiosk = tt.kiosk
			c.deps.Config.Kiosk = config.Kiosk{Enabled: tt.kiosk, IdleTimeout: config.Duration(5 * time.Minute), SessionLimit: config.Duration(tt.limit)}
			now := clk.now()
			c.setSession(tt.session(now), "")
			st := c.Status()
			var want time.Time
			if tt.again > 0 {
				want = now.Add(tt.again)
			}
			if st.Renews != tt.renews || !st.SignInAgainAt.Equal(want) {
				t.Errorf("Renews %v, SignInAgainAt %v; want %v, %v", st.Renews, st.SignInAgainAt, tt.renews, want)
			}
		})
	}
}

// A renewal is the same session: the kiosk's limit still counts from the sign-in.
func TestKioskLimitCountsFromTheSignInThroughRenewals(t *testing.T) {
	c, _, clk := newTestCore(t, tokenstore.NewMemory())
	c.deps.Kiosk = true
	c.deps.Config.Kiosk = config.Kiosk{Enabled: true, IdleTimeout: config.Duration(5 * time.Minute), SessionLimit: config.Duration(time.Hour)}
	signedIn := clk.now()
	if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	clk.advance(20 * time.Minute)
	if _, err := c.AccessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := c.Status()
	if !st.ExpiresAt.After(signedIn.Add(20*time.Minute)) || !st.Renews || !st.SignInAgainAt.Equal(signedIn.Add(time.Hour)) {
		t.Errorf("after a renewal: expires %v, renews %v, sign in again at %v; want the limit from %v", st.ExpiresAt, st.Renews, st.SignInAgainAt, signedIn)
	}
}

func TestSessionLine(t *testing.T) {
	now := time.Date(2030, 3, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		st   Status
		want string
	}{
		{"renews by itself", Status{Renews: true, ExpiresAt: now.Add(5 * time.Minute)},
			"Renews by itself; no need to sign in again"},
		{"a kiosk's limit, today", Status{Renews: true, SignInAgainAt: now.Add(time.Hour)},
			"Until 13:00 today, then sign in again"},
		{"Navidrome's JWT, in two days", Status{SignInAgainAt: now.Add(48 * time.Hour)},
			"Until Wed 6 Mar, 12:00, then sign in again"},
		{"next year", Status{SignInAgainAt: time.Date(2031, 1, 2, 9, 30, 0, 0, time.UTC)},
			"Until Thu 2 Jan 2031, 09:30, then sign in again"},
		{"nothing known", Status{ExpiresAt: now.Add(5 * time.Minute)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.st.SessionLine(now); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

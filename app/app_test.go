package app

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/tokenstore"
)

// fakeMethod stands in for a sign-in method so the state machine can be
// driven without a provider; the real method is covered end to end.
type fakeMethod struct {
	mu         sync.Mutex
	srv        string
	signInErr  error
	refreshErr error
	refreshes  int
	signOuts   []bool
	block      chan struct{}
	expiresIn  time.Duration
	now        func() time.Time
}

func (f *fakeMethod) server() string { return f.srv }

func (f *fakeMethod) signIn(ctx context.Context, _ SignInOptions) (*tokenstore.Session, error) {
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.signInErr != nil {
		return nil, f.signInErr
	}
	return &tokenstore.Session{Method: "authentik", Server: f.srv, Username: "alice", Name: "Alice", Groups: []string{"users"},
		AccessToken: "at1", RefreshToken: "rt1", Expiry: f.now().Add(f.expiresIn)}, nil
}

func (f *fakeMethod) resume(ctx context.Context, s *tokenstore.Session) (*tokenstore.Session, error) {
	if fresh(s, f.now()) {
		return s, nil
	}
	return f.refresh(ctx, s)
}

func (f *fakeMethod) refresh(_ context.Context, s *tokenstore.Session) (*tokenstore.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refreshes++
	if f.refreshErr != nil {
		return nil, f.refreshErr
	}
	ns := *s
	ns.AccessToken = "at-refreshed"
	ns.Expiry = f.now().Add(f.expiresIn)
	return &ns, nil
}

func (f *fakeMethod) signOut(_ context.Context, _ *tokenstore.Session, local bool) []error {
	f.signOuts = append(f.signOuts, local)
	return nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// failingStore is a keyring that cannot be used.
type failingStore struct{}

func (failingStore) Load() (*tokenstore.Session, error) {
	return nil, &tokenstore.UnavailableError{Err: errors.New("The name org.freedesktop.secrets was not provided by any .service files")}
}
func (failingStore) Save(*tokenstore.Session) error {
	return &tokenstore.UnavailableError{Err: errors.New("The name org.freedesktop.secrets was not provided by any .service files")}
}
func (failingStore) Delete() error   { return nil }
func (failingStore) Remembers() bool { return true }

func newTestCore(t *testing.T, store tokenstore.Store) (*Core, *fakeMethod, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	cfg := config.Default()
	cfg.Authentik.Enabled = false // the fake replaces the real method
	c := New(Deps{Config: &cfg, Store: store, Now: clk.now})
	f := &fakeMethod{srv: "https://idp.example/", expiresIn: 5 * time.Minute, now: clk.now}
	c.methods[Authentik] = f
	return c, f, clk
}

func TestSignInStoresAndNotifies(t *testing.T) {
	store := tokenstore.NewMemory()
	c, _, _ := newTestCore(t, store)
	var seen []State
	c.Subscribe(func(s Status) { seen = append(seen, s.State) })
	if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	st := c.Status()
	if st.State != SignedIn || st.Profile.Username != "alice" || st.Method != Authentik {
		t.Errorf("status %+v", st)
	}
	if got := stateNames(seen); got != "signing in,signed in" {
		t.Errorf("observers saw %s", got)
	}
	if s, err := store.Load(); err != nil || s.RefreshToken != "rt1" {
		t.Errorf("stored %v %v", s, err)
	}
}

func stateNames(states []State) string {
	var out []string
	for _, s := range states {
		out = append(out, s.String())
	}
	return strings.Join(out, ",")
}

func TestRestore(t *testing.T) {
	tests := []struct {
		name          string
		age           time.Duration // how long after sign-in the restore happens
		refreshErr    error
		wantState     State
		wantRefreshes int
		wantStored    bool
		wantNotice    string
	}{
		{"fresh token needs no network", time.Minute, nil, SignedIn, 0, true, ""},
		{"expired token is refreshed silently", 10 * time.Minute, nil, SignedIn, 1, true, ""},
		{"token about to expire is refreshed", 5*time.Minute - 10*time.Second, nil, SignedIn, 1, true, ""},
		{"refused refresh signs out", 10 * time.Minute, errSessionEnded, SignedOut, 1, false, "sign in again"},
		{"unreachable provider keeps the session", 10 * time.Minute, errors.New("cannot reach"), SignedIn, 1, true, "could not check or renew the session: cannot reach"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := tokenstore.NewMemory()
			c, f, clk := newTestCore(t, store)
			if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
				t.Fatal(err)
			}
			// A new process: new core, same store.
			c2, f2, _ := newTestCore(t, store)
			*f2 = fakeMethod{srv: f.srv, expiresIn: f.expiresIn, now: f.now, refreshErr: tt.refreshErr}
			c2.deps.Now = func() time.Time { return clk.t.Add(tt.age) }
			f2.now = c2.deps.Now
			err := c2.Restore(context.Background())
			st := c2.Status()
			if st.State != tt.wantState || f2.refreshes != tt.wantRefreshes || !strings.Contains(st.Notice, tt.wantNotice) {
				t.Errorf("state %v refreshes %d notice %q (err %v)", st.State, f2.refreshes, st.Notice, err)
			}
			if _, err := store.Load(); (err == nil) != tt.wantStored {
				t.Errorf("stored: %v", err)
			}
		})
	}
}

func TestRestoreIgnoresSessionOfAnotherServer(t *testing.T) {
	store := tokenstore.NewMemory()
	_ = store.Save(&tokenstore.Session{Method: "authentik", Server: "https://old.example/", AccessToken: "x"})
	c, f, _ := newTestCore(t, store)
	if err := c.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := c.Status(); st.State != SignedOut || !strings.Contains(st.Notice, "no longer configured") || f.refreshes != 0 {
		t.Errorf("status %+v", st)
	}
}

func TestAccessTokenRefreshesWhenExpired(t *testing.T) {
	c, f, clk := newTestCore(t, tokenstore.NewMemory())
	if _, err := c.AccessToken(context.Background()); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("signed out: %v", err)
	}
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	if tok, _ := c.AccessToken(context.Background()); tok != "at1" || f.refreshes != 0 {
		t.Errorf("fresh token %q after %d refreshes", tok, f.refreshes)
	}
	clk.t = clk.t.Add(6 * time.Minute)
	if tok, _ := c.AccessToken(context.Background()); tok != "at-refreshed" || f.refreshes != 1 {
		t.Errorf("expired token %q after %d refreshes", tok, f.refreshes)
	}
	f.refreshErr = errSessionEnded
	clk.t = clk.t.Add(6 * time.Minute)
	if _, err := c.AccessToken(context.Background()); !errors.Is(err, errSessionEnded) || c.Status().State != SignedOut {
		t.Errorf("refused refresh: %v, %v", err, c.Status().State)
	}
	// Signed out for good: no refresh loop.
	if _, err := c.AccessToken(context.Background()); !errors.Is(err, ErrNotSignedIn) || f.refreshes != 2 {
		t.Errorf("after sign-out: %v, %d refreshes", err, f.refreshes)
	}
}

func TestKeyringUnavailableStillSignsIn(t *testing.T) {
	c, _, _ := newTestCore(t, failingStore{})
	if err := c.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := c.Status(); st.State != SignedOut || !strings.Contains(st.Notice, "no Secret Service") {
		t.Errorf("restore: %+v", st)
	}
	if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	st := c.Status()
	if st.State != SignedIn || st.Remembered || !strings.Contains(st.Notice, "will not be remembered") || strings.Count(st.Notice, "\n") != 0 {
		t.Errorf("sign-in without keyring: %+v", st)
	}
	if tok, err := c.AccessToken(context.Background()); err != nil || tok != "at1" {
		t.Errorf("token in this process: %q %v", tok, err)
	}
}

func TestSignInFailureRestoresPreviousState(t *testing.T) {
	c, f, _ := newTestCore(t, tokenstore.NewMemory())
	f.signInErr = errors.New("wrong password")
	if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err == nil {
		t.Fatal("no error")
	}
	if st := c.Status(); st.State != SignedOut || st.Notice != "wrong password" {
		t.Errorf("after failure: %+v", st)
	}
}

func TestSecondSignInIsRefusedWhileOneRuns(t *testing.T) {
	c, f, _ := newTestCore(t, tokenstore.NewMemory())
	f.block = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.SignIn(ctx, Authentik, SignInOptions{}) }()
	for c.Status().State != SigningIn {
		time.Sleep(time.Millisecond)
	}
	if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); !errors.Is(err, ErrBusy) {
		t.Errorf("second sign-in: %v", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || c.Status().State != SignedOut {
		t.Errorf("cancelled sign-in: %v, %v", err, c.Status().State)
	}
}

func TestSignOut(t *testing.T) {
	store := tokenstore.NewMemory()
	c, f, _ := newTestCore(t, store)
	if err := c.SignOut(context.Background(), SignOutOptions{}); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("signed out already: %v", err)
	}
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	// Another process signs out: it never restored the session.
	c2, f2, _ := newTestCore(t, store)
	if err := c2.SignOut(context.Background(), SignOutOptions{Local: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(); !errors.Is(err, tokenstore.ErrNotFound) || len(f2.signOuts) != 1 || !f2.signOuts[0] {
		t.Errorf("store %v, sign-outs %v", err, f2.signOuts)
	}
	_ = f
}

func TestDisabledMethod(t *testing.T) {
	c, _, _ := newTestCore(t, tokenstore.NewMemory())
	err := c.SignIn(context.Background(), Navidrome, SignInOptions{})
	if err == nil || !strings.Contains(err.Error(), "navidrome.enabled: true") {
		t.Errorf("disabled method: %v", err)
	}
}

package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/launch"
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
	user       string // who signs in; "" is alice
	used       map[string]bool
	signOuts   []bool
	revoked    []string // refresh tokens signed out
	block      chan struct{}
	// refreshStarted and refreshGo hold a refresh in the middle.
	refreshStarted, refreshGo chan struct{}
	expiresIn                 time.Duration
	// signOutStarted, when set, gets the context of each sign-out at the
	// server, which then hangs until that context ends.
	signOutStarted chan context.Context
	signOutGo      chan struct{}
	now            func() time.Time
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
	user := cmp.Or(f.user, "alice")
	return &tokenstore.Session{Method: "authentik", Server: f.srv, Subject: "sub-" + user, Username: user, Name: user, Groups: []string{"users"},
		AccessToken: "at1", RefreshToken: "rt1", Expiry: f.now().Add(f.expiresIn)}, nil
}

func (f *fakeMethod) resume(ctx context.Context, s *tokenstore.Session) (*tokenstore.Session, error) {
	if fresh(s, f.now()) {
		return s, nil
	}
	return f.refresh(ctx, s)
}

// refresh rotates the refresh token like Authentik: a token works once.
func (f *fakeMethod) refresh(_ context.Context, s *tokenstore.Session) (*tokenstore.Session, error) {
	if f.refreshStarted != nil {
		f.refreshStarted <- struct{}{}
		<-f.refreshGo
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refreshes++
	if f.refreshErr != nil {
		return nil, f.refreshErr
	}
	if f.used[s.RefreshToken] {
		return nil, errSessionEnded
	}
	if f.used == nil {
		f.used = map[string]bool{}
	}
	f.used[s.RefreshToken] = true
	ns := *s
	ns.AccessToken = "at-refreshed"
	ns.RefreshToken = fmt.Sprintf("rt-%d", f.refreshes+1)
	ns.Expiry = f.now().Add(f.expiresIn)
	return &ns, nil
}

func (f *fakeMethod) signOut(ctx context.Context, s *tokenstore.Session, local bool) (SignOutReport, []error) {
	if f.signOutStarted != nil {
		f.signOutStarted <- ctx
		select { // a provider that does not answer, until the test lets it
		case <-ctx.Done():
		case <-f.signOutGo:
		}
	}
	f.signOuts = append(f.signOuts, local)
	f.revoked = append(f.revoked, s.RefreshToken)
	return SignOutReport{Revoked: true, PageOpened: !local}, nil
}

// clock is a fake clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// manualAfter is a timer the test fires by hand: each request for a timer
// shows up on waits (so the test knows the code is waiting), and fire
// fires it. Requests stop blocking once ctx ends.
func manualAfter(ctx context.Context) (after func(time.Duration) <-chan time.Time, waits chan time.Duration, fire chan time.Time) {
	waits, fire = make(chan time.Duration), make(chan time.Time)
	after = func(d time.Duration) <-chan time.Time {
		select {
		case waits <- d:
		case <-ctx.Done():
		}
		return fire
	}
	return after, waits, fire
}

// keyringLike is a memory store that says it remembers, as a keyring does.
type keyringLike struct{ *tokenstore.Memory }

func (keyringLike) Remembers() bool { return true }

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

// A sign-in stopped by Ctrl-C or Cancel says so in the same words whatever
// step it was at (looking up the provider, waiting for Navidrome), not
// what the interrupted request said.
func TestSignInCancelledSaysSo(t *testing.T) {
	for _, methodErr := range []error{
		errors.New(`cannot reach the identity provider at https://auth.example.org/ (Get "https://auth.example.org/": context canceled)`),
		fmt.Errorf("the request to Navidrome at https://music.example.org was cancelled: %w", context.Canceled),
	} {
		c, f, _ := newTestCore(t, tokenstore.NewMemory())
		f.signInErr = methodErr
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := c.SignIn(ctx, Authentik, SignInOptions{})
		if !errors.Is(err, ErrSignInCancelled) || !errors.Is(err, context.Canceled) || err.Error() != "sign-in cancelled" {
			t.Errorf("%v: got %v", methodErr, err)
		}
		if st := c.Status(); st.State != SignedOut || st.Notice != "sign-in cancelled" {
			t.Errorf("status after the cancel: %+v", st)
		}
	}
	// Not cancelled: the method's own words.
	c, f, _ := newTestCore(t, tokenstore.NewMemory())
	f.signInErr = errors.New("access_denied: Permission denied")
	if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err == nil || err.Error() != "access_denied: Permission denied" {
		t.Errorf("a refusal: %v", err)
	}
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
			c2.deps.Now = func() time.Time { return clk.now().Add(tt.age) }
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

// TestStartingUntilRestore: a new core knows no state until its first look
// at the store, and leaves Starting whatever that look finds.
// A store that keeps nothing (a kiosk's) has nothing to look for.
func TestStartingUntilRestore(t *testing.T) {
	stored := keyringLike{tokenstore.NewMemory()}
	if c, _, _ := newTestCore(t, stored); c.SignIn(context.Background(), Authentik, SignInOptions{}) != nil {
		t.Fatal("sign-in")
	}
	for _, tt := range []struct {
		name   string
		store  tokenstore.Store
		before State
		want   State
		notice string
	}{
		{"nothing stored", keyringLike{tokenstore.NewMemory()}, Starting, SignedOut, ""},
		{"a session stored", stored, Starting, SignedIn, ""},
		{"keyring unavailable", failingStore{}, Starting, SignedOut, "sessions cannot be remembered"},
		{"a store that keeps nothing", tokenstore.NewMemory(), SignedOut, SignedOut, ""},
	} {
		c, _, _ := newTestCore(t, tt.store)
		if st := c.Status(); st.State != tt.before {
			t.Errorf("%s: before Restore %v, want %v", tt.name, st.State, tt.before)
		}
		_ = c.Restore(context.Background())
		if st := c.Status(); st.State != tt.want || !strings.Contains(st.Notice, tt.notice) {
			t.Errorf("%s: after Restore %v %q, want %v %q", tt.name, st.State, st.Notice, tt.want, tt.notice)
		}
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
	clk.advance(6 * time.Minute)
	if tok, _ := c.AccessToken(context.Background()); tok != "at-refreshed" || f.refreshes != 1 {
		t.Errorf("expired token %q after %d refreshes", tok, f.refreshes)
	}
	f.refreshErr = errSessionEnded
	clk.advance(6 * time.Minute)
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

// TestSignInFailureRestoresPreviousState, except Starting: a failure is
// shown on the sign-in screen even before the store was read.
func TestSignInFailureRestoresPreviousState(t *testing.T) {
	c, f, _ := newTestCore(t, keyringLike{tokenstore.NewMemory()})
	f.signInErr = errors.New("wrong password")
	for _, before := range []State{Starting, SignedOut} {
		if st := c.Status(); st.State != before {
			t.Fatalf("before: %v, want %v", st.State, before)
		}
		if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err == nil {
			t.Fatal("no error")
		}
		if st := c.Status(); st.State != SignedOut || st.Notice != "wrong password" {
			t.Errorf("after failure from %v: %+v", before, st)
		}
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

func TestSignOutReport(t *testing.T) {
	for _, tt := range []struct {
		r    SignOutReport
		want string
	}{
		{SignOutReport{Method: Authentik, Revoked: true, PageOpened: true}, "Signed out: your tokens were revoked; the identity provider's sign-out page was opened in your browser (if it offers to log you out of authentik, do so to end your session there too)."},
		{SignOutReport{Method: Authentik, Revoked: true, PageOpened: true, BrowsersClosed: true}, "Signed out: your tokens were revoked; the browser windows ssotray opened were closed."},
		{SignOutReport{Method: Authentik, Revoked: true}, "Signed out: your tokens were revoked."},
		{SignOutReport{Method: Authentik}, "Signed out here."},
		{SignOutReport{Method: Navidrome}, "Signed out: Navidrome has no sign-out: its token ends when it expires."},
	} {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("%+v:\n got %q\nwant %q", tt.r, got, tt.want)
		}
	}
}

func TestSignOut(t *testing.T) {
	store := tokenstore.NewMemory()
	c, f, _ := newTestCore(t, store)
	if _, err := c.SignOut(context.Background(), SignOutOptions{}); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("signed out already: %v", err)
	}
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	// Another process signs out: it never restored the session.
	c2, f2, _ := newTestCore(t, store)
	if _, err := c2.SignOut(context.Background(), SignOutOptions{Local: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(); !errors.Is(err, tokenstore.ErrNotFound) || len(f2.signOuts) != 1 || !f2.signOuts[0] {
		t.Errorf("store %v, sign-outs %v", err, f2.signOuts)
	}
	// The first process signs out too, with the browser step.
	r, err := c.SignOut(context.Background(), SignOutOptions{Reason: "Bye."})
	if err != nil || len(f.signOuts) != 1 || f.signOuts[0] || c.Status().State != SignedOut {
		t.Errorf("sign-out: %v, %v, %v", err, f.signOuts, c.Status().State)
	}
	if want := (SignOutReport{Method: Authentik, Revoked: true, PageOpened: true}); r != want || c.Status().Notice != "Bye: your tokens were revoked; the identity provider's sign-out page was opened in your browser (if it offers to log you out of authentik, do so to end your session there too)." {
		t.Errorf("report %+v, notice %q", r, c.Status().Notice)
	}
	// A session made with another server never reaches this one's sign-out.
	_ = store.Save(&tokenstore.Session{Method: "authentik", Server: "https://old.example/", RefreshToken: "old-rt"})
	c3, f3, _ := newTestCore(t, store)
	if _, err := c3.SignOut(context.Background(), SignOutOptions{}); err != nil || len(f3.signOuts) != 0 {
		t.Errorf("sign-out of another server's session: %v, %v", err, f3.signOuts)
	}
	if _, err := store.Load(); !errors.Is(err, tokenstore.ErrNotFound) {
		t.Errorf("another server's session kept: %v", err)
	}
}

func TestConcurrentRefreshesRefreshOnce(t *testing.T) {
	store := tokenstore.NewMemory()
	c, f, clk := newTestCore(t, store)
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	clk.advance(10 * time.Minute)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.AccessToken(context.Background())
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("a concurrent caller failed: %v", err)
		}
	}
	if f.refreshes != 1 || c.Status().State != SignedIn {
		t.Errorf("%d refreshes, %v", f.refreshes, c.Status().State)
	}
}

func TestAnotherProcessRefreshedFirst(t *testing.T) {
	store := tokenstore.NewMemory()
	c1, f, clk := newTestCore(t, store)
	_ = c1.SignIn(context.Background(), Authentik, SignInOptions{})
	clk.advance(10 * time.Minute)
	// Process 2 restores the same session and refreshes it; then process 1,
	// still holding the rotated-out token, needs a token.
	c2, f2, _ := newTestCore(t, store)
	c2.deps.Now, f2.now = clk.now, clk.now
	_ = c2.Restore(context.Background())
	c2.Flush()       // process 2's renewed session has reached the store
	f.used = f2.used // one provider behind both processes
	tok, err := c1.AccessToken(context.Background())
	if err != nil || tok != "at-refreshed" || c1.Status().State != SignedIn {
		t.Errorf("process 1 after process 2 refreshed: %q %v %v", tok, err, c1.Status().State)
	}
	if _, err := store.Load(); err != nil {
		t.Errorf("the good session was deleted: %v", err)
	}
}

func TestSignOutDuringRefreshStaysSignedOut(t *testing.T) {
	store := tokenstore.NewMemory()
	c, f, clk := newTestCore(t, store)
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	clk.advance(10 * time.Minute)
	f.refreshStarted, f.refreshGo = make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() { _, err := c.AccessToken(context.Background()); done <- err }()
	<-f.refreshStarted
	if _, err := c.SignOut(context.Background(), SignOutOptions{Local: true}); err != nil {
		t.Fatal(err)
	}
	close(f.refreshGo)
	if err := <-done; !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("refresh that lost the race: %v", err)
	}
	if _, err := store.Load(); !errors.Is(err, tokenstore.ErrNotFound) || c.Status().State != SignedOut {
		t.Errorf("a late refresh brought the session back: %v %v", err, c.Status().State)
	}
}

func TestDisabledMethod(t *testing.T) {
	c, _, _ := newTestCore(t, tokenstore.NewMemory())
	err := c.SignIn(context.Background(), Navidrome, SignInOptions{})
	if err == nil || !strings.Contains(err.Error(), "navidrome.enabled: true") {
		t.Errorf("disabled method: %v", err)
	}
}

func TestExtrasNeverOutliveTheirPerson(t *testing.T) {
	c, f, _ := newTestCore(t, tokenstore.NewMemory())
	c.deps.Config.Apps = []config.App{{Name: "Music", URL: "https://music.example.com"}}
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	c.change(func() {
		c.extras = &extras{subject: "sub-alice", avatar: []byte("alice.png"), groups: []string{"inherited"}, apps: []launch.App{{Name: "Alice only", URL: "https://a.example.com"}}}
		c.applyExtrasLocked()
	})
	names := func() string {
		var out []string
		for _, a := range c.Apps() {
			out = append(out, a.Name)
		}
		return strings.Join(out, ",")
	}
	if got := names(); got != "Music,Alice only" || string(c.Status().Avatar) != "alice.png" || !slices.Contains(c.Status().Profile.Groups, "inherited") {
		t.Fatalf("alice's extras not shown: %s %+v", got, c.Status())
	}
	// A refresh keeps them: same person.
	c.setSession(&tokenstore.Session{Method: "authentik", Server: f.srv, Subject: "sub-alice", Username: "alice"}, "")
	if got := names(); got != "Music,Alice only" || c.Status().Avatar == nil {
		t.Errorf("a refresh dropped alice's extras: %s", got)
	}
	// Bob comes next: nothing of alice's.
	_, _ = c.SignOut(context.Background(), SignOutOptions{Local: true})
	f.user = "bob"
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	if got := names(); got != "Music" || c.Status().Avatar != nil || slices.Contains(c.Status().Profile.Groups, "inherited") {
		t.Errorf("bob sees alice's extras: %s %+v", got, c.Status())
	}
	if err := c.OpenApp(context.Background(), "Alice only"); err == nil {
		t.Error("bob could open alice's imported app")
	}
}

// A kiosk sign-out closes the browsers first, opens no end-session page
// (the private windows it would need are gone), and the desktop sign-out
// closes nothing.
func TestKioskSignOutClosesBrowsersFirst(t *testing.T) {
	for _, kiosk := range []bool{false, true} {
		c, f, _ := newTestCore(t, tokenstore.NewMemory())
		var order []string
		c.deps.Kiosk = kiosk
		c.deps.After = func(d time.Duration) <-chan time.Time {
			t.Errorf("kiosk %v: the sign-out waited %s for something", kiosk, d)
			return nil
		}
		c.deps.CloseBrowsers = func() error {
			order = append(order, fmt.Sprintf("close after %d sign-outs at the server, state %v", len(f.signOuts), c.Status().State))
			return nil
		}
		_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
		report, err := c.SignOut(context.Background(), SignOutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want, local := "", false
		if kiosk {
			want, local = "close after 0 sign-outs at the server, state signed out", true
		}
		if got := strings.Join(order, ","); got != want {
			t.Errorf("kiosk %v: %q, want %q", kiosk, got, want)
		}
		if len(f.signOuts) != 1 || f.signOuts[0] != local {
			t.Errorf("kiosk %v: sign-outs at the server (local?) %v, want [%v]", kiosk, f.signOuts, local)
		}
		if report.BrowsersClosed != kiosk {
			t.Errorf("kiosk %v: report %+v", kiosk, report)
		}
	}
}

// In a kiosk an app whose browser is starting as the sign-out begins is
// closed with the others: it is never left open for the next person.
func TestKioskAppOpenedDuringSignOutIsClosed(t *testing.T) {
	c, _, _ := newTestCore(t, tokenstore.NewMemory())
	c.deps.Kiosk = true
	c.deps.Config.Apps = []config.App{{Name: "wiki", URL: "https://wiki.example.org/"}}
	var mu sync.Mutex
	var order []string
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	starting, release := make(chan struct{}), make(chan struct{})
	c.deps.Browser = func(context.Context, string) error {
		close(starting)
		<-release
		note("browser started")
		return nil
	}
	c.deps.CloseBrowsers = func() error { note("browsers closed"); return nil }
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})

	opened := make(chan error, 1)
	go func() { opened <- c.OpenApp(context.Background(), "wiki") }()
	<-starting
	if c.signOutMu.TryLock() { // a sign-out now would not wait for the browser
		c.signOutMu.Unlock()
		t.Fatal("the browser starts while a sign-out may run")
	}
	signedOut := make(chan struct{})
	go func() { _, _ = c.SignOut(context.Background(), SignOutOptions{}); close(signedOut) }()
	close(release)
	if err := <-opened; err != nil {
		t.Fatal(err)
	}
	<-signedOut
	mu.Lock()
	got := strings.Join(order, ", ")
	mu.Unlock()
	if got != "browser started, browsers closed" {
		t.Errorf("%s, want the browser closed after it started", got)
	}
	// After the sign-out no app opens.
	if err := c.OpenApp(context.Background(), "wiki"); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("open after the sign-out: %v", err)
	}
}

// A kiosk whose browsers would not end says so rather than claim it.
func TestKioskSignOutSaysWhenBrowsersStayOpen(t *testing.T) {
	c, _, _ := newTestCore(t, tokenstore.NewMemory())
	c.deps.Kiosk = true
	c.deps.CloseBrowsers = func() error { return errors.New("browser processes 4242 still run 2.5s after they were told to end") }
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	report, err := c.SignOut(context.Background(), SignOutOptions{})
	if report.BrowsersClosed || err == nil || !strings.Contains(err.Error(), "4242 still run") {
		t.Errorf("report %+v, err %v", report, err)
	}
}

// The revocation of a kiosk sign-out has a short deadline, and the next
// person's sign-in does not wait for it.
func TestKioskRevocationIsShortAndHoldsNobody(t *testing.T) {
	c, f, _ := newTestCore(t, tokenstore.NewMemory())
	c.deps.Kiosk = true
	c.deps.CloseBrowsers = func() error { return nil }
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	f.signOutStarted, f.signOutGo = make(chan context.Context, 1), make(chan struct{})
	signedOut := make(chan struct{})
	go func() { _, _ = c.SignOut(context.Background(), SignOutOptions{}); close(signedOut) }()
	ctx := <-f.signOutStarted
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > kioskRevokeWait {
		t.Errorf("the revocation's deadline is %v (%v), want within %s", d, ok, kioskRevokeWait)
	}
	if st := c.Status().State; st != SignedOut {
		t.Errorf("the screen waits for the revocation: state %v", st)
	}
	f.user = "bob"
	f.signOutStarted = nil
	done := make(chan error, 1)
	go func() { done <- c.SignIn(context.Background(), Authentik, SignInOptions{}) }()
	select {
	case err := <-done:
		if err != nil || c.Status().Profile.Username != "bob" {
			t.Errorf("the next sign-in: %v, %+v", err, c.Status())
		}
	case <-time.After(kioskRevokeWait / 2):
		t.Error("the next sign-in waited for the last person's revocation")
	}
	close(f.signOutGo)
	<-signedOut
	// The revocation ending later does not cover the new person's screen.
	if st := c.Status(); st.State != SignedIn || st.Notice != "" {
		t.Errorf("after the late revocation: %+v", st)
	}
}

func TestSignInWaitsForASignOutUnderWay(t *testing.T) {
	c, f, _ := newTestCore(t, tokenstore.NewMemory())
	c.deps.Kiosk = true
	closing := make(chan struct{})
	var closedAt []int
	c.deps.CloseBrowsers = func() error {
		<-closing
		closedAt = append(closedAt, len(f.signOuts))
		return nil
	}
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	signedOut := make(chan struct{})
	go func() { _, _ = c.SignOut(context.Background(), SignOutOptions{}); close(signedOut) }()
	for c.Status().State != SignedOut {
		time.Sleep(time.Millisecond)
	}
	// The next person is quick: the sign-in must wait until the last
	// person's browsers are closed, or their new browser would be closed too.
	signedIn := make(chan struct{})
	go func() { _ = c.SignIn(context.Background(), Authentik, SignInOptions{}); close(signedIn) }()
	select {
	case <-signedIn:
		t.Fatal("the sign-in ran during the sign-out")
	case <-time.After(100 * time.Millisecond):
	}
	close(closing)
	<-signedOut
	<-signedIn
	if len(closedAt) != 1 || c.Status().State != SignedIn {
		t.Errorf("browsers closed %v, state %v", closedAt, c.Status().State)
	}
}

// gatedStore holds every Save until the test opens the gate: a keyring
// that is slow to write.
type gatedStore struct {
	*tokenstore.Memory
	gate chan struct{}
}

func (g *gatedStore) Save(s *tokenstore.Session) error {
	<-g.gate
	return g.Memory.Save(s)
}

// A renewal hands out the new token without waiting for the keyring, and
// the write still lands before anything asked for after it: a sign-out's
// delete is not undone by a late write of the renewed session.
// renewedBehindAGate is a core over a gatedStore (lock its renewal lock,
// nil for none), signed in (its own save let through) and renewed: the
// renewed session's save waits at the gate.
func renewedBehindAGate(t *testing.T, lock RenewLock) (*Core, *gatedStore) {
	t.Helper()
	store := &gatedStore{Memory: tokenstore.NewMemory(), gate: make(chan struct{})}
	c, _, clk := newTestCore(t, store)
	c.deps.RenewLock = lock
	signedIn := make(chan error)
	go func() { signedIn <- c.SignIn(context.Background(), Authentik, SignInOptions{}) }()
	store.gate <- struct{}{} // the sign-in's own save
	if err := <-signedIn; err != nil {
		t.Fatal(err)
	}
	clk.advance(10 * time.Minute)
	if tok, err := c.AccessToken(context.Background()); err != nil || tok != "at-refreshed" {
		t.Fatalf("renewal while the keyring is slow: %q %v", tok, err)
	}
	return c, store
}

func TestRenewalDoesNotWaitForTheKeyring(t *testing.T) {
	c, store := renewedBehindAGate(t, nil)
	signedOut := make(chan error)
	go func() { _, err := c.SignOut(context.Background(), SignOutOptions{}); signedOut <- err }()
	select {
	case err := <-signedOut:
		t.Fatalf("the sign-out did not wait for the pending write: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(store.gate) // the renewed session reaches the keyring, then the sign-out
	if err := <-signedOut; err != nil {
		t.Fatal(err)
	}
	c.Flush()
	if s, err := store.Load(); !errors.Is(err, tokenstore.ErrNotFound) {
		t.Errorf("after the sign-out the store holds %v (%v)", s, err)
	}
}

// keptStore keeps its session: every delete fails, as a locked keyring does.
type keptStore struct{ *tokenstore.Memory }

func (keptStore) Delete() error { return errors.New("locked collection") }

func TestSignOutClaimsNothingWhileTheKeyringKeepsTheSession(t *testing.T) {
	c, _, _ := newTestCore(t, keptStore{tokenstore.NewMemory()})
	if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := c.SignOut(context.Background(), SignOutOptions{})
	var forget *ForgetError
	if !errors.As(err, &forget) {
		t.Fatalf("sign-out with a locked keyring: %v", err)
	}
	if n := c.Status().Notice; strings.Contains(n, "Signed out") {
		t.Errorf("the notice claims a sign-out while the keyring keeps the session: %q", n)
	}
}

// One name for a person and one title for a method, wherever they are shown.
func TestDisplayNameAndTitle(t *testing.T) {
	for _, tt := range []struct {
		p    Profile
		want string
	}{
		{Profile{Name: "Alice Example", Username: "alice", Subject: "s"}, "Alice Example (alice)"},
		{Profile{Name: "alice", Username: "alice"}, "alice"},
		{Profile{Name: "Alice Example"}, "Alice Example"},
		{Profile{Username: "alice"}, "alice"},
		{Profile{Email: "a@example.com", Subject: "s"}, "a@example.com"},
		{Profile{Subject: "7f3c"}, "7f3c"},
	} {
		if got := tt.p.DisplayName(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.p, got, tt.want)
		}
	}
	if Authentik.Title() != "Authentik" || Navidrome.Title() != "Navidrome" {
		t.Errorf("titles %q %q", Authentik.Title(), Navidrome.Title())
	}
}

// TestReload: what another process stores reaches this one, and reading
// the same thing again changes nothing.
func TestReload(t *testing.T) {
	store := keyringLike{tokenstore.NewMemory()}
	tray, _, _ := newTestCore(t, store)
	window, _, _ := newTestCore(t, store)
	announced := 0
	window.deps.Announce = func() { announced++ }
	var seen []State
	tray.Subscribe(func(s Status) { seen = append(seen, s.State) })
	steps := []struct {
		name   string
		do     func() error
		want   State
		notice string
		seen   string
		tells  int
	}{
		{"nothing stored, before a restore", func() error { return nil }, SignedOut, "", "signed out", 0}, // no longer Starting
		{"nothing stored, nothing held", func() error { return nil }, SignedOut, "", "", 0},
		{"signed in elsewhere", func() error { return window.SignIn(context.Background(), Authentik, SignInOptions{}) }, SignedIn, "", "signed in,refreshing,signed in", 1}, // as a restore at start
		{"the same session again", func() error { return nil }, SignedIn, "", "", 0},
		{"signed out elsewhere", func() error { _, err := window.SignOut(context.Background(), SignOutOptions{}); return err }, SignedOut, errSignedOutElsewhere.Error(), "signed out", 1},
	}
	for _, st := range steps {
		seen, announced = nil, 0
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if err := tray.Reload(context.Background()); err != nil {
			t.Fatalf("%s: Reload: %v", st.name, err)
		}
		got := tray.Status()
		if got.State != st.want || got.Notice != st.notice || stateNames(seen) != st.seen || announced != st.tells {
			t.Errorf("%s: state %v notice %q, observers saw %q, announced %d; want %v, %q, %q, %d", st.name, got.State, got.Notice, stateNames(seen), announced, st.want, st.notice, st.seen, st.tells)
		}
	}
}

// TestFailedSignInKeepsASessionTakenUpMeanwhile: a sign-in started here
// fails after another process signed in (and this one reloaded): the
// status stays signed in, with the failure as its notice.
func TestFailedSignInKeepsASessionTakenUpMeanwhile(t *testing.T) {
	store := tokenstore.NewMemory()
	tray, f, _ := newTestCore(t, store)
	window, _, _ := newTestCore(t, store)
	f.block = make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- tray.SignIn(context.Background(), Authentik, SignInOptions{}) }()
	for tray.Status().State != SigningIn {
		time.Sleep(time.Millisecond)
	}
	if err := window.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := tray.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.signInErr = errors.New("no sign-in arrived from the browser within 3m0s")
	close(f.block)
	if err := <-done; err == nil {
		t.Fatal("the sign-in did not fail")
	}
	if st := tray.Status(); st.State != SignedIn || st.Profile.Username != "alice" || st.Notice != f.signInErr.Error() {
		t.Errorf("after the failed sign-in: %v %q notice %q", st.State, st.Profile.Username, st.Notice)
	}
}

// TestTwoRestoresKeepTheRotatedToken: a restore meets another one (the one
// at start, and one for another process's news) while the first renews:
// the token the provider rotated to is kept, and works.
func TestTwoRestoresKeepTheRotatedToken(t *testing.T) {
	store := tokenstore.NewMemory()
	c, f, clk := newTestCore(t, store)
	if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	clk.advance(10 * time.Minute) // the access token is due
	f.refreshStarted, f.refreshGo = make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() { first <- c.Restore(context.Background()) }()
	<-f.refreshStarted // the first restore's renewal is at the provider
	second := make(chan error, 1)
	go func() { second <- c.Restore(context.Background()) }()
	time.Sleep(20 * time.Millisecond) // the second would have replaced the session by now
	f.refreshStarted = nil
	close(f.refreshGo)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	c.Flush()
	stored, err := store.Load()
	if err != nil || f.used[stored.RefreshToken] {
		t.Fatalf("stored %v (%v): its refresh token was already used; the rotation was lost", stored, err)
	}
	if st := c.Status(); st.State != SignedIn {
		t.Errorf("status %v %q", st.State, st.Notice)
	}
}

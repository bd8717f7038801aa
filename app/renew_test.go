package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/renewlock"
	"github.com/ssotray/ssotray/app/tokenstore"
)

// fakeLock stands in for the cross-process renewal lock.
type fakeLock struct {
	mu             sync.Mutex
	locks, unlocks int
	// beforeGrant runs while this process waits: another process's work.
	beforeGrant func()
	// busy: the lock never comes; Lock reports the holder once the
	// deadline the core set would have passed.
	busy      bool
	deadline  time.Time // of the context the core waited with
	unlocked  chan struct{}
	stamp     string
	bumps     int
	bumpDelay time.Duration // a slow file system
}

func (l *fakeLock) Stamp() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stamp
}

func (l *fakeLock) Bump() string {
	time.Sleep(l.bumpDelay) // set before use, read-only after
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bumps++
	l.stamp = fmt.Sprintf("stamp-%d", l.bumps)
	return l.stamp
}

func (l *fakeLock) First() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stamp != "" {
		return ""
	}
	l.stamp = "first"
	return l.stamp
}

func (l *fakeLock) Lock(ctx context.Context) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.busy {
		dl, ok := ctx.Deadline()
		if !ok {
			return nil, errors.New("the core waits for the lock without a bound")
		}
		l.deadline = dl
		return nil, &renewlock.BusyError{Path: "/run/user/1000/ssotray-renew.lock", Holder: 4242, Waited: renewLockWait, Err: context.DeadlineExceeded}
	}
	if l.beforeGrant != nil {
		l.beforeGrant()
		l.beforeGrant = nil
	}
	l.locks++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.unlocks++
		if l.unlocked != nil {
			close(l.unlocked)
		}
	}, nil
}

func (l *fakeLock) counts() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.locks, l.unlocks
}

// newLockedCore is a core with a fake renewal lock, signed in, its access
// token expired.
func newLockedCore(t *testing.T, store tokenstore.Store) (*Core, *fakeMethod, *clock, *fakeLock) {
	t.Helper()
	c, f, clk := newTestCore(t, store)
	lock := &fakeLock{}
	c.deps.RenewLock = lock
	if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	clk.advance(10 * time.Minute)
	return c, f, clk, lock
}

// renewedElsewhere is what another process stores after renewing s: the
// refresh token it used is rotated out at the provider.
func renewedElsewhere(t *testing.T, store tokenstore.Store, f *fakeMethod, expiry time.Time) *tokenstore.Session {
	t.Helper()
	s, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	if f.used == nil {
		f.used = map[string]bool{}
	}
	f.used[s.RefreshToken] = true
	f.mu.Unlock()
	s.AccessToken, s.RefreshToken, s.Expiry = "at-other", "rt-other", expiry
	if err := store.Save(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// Another process renewed the session while this one waited for the lock:
// no refresh request, the stored session is used.
func TestRenewalUsesTheSessionAnotherProcessRenewed(t *testing.T) {
	store := tokenstore.NewMemory()
	c, f, clk, lock := newLockedCore(t, store)
	lock.beforeGrant = func() {
		renewedElsewhere(t, store, f, clk.now().Add(5*time.Minute))
		lock.stamp = "stamp-other" // its Bump (the fake's lock is held here)
	}
	tok, err := c.AccessToken(context.Background())
	if err != nil || tok != "at-other" {
		t.Fatalf("got %q %v, want the token the other process stored", tok, err)
	}
	if f.refreshes != 0 {
		t.Errorf("%d refresh requests, want none", f.refreshes)
	}
	c.Flush()
	if locks, unlocks := lock.counts(); locks != 1 || unlocks != 1 {
		t.Errorf("lock taken %d times, released %d", locks, unlocks)
	}
	if s, err := store.Load(); err != nil || s.RefreshToken != "rt-other" {
		t.Errorf("store holds %v %v", s, err)
	}
	if st := c.Status(); st.State != SignedIn || st.Notice != "" || !st.ExpiresAt.Equal(clk.now().Add(5*time.Minute)) {
		t.Errorf("status %+v", st)
	}
	// It is this process's session now: it is not renewed again while fresh.
	if tok, _ := c.AccessToken(context.Background()); tok != "at-other" || f.refreshes != 0 {
		t.Errorf("second call: %q after %d refreshes", tok, f.refreshes)
	}
}

// Renewed elsewhere but stale again by now: renewed with the refresh
// token that is current, never with the rotated one.
func TestRenewalUsesTheStoredRefreshToken(t *testing.T) {
	store := tokenstore.NewMemory()
	c, f, clk, lock := newLockedCore(t, store)
	lock.beforeGrant = func() {
		renewedElsewhere(t, store, f, clk.now().Add(-time.Minute))
		lock.stamp = "stamp-other"
	}
	if tok, err := c.AccessToken(context.Background()); err != nil || tok != "at-refreshed" {
		t.Fatalf("got %q %v", tok, err)
	}
	if !f.used["rt-other"] || f.refreshes != 1 {
		t.Errorf("%d refreshes; the stored refresh token used: %v", f.refreshes, f.used["rt-other"])
	}
	c.Flush()
	if s, err := store.Load(); err != nil || s.AccessToken != "at-refreshed" {
		t.Errorf("store holds %v %v", s, err)
	}
}

// loadHookStore runs onLoad before the nth Load (counting from 1).
type loadHookStore struct {
	*tokenstore.Memory
	mu     sync.Mutex
	loads  int
	onLoad func(n int)
}

func (s *loadHookStore) Load() (*tokenstore.Session, error) {
	s.mu.Lock()
	s.loads++
	n := s.loads
	s.mu.Unlock()
	if s.onLoad != nil {
		s.onLoad(n)
	}
	return s.Memory.Load()
}

// The server refused a refresh token that is no longer the stored one:
// another process (one that did not take the lock) renewed meanwhile. That
// session is kept and used, never deleted.
func TestRefusedTokenOtherThanStoredKeepsTheSession(t *testing.T) {
	t.Run("renewed before the refusal", func(t *testing.T) {
		store := tokenstore.NewMemory()
		c, f, clk := newTestCore(t, store) // no lock: the other process did not take one
		_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
		clk.advance(10 * time.Minute)
		renewedElsewhere(t, store, f, clk.now().Add(-time.Minute)) // stale again already
		if tok, err := c.AccessToken(context.Background()); err != nil || tok != "at-refreshed" {
			t.Fatalf("got %q %v, want a token renewed with the stored refresh token", tok, err)
		}
		c.Flush()
		if s, err := store.Load(); err != nil || s.AccessToken != "at-refreshed" || c.Status().State != SignedIn {
			t.Errorf("store holds %v %v, state %v", s, err, c.Status().State)
		}
	})
	t.Run("renewed between the refusal and the delete", func(t *testing.T) {
		store := &loadHookStore{Memory: tokenstore.NewMemory()}
		c, f, clk := newTestCore(t, store)
		_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
		clk.advance(10 * time.Minute)
		f.refreshErr = errSessionEnded
		// Load 1 (after the refusal) still finds this process's session;
		// by load 2 (just before the delete) another has stored its renewal.
		store.onLoad = func(n int) {
			if n == 2 {
				renewedElsewhere(t, store.Memory, f, clk.now().Add(5*time.Minute))
			}
		}
		if tok, err := c.AccessToken(context.Background()); err != nil || tok != "at-other" {
			t.Fatalf("got %q %v, want the session stored meanwhile", tok, err)
		}
		if s, err := store.Memory.Load(); err != nil || s.RefreshToken != "rt-other" || c.Status().State != SignedIn {
			t.Errorf("store holds %v %v, state %v", s, err, c.Status().State)
		}
	})
	t.Run("another person's session", func(t *testing.T) {
		store := tokenstore.NewMemory()
		c, f, clk := newTestCore(t, store)
		_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
		clk.advance(10 * time.Minute)
		f.refreshErr = errSessionEnded
		bob := &tokenstore.Session{Method: "authentik", Server: f.srv, Subject: "sub-bob", Username: "bob", RefreshToken: "rt-bob", Expiry: clk.now().Add(time.Hour)}
		_ = store.Save(bob)
		if _, err := c.AccessToken(context.Background()); !errors.Is(err, errSessionEnded) || c.Status().State != SignedOut {
			t.Errorf("alice's refused session: %v, %v", err, c.Status().State)
		}
		if s, err := store.Load(); err != nil || s.Username != "bob" {
			t.Errorf("bob's stored session is gone: %v %v", s, err)
		}
	})
}

// The refused refresh token is the one stored: signed out with the reason,
// the session deleted, the lock let go.
func TestRefusedStoredTokenSignsOut(t *testing.T) {
	store := tokenstore.NewMemory()
	c, f, _, lock := newLockedCore(t, store)
	f.refreshErr = errSessionEnded
	_, err := c.AccessToken(context.Background())
	if !errors.Is(err, errSessionEnded) {
		t.Fatalf("got %v", err)
	}
	if st := c.Status(); st.State != SignedOut || !strings.Contains(st.Notice, "your session has ended; sign in again") {
		t.Errorf("status %+v", st)
	}
	if _, err := store.Load(); !errors.Is(err, tokenstore.ErrNotFound) {
		t.Errorf("the ended session is still stored: %v", err)
	}
	if locks, unlocks := lock.counts(); locks != 1 || unlocks != 1 {
		t.Errorf("lock taken %d times, released %d", locks, unlocks)
	}
}

// Another process holds the lock for longer than the core waits: the
// caller learns what happened, nothing is refreshed, the session stays.
func TestRenewLockTimeoutKeepsTheSession(t *testing.T) {
	store := tokenstore.NewMemory()
	c, f, _, lock := newLockedCore(t, store)
	lock.busy = true
	before := time.Now()
	_, err := c.AccessToken(context.Background()) // no deadline of the caller's
	var busy *renewlock.BusyError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), "renewing your session: waited 45s for another ssotray process (pid 4242)") ||
		!strings.Contains(err.Error(), "/run/user/1000/ssotray-renew.lock") {
		t.Errorf("got %v", err)
	}
	if lock.deadline.IsZero() || lock.deadline.After(before.Add(renewLockWait+time.Minute)) {
		t.Errorf("the core waited with deadline %v, want one within %s", lock.deadline, renewLockWait)
	}
	if f.refreshes != 0 {
		t.Errorf("%d refresh requests without the lock", f.refreshes)
	}
	if st := c.Status(); st.State != SignedIn || !strings.Contains(st.Notice, "pid 4242") {
		t.Errorf("status %+v", st)
	}
	if s, err := store.Load(); err != nil || s.RefreshToken != "rt1" {
		t.Errorf("store holds %v %v", s, err)
	}
	// Once the other process lets go, renewing works.
	lock.mu.Lock()
	lock.busy = false
	lock.mu.Unlock()
	if tok, err := c.AccessToken(context.Background()); err != nil || tok != "at-refreshed" {
		t.Errorf("after the lock came free: %q %v", tok, err)
	}
}

// The caller has the renewed token before the keyring write lands, and the
// lock is let go only after it: another process that takes it next loads
// the new session, not the one whose refresh token was just rotated out.
func TestRenewLockHeldUntilTheSaveLands(t *testing.T) {
	lock := &fakeLock{unlocked: make(chan struct{})}
	_, store := renewedBehindAGate(t, lock)
	if _, unlocks := lock.counts(); unlocks != 0 {
		t.Fatal("the lock was let go before the renewed session was stored")
	}
	close(store.gate)
	select {
	case <-lock.unlocked:
	case <-time.After(10 * time.Second):
		t.Fatal("the lock was not let go after the save landed")
	}
	if s, err := store.Memory.Load(); err != nil || s.AccessToken != "at-refreshed" {
		t.Errorf("store holds %v %v", s, err)
	}
}

// sharedStore is a keyring every process sees: what is saved is remembered.
type sharedStore struct{ *tokenstore.Memory }

func (sharedStore) Remembers() bool { return true }

// Nobody else changed the stored session since this process wrote it (the
// stamp is its own): the renewal does not read the keyring again.
func TestRenewalSkipsTheReloadWhenTheStampIsOurs(t *testing.T) {
	store := &loadHookStore{Memory: tokenstore.NewMemory()}
	c, f, _, _ := newLockedCore(t, store)
	store.mu.Lock()
	before := store.loads
	store.mu.Unlock()
	if tok, err := c.AccessToken(context.Background()); err != nil || tok != "at-refreshed" || f.refreshes != 1 {
		t.Fatalf("got %q %v after %d refreshes", tok, err, f.refreshes)
	}
	c.Flush()
	store.mu.Lock()
	defer store.mu.Unlock()
	if store.loads != before {
		t.Errorf("the keyring was read %d times during the renewal, want 0", store.loads-before)
	}
}

// Another process signed out (the stamp moved, nothing is stored): this one
// signs out too, instead of renewing and storing the session again.
func TestRenewalAfterALogoutElsewhere(t *testing.T) {
	store := sharedStore{tokenstore.NewMemory()}
	c, f, _, lock := newLockedCore(t, store)
	lock.beforeGrant = func() {
		_ = store.Delete()
		lock.stamp = "stamp-logout"
	}
	if _, err := c.AccessToken(context.Background()); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("got %v, want not signed in", err)
	}
	if st := c.Status(); st.State != SignedOut || st.Notice != "Signed out in another ssotray." || f.refreshes != 0 {
		t.Errorf("status %+v after %d refreshes", st, f.refreshes)
	}
	c.Flush()
	if _, err := store.Load(); !errors.Is(err, tokenstore.ErrNotFound) {
		t.Errorf("the session came back: %v", err)
	}
}

// A logout waits for a renewal under way in another process and revokes
// what that process stored, so the session does not come back.
func TestSignOutBetweenRenewals(t *testing.T) {
	store := tokenstore.NewMemory()
	c, f, clk, lock := newLockedCore(t, store)
	lock.beforeGrant = func() { renewedElsewhere(t, store, f, clk.now().Add(5*time.Minute)) }
	bumps := lock.bumps
	if _, err := c.SignOut(context.Background(), SignOutOptions{}); err != nil {
		t.Fatal(err)
	}
	if locks, unlocks := lock.counts(); locks != 1 || unlocks != 1 {
		t.Errorf("lock taken %d times, released %d", locks, unlocks)
	}
	if _, err := store.Load(); !errors.Is(err, tokenstore.ErrNotFound) {
		t.Errorf("still stored: %v", err)
	}
	if !slices.Equal(f.revoked, []string{"rt-other", "rt1"}) {
		t.Errorf("revoked %v, want the stored (newest) session's tokens, then this process's own", f.revoked)
	}
	if lock.bumps != bumps+1 {
		t.Errorf("the sign-out bumped the stamp %d times, want once", lock.bumps-bumps)
	}
}

// Flush, which a verb calls before it exits, returns only once the renewed
// session is stored, the stamp moved and the lock let go: a process that
// ends right after must not leave the next one a stamp that hides its save.
func TestFlushCoversTheStampAndTheLock(t *testing.T) {
	for range 3 {
		store := tokenstore.NewMemory()
		c, _, _, lock := newLockedCore(t, store)
		lock.bumpDelay = 20 * time.Millisecond
		bumps := lock.bumps
		if _, err := c.AccessToken(context.Background()); err != nil {
			t.Fatal(err)
		}
		c.Flush()
		locks, unlocks := lock.counts()
		lock.mu.Lock()
		moved := lock.bumps - bumps
		lock.mu.Unlock()
		if locks != 1 || unlocks != 1 || moved != 1 {
			t.Fatalf("after Flush: lock taken %d, released %d, stamp moved %d times", locks, unlocks, moved)
		}
	}
}

// A session stored with no expiry (by a version before the default
// lifetime) is renewed at start, not trusted forever.
func TestRestoreRenewsASessionWithNoExpiry(t *testing.T) {
	store := tokenstore.NewMemory()
	c, f, _ := newTestCore(t, store)
	_ = store.Save(&tokenstore.Session{Method: "authentik", Server: f.srv, Subject: "sub-alice", Username: "alice", AccessToken: "at-old", RefreshToken: "rt1"})
	if err := c.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tok, err := c.AccessToken(context.Background()); err != nil || tok != "at-refreshed" || f.refreshes != 1 {
		t.Errorf("got %q %v after %d refreshes, want a renewed token", tok, err, f.refreshes)
	}
}

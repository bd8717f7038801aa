package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/tokenstore"
)

// The tray lends its token only while `ssotray token` would read the same
// from the keyring itself.
func TestLend(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Core, clk *clock, lock *fakeLock, store sharedStore)
		id     bool
		want   string // "" when nothing is lent
	}{
		{"signed in, nobody changed the store", nil, false, "at1"},
		{"the ID token", func(c *Core, _ *clock, _ *fakeLock, store sharedStore) {
			s, _ := store.Load()
			s.IDToken = "id1"
			_ = store.Save(s)
			c.setSession(s, "")
		}, true, "id1"},
		{"no ID token", nil, true, ""},
		{"another process changed the store", func(_ *Core, _ *clock, lock *fakeLock, _ sharedStore) { lock.Bump() }, false, ""},
		{"the stamp is gone", func(_ *Core, _ *clock, lock *fakeLock, _ sharedStore) { lock.stamp = "" }, false, ""},
		{"no stamp here nor there", func(c *Core, _ *clock, lock *fakeLock, _ sharedStore) { lock.stamp = ""; c.setStamp("") }, false, ""},
		{"a Navidrome session (pinged at every token)", func(c *Core, _ *clock, _ *fakeLock, store sharedStore) {
			s, _ := store.Load()
			s.Method = string(Navidrome)
			c.setSession(s, "")
		}, false, ""},
		{"the token is due for renewal", func(_ *Core, clk *clock, _ *fakeLock, _ sharedStore) { clk.advance(5*time.Minute - refreshSkew) }, false, ""},
		{"signed out", func(c *Core, _ *clock, _ *fakeLock, _ sharedStore) {
			if _, err := c.SignOut(context.Background(), SignOutOptions{Local: true}); err != nil {
				t.Fatal(err)
			}
		}, false, ""},
		{"a session the keyring could not keep", func(c *Core, _ *clock, _ *fakeLock, _ sharedStore) {
			c.update(func(st *Status) { st.Remembered = false })
		}, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := sharedStore{tokenstore.NewMemory()}
			c, _, clk := newTestCore(t, store)
			lock := &fakeLock{}
			c.deps.RenewLock = lock
			if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
				t.Fatal(err)
			}
			c.Flush()
			if tc.change != nil {
				tc.change(c, clk, lock, store)
			}
			l, ok := c.Lend(tc.id)
			if got := map[bool]string{true: l.Token}[ok]; got != tc.want {
				t.Fatalf("lent %q (ok %v), want %q", l.Token, ok, tc.want)
			}
			if ok && (l.Method != Authentik || l.Server != "https://idp.example/") {
				t.Errorf("lent for %q at %q", l.Method, l.Server)
			}
		})
	}
}

// No renewal lock (the kiosk's memory): nothing to tell whether the store
// changed, so nothing is lent.
func TestLendNeedsTheRenewalLock(t *testing.T) {
	c, _, _ := newTestCore(t, sharedStore{tokenstore.NewMemory()})
	if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	if l, ok := c.Lend(false); ok {
		t.Errorf("lent %q without a renewal lock", l.Token)
	}
}

// A session read while there was no stamp (after a reboot cleared the
// runtime directory) gets a first one, so the tray can lend from the start;
// when two processes try to set the first at once, the one that loses takes
// the winner's and can still lend.
func TestRestoreSetsAFirstStamp(t *testing.T) {
	tests := []struct {
		name      string
		lock      RenewLock
		wantStamp string
	}{
		{"no stamp", &fakeLock{}, "first"},
		{"lost the race for the first", &racedLock{}, "the other process's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := sharedStore{tokenstore.NewMemory()}
			signer, _, _ := newTestCore(t, store)
			if err := signer.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
				t.Fatal(err)
			}
			c, _, _ := newTestCore(t, store)
			c.deps.RenewLock = tt.lock
			if err := c.Restore(context.Background()); err != nil {
				t.Fatal(err)
			}
			if l, ok := c.Lend(false); !ok || l.Token != "at1" || tt.lock.Stamp() != tt.wantStamp {
				t.Errorf("after a restore: lent %q %v, stamp %q", l.Token, ok, tt.lock.Stamp())
			}
		})
	}
}

func TestBorrows(t *testing.T) {
	c, _, _ := newTestCore(t, tokenstore.NewMemory())
	tests := []struct {
		lent Lent
		want bool
	}{
		{Lent{Method: Authentik, Server: "https://idp.example/", Token: "at1"}, true},
		{Lent{Method: Authentik, Server: "https://other.example/", Token: "at1"}, false},
		{Lent{Method: Navidrome, Server: "https://idp.example/", Token: "at1"}, false},
		{Lent{Method: Authentik, Server: "https://idp.example/"}, false},
	}
	for _, tc := range tests {
		if got := c.Borrows(tc.lent); got != tc.want {
			t.Errorf("Borrows(%+v) = %v, want %v", tc.lent, got, tc.want)
		}
	}
}

// Another process renewed the session and said so: Reload takes up its
// tokens, so the tray lends the new token and not the one it held.
func TestReloadTakesUpARenewalElsewhere(t *testing.T) {
	store := sharedStore{tokenstore.NewMemory()}
	c, f, clk := newTestCore(t, store)
	lock := &fakeLock{}
	c.deps.RenewLock = lock
	if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	c.Flush()
	renewedElsewhere(t, store.Memory, f, clk.now().Add(time.Hour))
	lock.Bump()
	if _, ok := c.Lend(false); ok {
		t.Fatal("lent the token held while the store has another")
	}
	if err := c.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l, ok := c.Lend(false); !ok || l.Token != "at-other" {
		t.Errorf("after the reload: lent %q %v, want the other process's token", l.Token, ok)
	}
	if f.refreshes != 0 {
		t.Errorf("%d refresh requests, want none", f.refreshes)
	}
}

// flakyStore is a keyring whose Save or Load fails once, at the count given.
type flakyStore struct {
	sharedStore
	saves, loads       int
	failSave, failLoad int
}

func (f *flakyStore) Save(s *tokenstore.Session) error {
	if f.saves++; f.saves == f.failSave {
		return &tokenstore.UnavailableError{Err: errors.New("the keyring is locked")}
	}
	return f.sharedStore.Save(s)
}

func (f *flakyStore) Load() (*tokenstore.Session, error) {
	if f.loads++; f.loads == f.failLoad {
		return nil, &tokenstore.UnavailableError{Err: errors.New("the keyring is locked")}
	}
	return f.sharedStore.Load()
}

// A keyring that failed once (locked at login) and then takes the next
// sign-in: the session is remembered again, and lent.
func TestLendAfterTheKeyringWorksAgain(t *testing.T) {
	store := &flakyStore{sharedStore: sharedStore{tokenstore.NewMemory()}, failSave: 1}
	c, _, _ := newTestCore(t, store)
	c.deps.RenewLock = &fakeLock{}
	for i, want := range []bool{false, true} {
		if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
			t.Fatal(err)
		}
		c.Flush()
		if st := c.Status(); st.Remembered != want {
			t.Errorf("sign-in %d: remembered %v, want %v", i+1, st.Remembered, want)
		}
		if _, ok := c.Lend(false); ok != want {
			t.Errorf("sign-in %d: lends %v, want %v", i+1, ok, want)
		}
	}
}

// signedInWithLock is a core signed in, its session stored, with the
// renewal lock; the store fails when a test says so.
func signedInWithLock(t *testing.T) (*Core, *flakyStore, *fakeMethod, *clock) {
	t.Helper()
	store := &flakyStore{sharedStore: sharedStore{tokenstore.NewMemory()}}
	c, f, clk := newTestCore(t, store)
	c.deps.RenewLock = &fakeLock{}
	if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	c.Flush()
	return c, store, f, clk
}

// The news of a renewal elsewhere, and then the keyring does not answer:
// the session held here stays (nobody is signed out by a failed read).
func TestReloadKeepsTheSessionWhenTheStoreFails(t *testing.T) {
	c, store, f, clk := signedInWithLock(t)
	renewedElsewhere(t, store.Memory, f, clk.now().Add(time.Hour))
	c.deps.RenewLock.Bump()          // the other process's
	store.failLoad = store.loads + 2 // Reload's first read works, the second fails
	if err := c.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := c.Status(); st.State != SignedIn || !st.Remembered || st.Notice != "" {
		t.Errorf("after a failed read: %v remembered %v notice %q", st.State, st.Remembered, st.Notice)
	}
	if s, err := store.Memory.Load(); err != nil || s.AccessToken != "at-other" {
		t.Errorf("the store holds %v %v", s, err)
	}
}

// A keyring that failed once works again at the next restore or renewal:
// the session is remembered again either way.
func TestKeyringWorksAgain(t *testing.T) {
	tests := []struct {
		name string
		fail func(*flakyStore)
		then func(*Core, *clock) error
	}{
		{"a restore", func(f *flakyStore) { f.failLoad = f.loads + 1 }, func(c *Core, _ *clock) error {
			if err := c.Restore(context.Background()); err != nil {
				return err
			}
			if c.Status().Remembered {
				return errors.New("remembered after a failed read")
			}
			return c.Restore(context.Background())
		}},
		{"a renewal", func(f *flakyStore) { f.failSave = f.saves + 1 }, func(c *Core, clk *clock) error {
			if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
				return err
			}
			if c.Status().Remembered {
				return errors.New("remembered after a failed save")
			}
			clk.advance(10 * time.Minute)
			_, err := c.AccessToken(context.Background())
			c.Flush()
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, store, _, clk := signedInWithLock(t)
			tc.fail(store)
			if err := tc.then(c, clk); err != nil {
				t.Fatal(err)
			}
			if st := c.Status(); !st.Remembered || st.State != SignedIn {
				t.Errorf("afterwards: %v, remembered %v", st.State, st.Remembered)
			}
		})
	}
}

// racedLock has no stamp until First, which another process wins.
type racedLock struct{ fakeLock }

func (l *racedLock) First() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stamp = "the other process's"
	return ""
}

// The news of this process's own change comes back to it (the tray passes
// every change on to the window): nothing is read from the store for it.
func TestReloadAfterItsOwnChangeReadsNothing(t *testing.T) {
	c, store, _, _ := signedInWithLock(t)
	before := store.loads
	if err := c.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if store.loads != before {
		t.Errorf("Reload read the store %d times after this process's own sign-in", store.loads-before)
	}
	c.deps.RenewLock.Bump() // another process's change
	if err := c.Reload(context.Background()); err != nil || store.loads == before {
		t.Errorf("Reload after another process's change: %v, read %d times", err, store.loads-before)
	}
}

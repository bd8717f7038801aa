package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/tokenstore"
)

// keepFresh runs c.KeepFresh on a manual timer until the test ends: each
// wait it asks for arrives on waits, and a send on fire ends it.
func keepFresh(t *testing.T, c *Core) (waits chan time.Duration, fire chan time.Time) {
	ctx, cancel := context.WithCancel(context.Background())
	after, waits, fire := manualAfter(ctx)
	c.deps.After = after
	done := make(chan struct{})
	go func() { c.KeepFresh(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return waits, fire
}

func TestKeepFresh(t *testing.T) {
	store := tokenstore.NewMemory()
	c, f, clk := newTestCore(t, store)
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	waits, fire := keepFresh(t, c)

	expectWait := func(want time.Duration) {
		t.Helper()
		select {
		case got := <-waits:
			if got != want {
				t.Fatalf("waits %v, want %v", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("KeepFresh did not set a timer (want %v)", want)
		}
	}
	elapse := func(d time.Duration) {
		clk.advance(d)
		fire <- clk.now()
	}

	// The access token lives 5 minutes: renew 30 s before.
	expectWait(4*time.Minute + 30*time.Second)
	elapse(4*time.Minute + 30*time.Second)
	expectWait(4*time.Minute + 30*time.Second) // renewed: the next one
	if f.refreshes != 1 || c.Status().State != SignedIn {
		t.Fatalf("%d refreshes, %v", f.refreshes, c.Status().State)
	}

	// The provider is down: try again every 30 s, staying signed in.
	f.mu.Lock()
	f.refreshErr = errors.New("cannot reach the identity provider")
	f.mu.Unlock()
	elapse(4*time.Minute + 30*time.Second)
	expectWait(retryInterval)
	if c.Status().State != SignedIn || c.Status().Notice == "" {
		t.Errorf("after a failed renewal: %+v", c.Status())
	}
	f.mu.Lock()
	f.refreshErr = nil
	f.mu.Unlock()
	elapse(retryInterval)
	expectWait(4*time.Minute + 30*time.Second)
	if f.refreshes != 3 {
		t.Errorf("%d refreshes", f.refreshes)
	}

	// The provider refuses: signed out, and nothing more to renew.
	f.mu.Lock()
	f.refreshErr = errSessionEnded
	f.mu.Unlock()
	elapse(4*time.Minute + 30*time.Second)
	select {
	case d := <-waits:
		t.Errorf("a timer (%v) after the session ended", d)
	case <-time.After(200 * time.Millisecond):
	}
	if c.Status().State != SignedOut {
		t.Errorf("after a refused renewal: %v", c.Status().State)
	}

	// Signing in again wakes it up.
	f.mu.Lock()
	f.refreshErr = nil
	f.mu.Unlock()
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	expectWait(4*time.Minute + 30*time.Second)
}

package tokenstore

import (
	"testing"
	"time"
)

// gateBackend is mapBackend where each Set waits at a gate of its own (an
// unlock prompt) until the test opens it; then the write lands.
type gateBackend struct {
	*mapBackend
	gates chan chan struct{} // one gate per write that reached it
}

func (b *gateBackend) Set(service, user, secret string) error {
	gate := make(chan struct{})
	b.gates <- gate
	<-gate
	return b.mapBackend.Set(service, user, secret)
}

// eventually polls cond for up to 10 s: follow-ups run in the background,
// and the machine is shared.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

func (k *Keyring) pendingWrites() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.pending)
}

// TestTimedOutWriteCannotResurrectASignedOutSession: a Save times out at
// the keyring's prompt, the person signs out (Delete), and the write lands
// afterwards, as go-keyring's does once the prompt is answered. The
// signed-out session must not be in the keyring at the end, whether the
// write lands while Delete waits for it or only after Delete has given up;
// and when the next person has saved a session meanwhile, theirs is the
// one kept.
func TestTimedOutWriteCannotResurrectASignedOutSession(t *testing.T) {
	for _, tc := range []struct {
		name              string
		landsDuringDelete bool // the gate opens while Delete waits
		nextSaves         bool // the next person saves before the old write lands
	}{
		{name: "lands while Delete waits", landsDuringDelete: true},
		{name: "lands after Delete gave up"},
		{name: "lands after the next person's Save", nextSaves: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &gateBackend{mapBackend: newMapBackend(), gates: make(chan chan struct{}, 8)}
			k := &Keyring{Backend: b, Service: Service, Account: "session", MaxEntry: 1 << 20, Timeout: 20 * time.Millisecond, PendingWait: 20 * time.Millisecond}
			if tc.landsDuringDelete {
				k.PendingWait = time.Minute // bounded, but far beyond what the test takes
			}
			if err := k.Save(bigSession(1)); err == nil {
				t.Fatal("Save went through a closed gate")
			}
			old := <-b.gates
			deleted := make(chan error, 1)
			go func() { deleted <- k.Delete() }()
			if tc.landsDuringDelete {
				close(old) // the person unlocks the keyring while Delete waits
				if err := <-deleted; err != nil {
					t.Fatal(err)
				}
				if n := b.entries(); n != 0 {
					t.Fatalf("after Delete: %d entries", n)
				}
				return
			}
			if err := <-deleted; err != nil {
				t.Fatal(err)
			}
			if n := b.entries(); n != 0 {
				t.Fatalf("after Delete: %d entries", n)
			}
			if tc.nextSaves {
				k.Timeout = time.Minute // the keyring answers again
				next := bigSession(1)
				next.Username = "bob"
				saved := make(chan error, 1)
				go func() { saved <- k.Save(next) }()
				close(<-b.gates)
				if err := <-saved; err != nil {
					t.Fatal(err)
				}
				close(old) // the old write lands over bob's session
				select {
				case again := <-b.gates: // bob's session written again
					close(again)
				case <-time.After(10 * time.Second):
				}
				if !eventually(func() bool { return k.pendingWrites() == 0 }) {
					t.Fatal("the late write never landed")
				}
				if !eventually(func() bool { s, err := k.Load(); return err == nil && s.Username == "bob" }) {
					s, err := k.Load()
					t.Fatalf("the keyring holds %v (%v), want bob's session", s, err)
				}
				return
			}
			close(old) // the prompt is answered after Delete gave up: the old write lands now
			if !eventually(func() bool { return k.pendingWrites() == 0 }) {
				t.Fatal("the late write never landed")
			}
			if !eventually(func() bool { return b.entries() == 0 }) {
				t.Fatalf("the signed-out session came back: %d entries", b.entries())
			}
			if _, err := k.Load(); err != ErrNotFound {
				t.Errorf("Load after the late write: %v, want ErrNotFound", err)
			}
		})
	}
}

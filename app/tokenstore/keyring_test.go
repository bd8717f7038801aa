package tokenstore

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// mapBackend is an in-memory keyring that enforces the per-entry limit of the
// strictest platform, so a test fails if the store ever writes too much.
type mapBackend struct {
	mu      sync.Mutex
	m       map[string]string
	limit   int
	failSet error
	failGet error
	block   chan struct{}
}

func newMapBackend() *mapBackend { return &mapBackend{m: map[string]string{}, limit: 2560} }

func (b *mapBackend) Set(service, user, secret string) error {
	if b.block != nil {
		<-b.block
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failSet != nil {
		return b.failSet
	}
	if len(secret) > b.limit {
		return keyring.ErrSetDataTooBig
	}
	b.m[service+"/"+user] = secret
	return nil
}

func (b *mapBackend) Get(service, user string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failGet != nil {
		return "", b.failGet
	}
	v, ok := b.m[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (b *mapBackend) Delete(service, user string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.m[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(b.m, service+"/"+user)
	return nil
}

func (b *mapBackend) entries() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}

func bigSession(groups int) *Session {
	s := &Session{
		Method: "authentik", Server: "https://auth.example.com/application/o/ssotray/",
		Subject: "abc", Username: "zoë", Name: "Zoë Ünïcødé 名前", Email: "zoe@example.com",
		AccessToken: "at-" + strings.Repeat("a", 900), RefreshToken: "rt-" + strings.Repeat("r", 120),
		Expiry: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
	}
	for i := range groups {
		s.Groups = append(s.Groups, fmt.Sprintf("grüppe-%03d-ünïcødé", i))
	}
	s.IDToken = "id-" + strings.Repeat("i", 40*groups)
	return s
}

func TestKeyringRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		groups    int
		wantParts bool
	}{
		{"small fits in one entry", 2, false},
		{"many groups are split", 300, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newMapBackend()
			k := &Keyring{Backend: b, Service: Service, Account: "session"}
			in := bigSession(tt.groups)
			if err := k.Save(in); err != nil {
				t.Fatal(err)
			}
			for key, v := range b.m {
				if len(v) > SmallEntry {
					t.Errorf("%s holds %d bytes, over %d", key, len(v), SmallEntry)
				}
			}
			if got := b.entries() > 1; got != tt.wantParts {
				t.Errorf("split into %d entries", b.entries())
			}
			out, err := k.Load()
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%#v", out.Groups) != fmt.Sprintf("%#v", in.Groups) || out.IDToken != in.IDToken ||
				out.AccessToken != in.AccessToken || !out.Expiry.Equal(in.Expiry) || out.Name != in.Name {
				t.Error("session changed in the keyring")
			}
			if err := k.Delete(); err != nil {
				t.Fatal(err)
			}
			if b.entries() != 0 {
				t.Errorf("%d entries left after Delete", b.entries())
			}
			if _, err := k.Load(); !errors.Is(err, ErrNotFound) {
				t.Errorf("Load after Delete: %v", err)
			}
		})
	}
}

func TestKeyringShrinkRemovesStaleParts(t *testing.T) {
	b := newMapBackend()
	k := &Keyring{Backend: b, Service: Service, Account: "session"}
	if err := k.Save(bigSession(300)); err != nil {
		t.Fatal(err)
	}
	large := b.entries()
	if err := k.Save(bigSession(100)); err != nil {
		t.Fatal(err)
	}
	if medium := b.entries(); medium >= large || medium < 3 {
		t.Errorf("after shrinking: %d entries, was %d", medium, large)
	}
	if err := k.Save(bigSession(1)); err != nil {
		t.Fatal(err)
	}
	if b.entries() != 1 {
		t.Errorf("stale parts kept: %d entries", b.entries())
	}
	if s, err := k.Load(); err != nil || len(s.Groups) != 1 {
		t.Errorf("Load = %v, %v", s, err)
	}
}

func TestKeyringIncompleteSession(t *testing.T) {
	b := newMapBackend()
	k := &Keyring{Backend: b, Service: Service, Account: "session"}
	if err := k.Save(bigSession(300)); err != nil {
		t.Fatal(err)
	}
	_ = b.Delete(Service, "session.a.part2")
	if _, err := k.Load(); err == nil || !strings.Contains(err.Error(), "part 2") || !strings.Contains(err.Error(), "sign in again") {
		t.Errorf("Load of a broken session: %v", err)
	}
}

func TestKeyringDeleteSweepsOrphanParts(t *testing.T) {
	b := newMapBackend()
	k := &Keyring{Backend: b, Service: Service, Account: "session"}
	if err := k.Save(bigSession(300)); err != nil {
		t.Fatal(err)
	}
	// A crash between writing the parts and the head leaves parts alone.
	_ = b.Delete(Service, "session")
	if b.entries() == 0 {
		t.Fatal("no parts to orphan")
	}
	if err := k.Delete(); err != nil || b.entries() != 0 {
		t.Errorf("Delete left %d entries (%v)", b.entries(), err)
	}
}

func TestKeyringReaderNeverSeesHalfASession(t *testing.T) {
	b := newMapBackend()
	k := &Keyring{Backend: b, Service: Service, Account: "session"}
	first, second := bigSession(300), bigSession(250)
	second.Username = "second"
	if err := k.Save(first); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 50; i++ {
			s := first
			if i%2 == 0 {
				s = second
			}
			if err := k.Save(s); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(time.Millisecond) // two processes do not refresh back to back
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
		}
		s, err := k.Load()
		if err != nil {
			t.Fatalf("a reader during saves: %v", err)
		}
		if want := map[string]int{"zoë": 300, "second": 250}[s.Username]; len(s.Groups) != want {
			t.Fatalf("mixed session: %s with %d groups", s.Username, len(s.Groups))
		}
	}
}

func TestKeyringUnavailable(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		want, fix string
	}{
		{"no secret service", errors.New("The name org.freedesktop.secrets was not provided by any .service files"), "no Secret Service such as gnome-keyring or KWallet is running", "install and start one"},
		{"locked", errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), "the keyring is locked", "unlock it"},
		{"no bus", errors.New("dbus: DBUS_SESSION_BUS_ADDRESS not set"), "no D-Bus session", "run ssotray in your desktop session"},
		{"something else", errors.New("Element not found."), "Element not found.", "ssotray doctor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newMapBackend()
			b.failSet, b.failGet = tt.err, tt.err
			k := &Keyring{Backend: b, Service: Service, Account: "session"}
			for op, err := range map[string]error{"save": k.Save(bigSession(1)), "load": func() error { _, err := k.Load(); return err }()} {
				var ue *UnavailableError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.fix) {
					t.Errorf("%s: %v", op, err)
				}
			}
		})
	}
}

func TestKeyringPromptTimesOut(t *testing.T) {
	b := newMapBackend()
	b.block = make(chan struct{})
	defer close(b.block)
	k := &Keyring{Backend: b, Service: Service, Account: "session", Timeout: 50 * time.Millisecond}
	err := k.Save(bigSession(1))
	var ue *UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("Save with a stuck keyring: %v", err)
	}
}

func TestSessionNeverPrintsTokens(t *testing.T) {
	s := bigSession(1)
	s.AccessToken, s.RefreshToken, s.IDToken = "AT-SECRET", "RT-SECRET", "ID-SECRET"
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v", *s), fmt.Sprintf("%+v", *s), fmt.Sprintf("%#v", *s)} {
		if strings.Contains(out, "SECRET") {
			t.Errorf("token printed: %s", out)
		}
	}
}

func TestMemoryStore(t *testing.T) {
	m := NewMemory()
	if _, err := m.Load(); !errors.Is(err, ErrNotFound) || m.Remembers() {
		t.Fatal("new memory store not empty")
	}
	in := bigSession(3)
	_ = m.Save(in)
	in.Username = "changed after save"
	got, _ := m.Load()
	if got.Username != "zoë" {
		t.Error("memory store aliases the caller's session")
	}
	_ = m.Delete()
	if _, err := m.Load(); !errors.Is(err, ErrNotFound) {
		t.Error("Delete kept the session")
	}
}

// TestSystemKeyring uses the real Secret Service that `make test` starts
// (gnome-keyring in a private D-Bus session).
func TestSystemKeyring(t *testing.T) {
	if os.Getenv("SSOTRAY_TEST_DESKTOP") == "" {
		t.Skip("needs the private keyring of `make test` (SSOTRAY_TEST_DESKTOP=1); not touching this desktop's keyring")
	}
	tests := []struct {
		name     string
		maxEntry int
		split    bool // into parts, for a session of 300 groups
	}{
		{"whole, as on Linux", MaxEntryFor("linux"), false},
		{"split, as on Windows", MaxEntryFor("windows"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &Keyring{Backend: System{}, Service: "ssotray-test-" + strings.ReplaceAll(t.Name(), "/", "-"), Account: "session", MaxEntry: tt.maxEntry}
			t.Cleanup(func() { _ = k.Delete() })
			in := bigSession(300)
			if err := k.Save(in); err != nil {
				t.Fatal(err)
			}
			accounts := []string{"session"}
			for i := 1; i < 10; i++ {
				accounts = append(accounts, fmt.Sprintf("session.a.part%d", i), fmt.Sprintf("session.b.part%d", i))
			}
			n := 0
			for _, acct := range accounts {
				if _, err := keyring.Get(k.Service, acct); err == nil {
					n++
				}
			}
			if split := n > 1; split != tt.split {
				t.Errorf("the session takes %d keyring entries; split %v, want %v", n, split, tt.split)
			}
			out, err := k.Load()
			if err != nil {
				t.Fatal(err)
			}
			if out.IDToken != in.IDToken || len(out.Groups) != 300 || out.Name != in.Name {
				t.Error("session changed in the system keyring")
			}
			if err := k.Delete(); err != nil {
				t.Fatal(err)
			}
			for _, acct := range accounts {
				if _, err := keyring.Get(k.Service, acct); !errors.Is(err, keyring.ErrNotFound) {
					t.Errorf("%s still in the keyring after Delete: %v", acct, err)
				}
			}
		})
	}
}

// doctor's probe must never overwrite or delete the session.
func TestProbeIsNotTheSession(t *testing.T) {
	s, p := NewKeyring(), NewProbe()
	if p.Service != s.Service || p.Account == s.Account {
		t.Errorf("probe %s/%s beside session %s/%s: want the same service, another account", p.Service, p.Account, s.Service, s.Account)
	}
}

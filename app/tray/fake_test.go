package tray

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app"
)

// fakeCore is a core whose sign-in, sign-out and apps the test decides.
type fakeCore struct {
	mu      sync.Mutex
	status  app.Status
	subs    map[int]func(app.Status)
	next    int
	signIn  func(ctx context.Context, opts app.SignInOptions) error // nil: signs in as alice
	report  app.SignOutReport
	outErr  error
	opened  []string
	openErr error
}

func newFakeCore() *fakeCore { return &fakeCore{subs: map[int]func(app.Status){}} }

func (f *fakeCore) Status() app.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeCore) Subscribe(fn func(app.Status)) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.next
	f.next++
	f.subs[id] = fn
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, id)
	}
}

func (f *fakeCore) set(st app.Status) {
	f.mu.Lock()
	f.status = st
	var subs []func(app.Status)
	for _, s := range f.subs {
		subs = append(subs, s)
	}
	f.mu.Unlock()
	for _, s := range subs {
		s(st)
	}
}

func (f *fakeCore) Methods() []app.Method { return []app.Method{app.Authentik, app.Navidrome} }

var alice = app.Status{State: app.SignedIn, Method: app.Authentik, Profile: app.Profile{Name: "Alice Liddell", Username: "alice"}}

func (f *fakeCore) SignIn(ctx context.Context, m app.Method, opts app.SignInOptions) error {
	f.set(app.Status{State: app.SigningIn, Method: m})
	err := error(nil)
	if f.signIn != nil {
		err = f.signIn(ctx, opts)
	}
	if err != nil {
		f.set(app.Status{})
		return err
	}
	f.set(alice)
	return nil
}

func (f *fakeCore) SignOut(ctx context.Context, opts app.SignOutOptions) (app.SignOutReport, error) {
	f.set(app.Status{Notice: "you were signed out"})
	return f.report, f.outErr
}

func (f *fakeCore) OpenApp(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, name)
	return f.openErr
}

// fakeShell records the icon and the menu; click runs an item's action as
// a click on the real tray would.
type fakeShell struct {
	mu    sync.Mutex
	icon  []byte
	menus [][]Item
	do    func(Action)
	quit  chan struct{}
	once  sync.Once
}

func newFakeShell() *fakeShell { return &fakeShell{quit: make(chan struct{})} }

func (s *fakeShell) SetIcon(png []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.icon = png
}

func (s *fakeShell) SetMenu(items []Item, do func(Action)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.menus = append(s.menus, items)
	s.do = do
}

func (s *fakeShell) Run(ready, tapped func()) {
	go ready()
	<-s.quit
}

func (s *fakeShell) Quit() { s.once.Do(func() { close(s.quit) }) }

func (s *fakeShell) labels() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.menus) == 0 {
		return nil
	}
	var out []string
	for _, it := range s.menus[len(s.menus)-1] {
		out = append(out, it.Label)
	}
	return out
}

// click runs the action of the item labelled label in the current menu.
func (s *fakeShell) click(t *testing.T, label string) {
	t.Helper()
	s.mu.Lock()
	var found *Item
	if len(s.menus) > 0 {
		for _, it := range s.menus[len(s.menus)-1] {
			if it.Label == label && !it.Disabled {
				found = &it
			}
		}
	}
	do := s.do
	s.mu.Unlock()
	if found == nil {
		t.Fatalf("no item %q to click in %v", label, s.labels())
	}
	do(found.Action)
}

// waitMenu waits until the menu's first label is first.
func (s *fakeShell) waitMenu(t *testing.T, first string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if l := s.labels(); len(l) > 0 && l[0] == first {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the menu starts %v, want %q", s.labels(), first)
}

// notes records notifications.
type notes struct {
	mu   sync.Mutex
	sent []string
}

func (n *notes) notify(_, body string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, body)
}

func (n *notes) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.sent)
}

var errRefused = errors.New("Authentik refused the sign-in")

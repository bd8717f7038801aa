// Package app is ssotray's core: who is signed in, with which method, and
// the moves between states (signed out -> signing in -> signed in ->
// refreshing -> signed out). It has no widgets; the window, the tray and the
// command line all drive it and observe its Status.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc"
)

// Name is ssotray's name as people see it: the window's and the tray's
// title, and the title of notifications.
const Name = "ssotray"

// Method is a way to sign in.
type Method string

const (
	Authentik Method = "authentik"
	Navidrome Method = "navidrome"
)

// State is where the session is in its life.
type State int

const (
	SignedOut State = iota
	SigningIn
	SignedIn
	Refreshing
	// Starting: the core has not yet looked for a stored session (Restore
	// has not read the keyring). A view shows neither a sign-in nor a
	// person: it does not know which applies, and a keyring that asks
	// to be unlocked can take seconds to say. Last, so that the zero
	// Status stays SignedOut.
	Starting
)

func (s State) String() string {
	return [...]string{"signed out", "signing in", "signed in", "refreshing", "starting"}[s]
}

// StartingText is what views show in the Starting state.
const StartingText = "Looking for your saved session…"

// Profile is the signed-in person as views show them.
type Profile struct {
	Subject  string
	Username string
	Name     string
	Email    string
	// Groups decide which apps the person sees. Navidrome has no groups: its
	// admins count as members of NavidromeAdminsGroup.
	Groups []string
	// Role is Navidrome's role ("admin" or "user"), shown where Authentik
	// shows groups; empty for Authentik.
	Role string
}

// DisplayName is how the person is named in one line, everywhere (the
// command line, the window, the tray): the name with the username when
// they differ, else whichever identifies them.
func (p Profile) DisplayName() string {
	name, user := strings.TrimSpace(p.Name), strings.TrimSpace(p.Username)
	switch {
	case name != "" && user != "" && name != user:
		return name + " (" + user + ")"
	case name != "":
		return name
	case user != "":
		return user
	case strings.TrimSpace(p.Email) != "":
		return p.Email
	}
	return p.Subject
}

// SignedInAs is the line that says who is signed in, in every view.
func (p Profile) SignedInAs() string { return "Signed in as " + p.DisplayName() }

// Title is how the method is named to people.
func (m Method) Title() string {
	switch m {
	case Authentik:
		return "Authentik"
	case Navidrome:
		return "Navidrome"
	}
	return string(m)
}

// NavidromeAdminsGroup is the group Navidrome admins belong to for app visibility.
const NavidromeAdminsGroup = "navidrome-admins"

// Status is a snapshot for views. It never holds a token.
type Status struct {
	State     State
	Method    Method
	Profile   Profile
	ExpiresAt time.Time // of the access token
	// Renews is true when the session renews itself in the background (an
	// Authentik session with a refresh token): the access token's expiry
	// is then no reason to sign in again.
	Renews bool
	// SignInAgainAt is when the person will have to sign in afresh: the end
	// of a kiosk's session limit, or the expiry of a session that cannot
	// renew itself (Navidrome's JWT; Authentik with no refresh token),
	// whichever comes first. Zero when no such time is known.
	SignInAgainAt time.Time
	// Avatar is the person's picture from Authentik (with the API scope);
	// nil means none, and views show initials.
	Avatar []byte
	// Countdown, in kiosk mode, is how long until an idle sign-out; zero
	// when none is near.
	Countdown time.Duration
	// Idle, in kiosk mode, is true while nobody is signed in and nobody has
	// touched the machine for kiosk.idle_timeout: what was typed on the
	// sign-in screen is then emptied.
	Idle bool
	// Apps are the launcher entries the signed-in person may see.
	Apps []launch.App
	// Remembered is false when the session lives only in this process.
	Remembered bool
	// Notice is one line for the person about the last change, e.g. why they
	// were signed out or that the keyring is unavailable.
	Notice string
}

// IsSignedIn is true while a session is held, also while it renews.
func (s Status) IsSignedIn() bool { return s.State == SignedIn || s.State == Refreshing }

// Deps are what the core needs from the outside world.
type Deps struct {
	Config  *config.Config
	Store   tokenstore.Store
	Browser func(ctx context.Context, url string) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// After is the timer matching Now; nil means time.After.
	After      func(time.Duration) <-chan time.Time
	HTTPClient *http.Client // nil means a client with timeouts
	Logger     *slog.Logger // nil means discard
	// Kiosk applies the shared-machine rules: every Authentik sign-in asks
	// for the password again, and sign-out closes the browsers ssotray
	// started (CloseBrowsers) before anything else.
	Kiosk bool
	// CloseBrowsers ends every process of the browsers ssotray started and
	// returns once none runs; its error says what still runs.
	CloseBrowsers func() error
	// RenewLock keeps renewals of the stored session to one at a time
	// across processes (app/renewlock). nil: one at a time within this
	// process only, which is right for a store no other process sees (the
	// kiosk's memory).
	RenewLock RenewLock
	// Announce tells the other ssotray processes that this one changed the
	// stored session (a sign-in, a sign-out, renewed tokens); they Reload.
	// nil: nobody is told.
	Announce func()
}

// RenewLock is held around a renewal's load, refresh and save, so that two
// processes never renew with the same refresh token (the provider rotates
// it and refuses the loser's, as Authentik does).
type RenewLock interface {
	// Lock waits until this process holds the lock or ctx ends; its error
	// then says who holds it and where. unlock lets go.
	Lock(ctx context.Context) (unlock func(), err error)
	// Stamp marks the last change of the stored session by any process;
	// "" is unknown. Bump sets a new one after a change and returns it.
	// Equal stamps spare a renewal reading the keyring again.
	Stamp() string
	Bump() string
	// First sets a stamp when there is none and returns it ("" when
	// there is one): read before a load, as Stamp is.
	First() string
}

// authenticator is one sign-in method.
type authenticator interface {
	// server identifies where sessions of this method come from; a stored
	// session for another server is not used.
	server() string
	signIn(ctx context.Context, opts SignInOptions) (*tokenstore.Session, error)
	// resume brings a stored session up to date at start; it may return s
	// unchanged without any network. errSessionEnded means sign in again.
	resume(ctx context.Context, s *tokenstore.Session) (*tokenstore.Session, error)
	// refresh renews an expired access token; errSessionEnded means sign in again.
	refresh(ctx context.Context, s *tokenstore.Session) (*tokenstore.Session, error)
	// signOut ends the session at the server and says what it did; the
	// returned errors are warnings, the local sign-out happens regardless.
	signOut(ctx context.Context, s *tokenstore.Session, local bool) (SignOutReport, []error)
}

// Core holds the session and its state.
type Core struct {
	deps    Deps
	methods map[Method]authenticator

	mu        sync.Mutex
	status    Status
	session   *tokenstore.Session
	gen       uint64 // bumped whenever the session is replaced or removed
	seq       uint64 // bumped with every status change
	signingIn bool
	observers map[int]func(Status)
	nextObs   int

	// store is Deps.Store with its operations in line, so the renewed
	// session can be saved while its caller already goes on.
	store *serialStore

	// signOutMu is held for a whole sign-out: a sign-in waits for it, so a
	// kiosk's closing of the last person's browsers never hits the next one's.
	signOutMu sync.Mutex
	// renewMu lets one refresh run at a time: refresh tokens rotate, so a
	// second refresh with the same token would be refused and sign out.
	renewMu sync.Mutex
	// stamp is the renewal lock's stamp that goes with the session held
	// here (see RenewLock); "" when unknown.
	stamp string
	// notifyMu delivers statuses to observers in order, dropping any that a
	// newer one has overtaken. Observers must not change the core from
	// inside the callback (views hand the status to their own goroutine).
	notifyMu  sync.Mutex
	delivered uint64

	// changed wakes KeepFresh when the session is replaced.
	changed chan struct{}
	extras  *extras
	// renewFailed is set while the last check or renewal could not reach
	// the server, so KeepFresh tries again soon.
	renewFailed bool

	// Kiosk bookkeeping (WatchKiosk): when this person signed in, and the
	// display idle readings behind "I'm still here".
	signedInAt         time.Time
	lastIdle, idleBase time.Duration
	lastInput          time.Time // in ssotray's own window, for WindowInput
}

// New builds the core. It does no I/O; call Restore to pick up a stored session.
func New(d Deps) *Core {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.After == nil {
		d.After = time.After
	}
	if d.HTTPClient == nil {
		d.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Core{deps: d, store: &serialStore{st: d.Store}, methods: map[Method]authenticator{}, observers: map[int]func(Status){}, changed: make(chan struct{}, 1)}
	if d.Config.Authentik.Enabled {
		c.methods[Authentik] = newAuthentikMethod(d)
	}
	if d.Config.Navidrome.Enabled {
		c.methods[Navidrome] = newNavidromeMethod(d)
	}
	// A store that keeps nothing (a kiosk's) has nothing to look for: such
	// a core starts signed out.
	c.status = Status{Remembered: d.Store.Remembers()}
	if c.status.Remembered {
		c.status.State = Starting
	}
	return c
}

// Methods lists the enabled sign-in methods, Authentik first.
func (c *Core) Methods() []Method {
	var out []Method
	for _, m := range []Method{Authentik, Navidrome} {
		if _, ok := c.methods[m]; ok {
			out = append(out, m)
		}
	}
	return out
}

// MethodDisabledError means a sign-in method is not enabled in the configuration.
type MethodDisabledError struct{ Method Method }

func (e *MethodDisabledError) Error() string {
	return fmt.Sprintf("signing in with %s is not enabled; set %s.enabled: true in the configuration", e.Method, e.Method)
}

// Status returns the current snapshot.
func (c *Core) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Subscribe calls f with every new Status, on the goroutine that caused the
// change; views hop to their own goroutine. The returned func unsubscribes.
func (c *Core) Subscribe(f func(Status)) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.nextObs
	c.nextObs++
	c.observers[id] = f
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.observers, id)
	}
}

// change applies f to the state under the lock, then tells observers.
func (c *Core) change(f func()) {
	c.mu.Lock()
	f()
	c.status.Apps = c.appsLocked()
	c.seq++
	seq, st := c.seq, c.status
	obs := make([]func(Status), 0, len(c.observers))
	for _, o := range c.observers {
		obs = append(obs, o)
	}
	c.mu.Unlock()

	c.notifyMu.Lock()
	defer c.notifyMu.Unlock()
	if seq < c.delivered {
		return // a newer status has been delivered already
	}
	c.delivered = seq
	for _, o := range obs {
		o(st)
	}
}

// update changes the status.
func (c *Core) update(f func(s *Status)) { c.change(func() { f(&c.status) }) }

// setSession installs s as the signed-in session (nil: signed out), and the
// status that goes with it, in one step.
func (c *Core) setSession(s *tokenstore.Session, notice string) {
	c.change(func() { c.setSessionLocked(s, notice) })
}

func (c *Core) setSessionLocked(s *tokenstore.Session, notice string) {
	c.renewFailed = false
	if s == nil || c.session == nil || c.session.Subject != s.Subject {
		c.signedInAt, c.idleBase = time.Time{}, 0 // a new person starts afresh
		if s != nil {
			c.signedInAt = c.deps.Now()
		}
	}
	if s == nil || c.extras == nil || c.extras.subject != s.Subject {
		c.extras = nil // nothing of the previous person stays
	}
	c.session = s
	c.gen++
	select {
	case c.changed <- struct{}{}:
	default:
	}
	c.status = Status{State: SignedOut, Remembered: c.status.Remembered, Notice: notice}
	if s != nil {
		c.status.State = SignedIn
		c.status.Method = Method(s.Method)
		c.status.Profile = profileOf(s)
		c.status.ExpiresAt = s.Expiry
		c.status.Renews, c.status.SignInAgainAt = c.lifetimeLocked(s)
		c.applyExtrasLocked()
	}
}

func profileOf(s *tokenstore.Session) Profile {
	p := Profile{Subject: s.Subject, Username: s.Username, Name: s.Name, Email: s.Email, Groups: s.Groups}
	if Method(s.Method) == Navidrome {
		p.Role, p.Groups = "user", nil
		if s.Admin {
			p.Role, p.Groups = "admin", []string{NavidromeAdminsGroup}
		}
	}
	return p
}

// current returns a copy of the session and its generation.
func (c *Core) current() (*tokenstore.Session, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == nil {
		return nil, c.gen
	}
	s := *c.session
	return &s, c.gen
}

// Restore picks up the stored session. A session whose access token is still
// valid is used without any network; an expired one is refreshed silently.
func (c *Core) Restore(ctx context.Context) error {
	m := c.install()
	c.deps.Logger.Debug("looked for a stored session", "state", c.Status().State)
	if m == nil {
		return nil
	}
	_, err := c.renew(ctx, m.resume, renewal{})
	return err
}

// install puts the stored session in place, and returns its method (nil
// when there is none to renew). A renewal under way in this process ends
// first: replacing its session meanwhile would make it drop the tokens the
// provider has just rotated (a restore at start and one for another
// process's news can meet).
func (c *Core) install() authenticator {
	c.renewMu.Lock()
	defer c.renewMu.Unlock()
	c.setStamp(c.stampBeforeLoad())
	s, err := c.store.Load()
	var unavailable *tokenstore.UnavailableError
	switch {
	case errors.Is(err, tokenstore.ErrNotFound):
		c.setSession(nil, "")
		return nil
	case errors.As(err, &unavailable):
		c.update(func(st *Status) { st.Remembered = false })
		c.setSession(nil, unavailable.Error()+"; sessions cannot be remembered until it works")
		return nil
	case err != nil:
		_ = c.store.Delete()
		c.setSession(nil, err.Error())
		return nil
	}
	m, ok := c.methods[Method(s.Method)]
	if !ok || m.server() != s.Server {
		c.setSession(nil, "the stored session was made with a sign-in method or server that is no longer configured; sign in again")
		return nil
	}
	c.storeWorks()
	c.setSession(s, "")
	return m
}

// stampBeforeLoad is the renewal lock's stamp read before the store is: so
// it is never newer than what is read with it. Where there is none yet
// (the runtime directory is cleared at boot), it sets the first.
func (c *Core) stampBeforeLoad() string {
	if c.deps.RenewLock == nil {
		return ""
	}
	if stamp := c.deps.RenewLock.Stamp(); stamp != "" {
		return stamp
	}
	if stamp := c.deps.RenewLock.First(); stamp != "" {
		return stamp
	}
	return c.deps.RenewLock.Stamp() // another process set the first meanwhile
}

// storeWorks records that the store gave or took a session: a keyring that
// failed before (locked at login, say) works again, and the session is
// remembered.
func (c *Core) storeWorks() {
	if c.Status().Remembered || !c.deps.Store.Remembers() {
		return // nothing to tell the views
	}
	c.update(func(st *Status) { st.Remembered = true })
}

// Reload takes up what another ssotray process stored: its sign-in, its
// sign-out, or the same person's session renewed there (taken up once a
// renewal under way here has ended, so that what the provider rotated for
// it is stored first, and with no network). The session this process holds
// is kept when the store cannot be read. Nothing is read when the renewal
// lock's stamp is the one this process last read or wrote: then nobody
// changed the store (the news of this process's own change comes back to
// it through the tray).
func (c *Core) Reload(ctx context.Context) error {
	if c.deps.RenewLock != nil && !c.storeChanged(false) {
		return nil
	}
	held, gen := c.current()
	s, err := c.store.Load()
	switch {
	case errors.Is(err, tokenstore.ErrNotFound):
		if held != nil {
			c.setSession(nil, errSignedOutElsewhere.Error())
		} else if c.Status().State == Starting {
			c.change(func() { // unless a restore or a sign-in got there first
				if c.gen == gen && c.status.State == Starting {
					c.setSessionLocked(nil, "")
				}
			})
		}
		return nil
	case err != nil:
		return nil
	case held != nil && sameGrant(held, s) && sameTokens(held, s):
		return nil
	case held != nil && sameGrant(held, s):
		c.takeUp()
		return nil
	}
	return c.Restore(ctx)
}

// takeUp installs the same person's session that another process renewed,
// once a renewal under way here has ended and stored what the provider
// rotated for it: so it is read again now. A read that fails keeps the
// session held here.
func (c *Core) takeUp() {
	c.renewMu.Lock()
	defer c.renewMu.Unlock()
	// With the store to itself: a save of this process still under way
	// ends, and its new stamp is set, before the stamp is read here.
	c.store.locked(func(st tokenstore.Store) {
		stamp := c.stampBeforeLoad()
		s, err := st.Load()
		held, _ := c.current()
		if err != nil || held == nil || !sameGrant(held, s) {
			return
		}
		c.storeWorks()
		c.setSession(s, "")
		c.setStamp(stamp)
	})
}

// Lent is a token one ssotray process hands to another of the same user
// (the running tray to `ssotray token`), with the session's method and
// server, so that the borrower uses it only where its own configuration
// would use that session.
type Lent struct {
	Method Method `json:"method"`
	Server string `json:"server"`
	Token  string `json:"token"`
}

// Lend returns the access token (the ID token with id) of the session held
// here, when another process would read the same from the store: the
// session is stored, fresh, and no process has changed the store since
// this one read or wrote it (the renewal lock's stamps agree). ok is false
// otherwise, and the other process reads the store itself. It does no I/O
// but reading the stamp, and never renews.
func (c *Core) Lend(id bool) (l Lent, ok bool) {
	if c.deps.RenewLock == nil {
		return Lent{}, false
	}
	stamp := c.deps.RenewLock.Stamp()
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.session
	// A Navidrome session is pinged at every `ssotray token` (its JWT says
	// nothing of a changed password); the tray lends without asking.
	if s == nil || Method(s.Method) != Authentik || !stampsAgree(stamp, c.stamp) || !c.status.Remembered || !fresh(s, c.deps.Now()) {
		return Lent{}, false
	}
	t := s.AccessToken
	if id {
		t = s.IDToken
	}
	return Lent{Method: Method(s.Method), Server: s.Server, Token: t}, t != ""
}

// Borrows tells whether this configuration would use a session of l's
// method and server, so the token another process lent stands for what
// this one would read from the store.
func (c *Core) Borrows(l Lent) bool {
	m, ok := c.methods[l.Method]
	return ok && m.server() == l.Server && l.Token != ""
}

// errSignedOutElsewhere is why a session another process removed is gone.
var errSignedOutElsewhere = errors.New("you were signed out in another ssotray (the tray, a window or the terminal), or your session ended there; sign in again to go on")

// refreshSkew renews tokens a little before they expire, so a token handed
// out is still good when it arrives.
const refreshSkew = 30 * time.Second

// fresh: a Navidrome session with no expiry is checked by other means
// (a ping); an Authentik one with none was stored before sign-ins got a
// default lifetime, and is renewed rather than trusted forever.
func fresh(s *tokenstore.Session, now time.Time) bool {
	if s.Expiry.IsZero() {
		return Method(s.Method) != Authentik
	}
	return s.Expiry.After(now.Add(refreshSkew))
}

// ErrNotSignedIn means there is no session.
var ErrNotSignedIn = errors.New("not signed in; run `ssotray login` first")

// errSessionEnded is what a method returns when the server no longer
// accepts the session.
var errSessionEnded = errors.New("your session has ended; sign in again")

// AccessToken returns a valid access token, refreshing first when needed.
func (c *Core) AccessToken(ctx context.Context) (string, error) {
	s, _ := c.current()
	if s == nil {
		return "", ErrNotSignedIn
	}
	if !fresh(s, c.deps.Now()) {
		var err error
		if s, err = c.renew(ctx, c.methods[Method(s.Method)].refresh, renewal{onlyIfStale: true}); err != nil {
			return "", err
		}
	}
	return s.AccessToken, nil
}

// renewRefused returns a renewed access token in place of token, which a
// server refused before it expired.
func (c *Core) renewRefused(ctx context.Context, token string) (string, error) {
	s, _ := c.current()
	if s == nil {
		return "", ErrNotSignedIn
	}
	if s.RefreshToken == "" {
		return s.AccessToken, nil // nothing to renew with
	}
	s, err := c.renew(ctx, c.methods[Method(s.Method)].refresh, renewal{onlyIfStale: true, refused: token})
	if err != nil {
		return "", err
	}
	return s.AccessToken, nil
}

// IDToken returns the ID token of the session (refreshing like AccessToken).
func (c *Core) IDToken(ctx context.Context) (string, error) {
	if _, err := c.AccessToken(ctx); err != nil {
		return "", err
	}
	s, _ := c.current()
	if s == nil || s.IDToken == "" {
		return "", errors.New("this session has no ID token")
	}
	return s.IDToken, nil
}

// renewal says when renew renews: by default it runs its step whatever the
// session; onlyIfStale skips a session another caller has just renewed.
// A session whose access token a server refused before its expiry
// (refused) is stale, and so is one whose renewal is due although it is
// still fresh (Navidrome's JWT, renewed long before it expires).
type renewal struct {
	onlyIfStale bool
	refused     string
	due         bool
}

// renewLockWait bounds the wait for another process's renewal: one takes a
// refresh request (at most the HTTP client's 30 s) and a keyring write.
const renewLockWait = 45 * time.Second

// renew runs step (a method's resume or refresh) on the current session,
// one at a time in this process and, with Deps.RenewLock, across processes:
// under that lock a stale session is first compared with the stored one
// (read again only when the lock's stamp says another process changed it),
// taken over when another process has renewed it already, renewed with
// the stored refresh token otherwise, and the lock is let go only once the
// renewed session is stored (see renewal for when it renews). When the
// server refuses, the person is signed out with the reason, unless the
// store by then holds a session renewed elsewhere: that one is used and
// never deleted. Other failures leave the session alone. A result that
// arrives after the session was replaced or signed out is dropped.
func (c *Core) renew(ctx context.Context, step func(context.Context, *tokenstore.Session) (*tokenstore.Session, error), w renewal) (*tokenstore.Session, error) {
	c.renewMu.Lock()
	defer c.renewMu.Unlock()
	s, gen := c.current()
	if s == nil {
		return nil, ErrNotSignedIn
	}
	// A stale session is renewed under the cross-process lock, after a look
	// at what another process stored.
	stale := func(s *tokenstore.Session) bool {
		return !fresh(s, c.deps.Now()) || w.due || w.refused != "" && s.AccessToken == w.refused
	}
	if w.onlyIfStale && !stale(s) {
		return s, nil
	}
	c.update(func(st *Status) { st.State = Refreshing })
	// still is true while the session is the one renewed: a sign-in or
	// sign-out meanwhile (each holds the store while it acts) wins.
	still := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.gen == gen
	}
	current := func() (*tokenstore.Session, error) {
		if cur, _ := c.current(); cur != nil {
			return cur, nil
		}
		return nil, ErrNotSignedIn
	}
	failed := func(err error) (*tokenstore.Session, error) {
		c.change(func() {
			c.renewFailed = !errors.Is(err, errCannotRenew) // trying again in 30 s would not change that
			c.status.State = SignedIn
			c.status.Notice = "could not check or renew the session: " + err.Error()
		})
		return nil, fmt.Errorf("renewing your session: %w", err)
	}

	// A fresh session goes to no server that rotates anything (a resume
	// that needs no network, a Navidrome ping): no lock for it.
	unlock := func() {}
	if c.deps.RenewLock != nil && stale(s) {
		u, err := c.lockRenewals(ctx)
		if err != nil {
			return failed(err)
		}
		unlock = u
	}
	saving := false // then the background save lets go of the lock
	defer func() {
		if !saving {
			unlock()
		}
	}()

	var ns *tokenstore.Session
	var err error
	adopted := false // ns is the stored session, renewed by another process
	if c.deps.RenewLock != nil && stale(s) && c.storeChanged(true) {
		var gone bool
		if ns, s, gone = c.storedRenewal(s); gone && still() {
			// Signed out by another ssotray (logout): so here too.
			c.setSession(nil, "Signed out in another ssotray.")
			return nil, ErrNotSignedIn
		}
		adopted = ns != nil
	}
	if !adopted {
		ns, err = step(ctx, s)
		if errors.Is(err, errSessionEnded) {
			// Refused: renewed meanwhile by a process that did not take
			// the lock? Then the stored session is the one to use or renew.
			var with *tokenstore.Session
			if ns, with, _ = c.storedRenewal(s); ns != nil {
				err, adopted = nil, true
				c.setStamp("")
			} else if with != s {
				s = with
				ns, err = step(ctx, s)
			}
		}
	}
	if !still() {
		return current()
	}
	switch {
	case errors.Is(err, errSessionEnded):
		// Deleted only if what the server refused is what is stored; the
		// check and the delete with no other keyring operation between them.
		ended, kept := false, (*tokenstore.Session)(nil)
		c.store.locked(func(st tokenstore.Store) {
			if !still() {
				return
			}
			stored, lerr := st.Load()
			switch {
			case lerr == nil && !sameTokens(stored, s) && sameGrant(stored, s):
				kept = stored // renewed elsewhere after all: use it
				c.setSession(stored, "")
				c.setStamp("")
			case lerr == nil && !sameTokens(stored, s):
				// Someone else's session now (another person or server):
				// not this process's to delete.
				ended = true
				c.setSession(nil, err.Error())
			default:
				ended = true
				_ = st.Delete()
				c.bumpStamp()
				c.setSession(nil, err.Error())
			}
		})
		switch {
		case kept != nil && fresh(kept, c.deps.Now()):
			return kept, nil
		case kept != nil:
			return failed(errors.New("another ssotray process renewed it at the same moment; try again"))
		case !ended:
			return current()
		}
		return nil, err
	case err != nil:
		return failed(err)
	case ns == s || adopted: // nothing to store (again)
		installed := true
		c.change(func() {
			if installed = c.gen == gen; !installed {
				return // signed out or replaced meanwhile
			}
			if adopted {
				c.setSessionLocked(ns, "")
			}
			c.renewFailed = false
			c.status.State = SignedIn
			c.status.Notice = ""
		})
		if !installed {
			return current()
		}
		return ns, nil
	}
	// The caller has the new tokens at once; the keyring write goes on in
	// the background, in line before any later keyring operation, and Flush
	// waits for it. The provider has already rotated the refresh token, so
	// the write lands no later than it would have if the caller waited. The
	// cross-process lock goes with the write: another process that takes it
	// next must find the new session stored, and a new stamp.
	renewed := false
	c.store.saveInBackgroundIf(func() bool {
		if renewed = still(); renewed {
			c.setSession(ns, "")
		}
		return renewed
	}, ns, func(err error) {
		c.bumpStamp()
		unlock()
		if err == nil {
			c.storeWorks()
			return
		}
		notice := c.notStored(err)
		c.change(func() {
			if c.session == ns {
				c.status.Notice = notice
			}
		})
	})
	saving = renewed
	if !renewed {
		return current()
	}
	return ns, nil
}

// lockRenewals takes the cross-process renewal lock, waiting at most
// renewLockWait.
func (c *Core) lockRenewals(ctx context.Context) (unlock func(), err error) {
	ctx, cancel := context.WithTimeout(ctx, renewLockWait)
	defer cancel()
	return c.deps.RenewLock.Lock(ctx)
}

// storeChanged reads the renewal lock's stamp and tells whether another
// process may have changed the stored session since this one last read or
// wrote it. With record, the caller reads the session again, so the stamp
// read now becomes the one this process knows: read before the session, a
// stamp can only be older than what is read with it, never newer.
func (c *Core) storeChanged(record bool) bool {
	now := c.deps.RenewLock.Stamp()
	c.mu.Lock()
	defer c.mu.Unlock()
	changed := !stampsAgree(now, c.stamp)
	if record {
		c.stamp = now
	}
	return changed
}

// stampsAgree is true when the stamp read now is the one this process
// knows; an unknown one ("") agrees with nothing.
func stampsAgree(now, known string) bool { return now != "" && now == known }

// setStamp records the stamp that goes with the session this process holds
// ("" for unknown: the next renewal reads the store again).
func (c *Core) setStamp(stamp string) {
	c.mu.Lock()
	c.stamp = stamp
	c.mu.Unlock()
}

// bumpStamp tells other processes that the stored session changed: the
// stamp for renewals, and Announce for the views that show it.
func (c *Core) bumpStamp() {
	if c.deps.RenewLock != nil {
		c.setStamp(c.deps.RenewLock.Bump())
	}
	if c.deps.Announce != nil {
		c.deps.Announce()
	}
}

// storedRenewal looks at the stored session: when another process has
// renewed s (same person and server, other tokens), use is it if still
// fresh, else it is what to renew with; otherwise renewWith is s. gone is
// true when nothing is stored though this process's session was: another
// process signed out.
func (c *Core) storedRenewal(s *tokenstore.Session) (use, renewWith *tokenstore.Session, gone bool) {
	stored, err := c.store.Load()
	if errors.Is(err, tokenstore.ErrNotFound) {
		return nil, s, c.Status().Remembered
	}
	if err != nil || !sameGrant(stored, s) || sameTokens(stored, s) {
		return nil, s, false
	}
	if fresh(stored, c.deps.Now()) {
		return stored, stored, false
	}
	return nil, stored, false
}

// sameGrant is true when a and b are sessions of the same person with the
// same method and server.
func sameGrant(a, b *tokenstore.Session) bool {
	return a.Method == b.Method && a.Server == b.Server && a.Subject == b.Subject
}

// sameTokens is true when a and b hold the same credential: the refresh
// token, or the access token of a session that has none (Navidrome's JWT).
func sameTokens(a, b *tokenstore.Session) bool {
	if a.RefreshToken != "" || b.RefreshToken != "" {
		return a.RefreshToken == b.RefreshToken
	}
	return a.AccessToken == b.AccessToken
}

// shareToken is true when a and b have a refresh or an access token in common.
func shareToken(a, b *tokenstore.Session) bool {
	return a.RefreshToken != "" && a.RefreshToken == b.RefreshToken || a.AccessToken != "" && a.AccessToken == b.AccessToken
}

// notStored records that the session could not be stored and says so.
func (c *Core) notStored(err error) string {
	c.deps.Logger.Warn("session not stored", "err", err)
	c.update(func(st *Status) { st.Remembered = false })
	return "signed in, but " + err.Error() + "; this session will not be remembered after ssotray exits unless you sign in again once the keyring works"
}

// Flush waits for a renewal under way and until the session is written to
// the store: call it before the process exits, or a renewed session (its
// refresh token already rotated at the provider) would be lost. A renewal
// whose context is cancelled ends quickly.
func (c *Core) Flush() {
	c.renewMu.Lock()
	defer c.renewMu.Unlock()
	c.store.Wait()
}

// SignInOptions adjust one interactive sign-in.
type SignInOptions struct {
	// Username and Password are for Navidrome; the password is used once
	// and never stored.
	Username, Password string
	Timeout            time.Duration // 0: 3 minutes
	// ShowURL tells the person where to sign in if the browser does not open.
	ShowURL func(url string)
	// BrowserFailed is told why the browser could not be opened.
	BrowserFailed func(err error)
}

// String keeps the password out of anything that prints the options.
func (o SignInOptions) String() string {
	return fmt.Sprintf("SignInOptions{username:%q password:[redacted] timeout:%s}", o.Username, o.Timeout)
}

// GoString keeps %#v redacted too.
func (o SignInOptions) GoString() string { return o.String() }

// ErrSignInCancelled: the person (Cancel, Ctrl-C) or the program stopped
// the sign-in.
var ErrSignInCancelled = oidc.ErrCancelled

// ErrBusy means a sign-in is already under way.
var ErrBusy = errors.New("a sign-in is already in progress; finish or cancel it first")

// SignIn signs in with method, replacing any current session.
func (c *Core) SignIn(ctx context.Context, method Method, opts SignInOptions) error {
	m, ok := c.methods[method]
	if !ok {
		return &MethodDisabledError{Method: method}
	}
	c.signOutMu.Lock() // wait for a sign-out still under way
	c.signOutMu.Unlock()
	c.mu.Lock()
	if c.signingIn {
		c.mu.Unlock()
		return ErrBusy
	}
	c.signingIn = true
	prev, gen := c.status, c.gen
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.signingIn = false
		c.mu.Unlock()
	}()
	c.update(func(st *Status) { st.State = SigningIn; st.Method = method; st.Notice = "" })
	s, err := m.signIn(ctx, opts)
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		err = ErrSignInCancelled // the same words at whichever step it was stopped
	}
	if err != nil {
		// Before the sign-in screen is back: a new sign-in must not start a
		// browser that this would then close.
		c.closeBrowsersOfNobody("after a sign-in that did not finish")
		c.change(func() {
			if c.gen == gen {
				c.status = prev
				if prev.State == Starting { // the failure is news for the sign-in screen
					c.status.State = SignedOut
				}
			} else { // another process's session was taken up meanwhile (Reload)
				c.setSessionLocked(c.session, "")
			}
			c.status.Notice = err.Error()
		})
		return err
	}
	// The save and the new session in one step, so a renewal of the last
	// session finishing meanwhile cannot overwrite either.
	replaced := []*tokenstore.Session{}
	if mine, _ := c.current(); mine != nil {
		replaced = append(replaced, mine)
	}
	c.store.locked(func(st tokenstore.Store) {
		// What the keyring held is what the provider still honours (another
		// process may have renewed it), and all that `ssotray login` knows.
		if stored, err := st.Load(); err == nil {
			replaced = append(replaced, stored)
		}
		notice := ""
		if err := saveOrForget(st, s); err != nil {
			notice = c.notStored(err)
		} else {
			c.storeWorks()
		}
		c.bumpStamp()
		if s.Method == string(Authentik) && s.RefreshToken == "" && notice == "" {
			notice = errNoRefreshToken.Error()
		}
		c.setSession(s, notice)
	})
	c.revokeReplaced(ctx, s, replaced)
	return nil
}

// closeBrowsersOfNobody closes a kiosk's browsers while nobody is signed
// in (after a sign-in that failed, was cancelled or timed out, or at exit):
// they may hold a half-finished login or whatever the person did in them,
// and no sign-out will close them before the next person. when says which,
// for the log.
func (c *Core) closeBrowsersOfNobody(when string) {
	if !c.deps.Kiosk || c.deps.CloseBrowsers == nil {
		return
	}
	if mine, _ := c.current(); mine != nil {
		return // the person signed in keeps their browser
	}
	if err := c.deps.CloseBrowsers(); err != nil {
		c.deps.Logger.Error("kiosk: browsers left running "+when, "err", err)
	}
}

// replacedRevokeWait bounds the revocation of a replaced session, which
// delays the end of a sign-in.
const replacedRevokeWait = 10 * time.Second

// revokeReplaced takes back, at the provider, the tokens of the sessions a
// new sign-in replaced: forgotten here, they would otherwise stay valid
// there (a refresh token for 30 days) for whoever copied them. Best effort:
// the new session is already in place, so a failure is only logged.
func (c *Core) revokeReplaced(ctx context.Context, now *tokenstore.Session, replaced []*tokenstore.Session) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replacedRevokeWait)
	defer cancel()
	var done []*tokenstore.Session
	for _, old := range replaced {
		// A provider may hand out a token again (no rotation, the same
		// access token): revoking it would end the new session too.
		if shareToken(old, now) || slices.ContainsFunc(done, func(d *tokenstore.Session) bool { return sameTokens(d, old) && d.AccessToken == old.AccessToken }) {
			continue
		}
		done = append(done, old)
		// A session made with another server stays away from this one's endpoints.
		m, ok := c.methods[Method(old.Method)]
		if !ok || m.server() != old.Server {
			continue
		}
		if _, errs := m.signOut(ctx, old, true); len(errs) > 0 {
			c.deps.Logger.Warn("the session replaced by this sign-in could not be revoked at the provider; it stays valid there until it expires", "err", errors.Join(errs...))
		}
	}
}

// SignOutOptions adjust a sign-out.
type SignOutOptions struct {
	// Local skips ending the browser session at the provider.
	Local bool
	// Reason is shown to the person afterwards (e.g. an idle sign-out).
	Reason string
}

// kioskRevokeWait bounds a kiosk sign-out's revocation: the screen is back
// and the browsers are closed already, so a slow provider must not hold a
// kiosk that the signals end, nor keep the tokens' fate unknown for long.
const kioskRevokeWait = 5 * time.Second

// ForgetError means the session could not be removed from the keyring: the
// person would still be signed in at the next start.
type ForgetError struct{ Err error }

func (e *ForgetError) Error() string {
	return "could not remove the session from the keyring (" + e.Err.Error() + "); unlock the keyring and sign out again"
}

func (e *ForgetError) Unwrap() error { return e.Err }

// SignOutReport is what a sign-out did beyond forgetting the session here,
// so that views say that and no more.
type SignOutReport struct {
	Method Method
	// Revoked: the provider took back the tokens.
	Revoked bool
	// PageOpened: the provider's sign-out page was opened in the browser.
	// What it ends there is the provider's choice (in Authentik, the
	// provider's Invalidation flow).
	PageOpened bool
	// BrowsersClosed: the browsers ssotray started were closed (kiosk).
	BrowsersClosed bool
}

// String is the one line views show after a sign-out.
func (r SignOutReport) String() string { return r.after("") }

// after is reason (a sentence, "" for none) followed by what was done.
func (r SignOutReport) after(reason string) string {
	var done []string
	if r.Revoked {
		done = append(done, "your tokens were revoked")
	}
	switch {
	case r.BrowsersClosed:
		done = append(done, "the browser windows ssotray opened were closed")
	case r.PageOpened:
		done = append(done, "the identity provider's sign-out page was opened in your browser (if it offers to log you out of authentik, do so to end your session there too)")
	}
	if r.Method == Navidrome {
		done = append(done, "Navidrome has no sign-out: its token ends when it expires")
	}
	switch {
	case len(done) == 0 && reason == "":
		return "Signed out here."
	case len(done) == 0:
		return reason
	case reason == "":
		reason = "Signed out"
	}
	return strings.TrimSuffix(reason, ".") + ": " + strings.Join(done, "; ") + "."
}

// SignOut forgets the session here, then revokes it at the server and ends
// the browser session there, and reports what was done. A *ForgetError
// means it is still stored here; other errors are what could not be done at
// the server.
//
// In a kiosk the browsers are closed right after the session is forgotten,
// before the provider is asked anything: with private windows the browser
// session dies with them, whatever the provider's invalidation flow, so no
// end-session page is opened. The revocation that follows is bounded by
// kioskRevokeWait and does not hold up the next person's sign-in.
func (c *Core) SignOut(ctx context.Context, opts SignOutOptions) (SignOutReport, error) {
	c.signOutMu.Lock()
	held := true
	release := func() {
		if held {
			held = false
			c.signOutMu.Unlock()
		}
	}
	defer release()
	s, _ := c.current()
	if s == nil {
		// Sign-out needs no Restore (which might refresh first).
		var err error
		if s, err = c.store.Load(); errors.Is(err, tokenstore.ErrNotFound) {
			return SignOutReport{}, ErrNotSignedIn
		} else if err != nil {
			if derr := c.store.Delete(); derr != nil {
				return SignOutReport{}, &ForgetError{Err: derr}
			}
			return SignOutReport{}, nil
		}
	}
	report := SignOutReport{Method: Method(s.Method)}
	// Between renewals of other processes (the window, `ssotray token`):
	// one that is renewing now would store its new session after the
	// delete. Waiting in vain is no reason not to sign out here.
	unlock := func() {}
	if c.deps.RenewLock != nil {
		if u, err := c.lockRenewals(ctx); err == nil {
			unlock = u
		}
	}
	// Forget it locally first: whatever happens at the server, nobody finds
	// this person signed in here afterwards. What another process renewed
	// last is what the server still honours.
	var problems []error
	newest := s
	c.store.locked(func(st tokenstore.Store) {
		if stored, err := st.Load(); err == nil && sameGrant(stored, s) {
			newest = stored
		}
		if err := st.Delete(); err != nil {
			problems = append(problems, &ForgetError{Err: err})
		}
		c.bumpStamp()
		c.setSession(nil, opts.Reason)
	})
	unlock()
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	if c.deps.Kiosk {
		if c.deps.CloseBrowsers != nil {
			began := c.deps.Now()
			c.deps.Logger.Info("kiosk sign-out: closing the browsers")
			if err := c.deps.CloseBrowsers(); err != nil {
				c.deps.Logger.Error("kiosk sign-out: browsers left running", "err", err)
				problems = append(problems, err)
			} else {
				report.BrowsersClosed = true
				c.deps.Logger.Info("kiosk sign-out: browsers closed", "took", c.deps.Now().Sub(began))
			}
		}
		release() // the next person may sign in: what is left is the last one's tokens
		opts.Local = true
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, kioskRevokeWait)
		defer cancel()
	}
	// A session made with another server stays away from this one's endpoints.
	if m, ok := c.methods[Method(s.Method)]; ok && m.server() == s.Server {
		r, errs := m.signOut(ctx, newest, opts.Local)
		report.Revoked, report.PageOpened = r.Revoked, r.PageOpened
		problems = append(problems, errs...)
		if !sameTokens(newest, s) || newest.AccessToken != s.AccessToken {
			// This process's own tokens too (its access token still works).
			_, errs := m.signOut(ctx, s, true)
			problems = append(problems, errs...)
		}
	}
	err := errors.Join(problems...)
	// Unless someone signed in (or began to) meanwhile, or the session is
	// still in the keyring, the sign-in screen says it too.
	var forget *ForgetError
	c.change(func() {
		if c.session == nil && c.gen == gen && c.status.State == SignedOut && !errors.As(err, &forget) {
			c.status.Notice = report.after(opts.Reason)
		}
	})
	return report, err
}

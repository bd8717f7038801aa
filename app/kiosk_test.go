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

// fakeIdle is the display's idle counter, set by the test.
type fakeIdle struct {
	mu sync.Mutex
	d  time.Duration
}

func (f *fakeIdle) set(d time.Duration) { f.mu.Lock(); f.d = d; f.mu.Unlock() }
func (f *fakeIdle) Idle() (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.d, nil
}

func TestWatchKiosk(t *testing.T) {
	c, _, clk := newTestCore(t, tokenstore.NewMemory())
	c.deps.Kiosk = true
	c.deps.Config.Kiosk = config.Kiosk{Enabled: true, IdleTimeout: config.Duration(5 * time.Minute), SessionLimit: config.Duration(time.Hour)}
	idle := &fakeIdle{}
	check := watchKiosk(t, c, clk, idle)
	// step lets one check run with the display idle for d, the clock moved by advance.
	step := func(d, advance time.Duration) Status {
		t.Helper()
		idle.set(d)
		return check(advance)
	}

	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	if st := step(time.Minute, time.Minute); st.State != SignedIn || st.Countdown != 0 {
		t.Fatalf("a minute idle: %+v", st)
	}
	if st := step(4*time.Minute+40*time.Second, 3*time.Minute); st.Countdown != 20*time.Second {
		t.Errorf("20 s before the idle sign-out: countdown %v", st.Countdown)
	}
	c.StillHere()
	if st := step(4*time.Minute+41*time.Second, time.Second); st.State != SignedIn || st.Countdown != 0 {
		t.Errorf("after I'm still here: %+v", st)
	}
	// Input on the display resets its counter: the wait starts from it.
	if st := step(10*time.Second, time.Minute); st.State != SignedIn || st.Countdown != 0 {
		t.Errorf("after real input: %+v", st)
	}
	if st := step(5*time.Minute, 5*time.Minute); st.State != SignedOut || !strings.Contains(st.Notice, "Signed out after 5m0s without activity") {
		t.Errorf("idle sign-out: %+v", st)
	}

	// The next person stays active but reaches the session limit.
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	if st := step(time.Second, 59*time.Minute); st.State != SignedIn {
		t.Errorf("59 minutes in: %+v", st)
	}
	if st := step(time.Second, time.Minute); st.State != SignedOut || !strings.Contains(st.Notice, "lasts at most 1h0m0s") {
		t.Errorf("session limit: %+v", st)
	}
}

// While nobody is signed in, Status.Idle tells when the machine has been
// left alone for the idle timeout (the sign-in screen then empties its form).
func TestWatchKioskIdleWhileSignedOut(t *testing.T) {
	c, _, clk := newTestCore(t, tokenstore.NewMemory())
	c.deps.Kiosk = true
	c.deps.Config.Kiosk = config.Kiosk{Enabled: true, IdleTimeout: config.Duration(5 * time.Minute)}
	idle := &fakeIdle{}
	check := watchKiosk(t, c, clk, idle)
	for _, tt := range []struct {
		name   string
		idle   time.Duration
		signIn bool
		want   bool
	}{
		{"a minute after someone typed", time.Minute, false, false},
		{"left alone for the idle timeout", 5 * time.Minute, false, true},
		{"someone comes back", 10 * time.Second, false, false},
		{"left alone again", 6 * time.Minute, false, true},
		{"signed in (by a script, no input)", 7 * time.Minute, true, false},
	} {
		if tt.signIn {
			_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
		}
		idle.set(tt.idle)
		if st := check(time.Second); st.Idle != tt.want {
			t.Errorf("%s: Idle %v, want %v", tt.name, st.Idle, tt.want)
		}
	}
}

// watchKiosk runs WatchKiosk on src until the test ends; each call of the
// func it returns moves the clock by advance, lets one check run and
// returns the status after it.
func watchKiosk(t *testing.T, c *Core, clk *clock, src IdleSource) func(advance time.Duration) Status {
	ctx, cancel := context.WithCancel(context.Background())
	after, waits, tick := manualAfter(ctx)
	c.deps.After = after
	done := make(chan struct{})
	go func() { c.WatchKiosk(ctx, src); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-waits
	return func(advance time.Duration) Status {
		clk.advance(advance)
		tick <- clk.now()
		<-waits
		return c.Status()
	}
}

// Where the display cannot tell its idle time, input in ssotray's own
// window (and what the person does through it) keeps the session.
func TestWatchKioskOnWindowInput(t *testing.T) {
	c, _, clk := newTestCore(t, tokenstore.NewMemory())
	c.deps.Kiosk = true
	c.deps.Config.Kiosk = config.Kiosk{Enabled: true, IdleTimeout: config.Duration(5 * time.Minute)}
	check := watchKiosk(t, c, clk, c.WindowInput())

	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	if st := check(4 * time.Minute); st.State != SignedIn || st.Countdown != 0 {
		t.Fatalf("4 minutes after the sign-in: %+v", st)
	}
	c.NoteInput() // a key or the mouse in the window
	if st := check(4*time.Minute + 40*time.Second); st.Countdown != 20*time.Second {
		t.Errorf("4m40s after the last input: countdown %v", st.Countdown)
	}
	c.StillHere()
	if st := check(4 * time.Minute); st.State != SignedIn || st.Countdown != 0 {
		t.Errorf("4 minutes after I'm still here: %+v", st)
	}
	_ = c.OpenApp(context.Background(), "nothing") // tapping a tile is input too
	if st := check(4 * time.Minute); st.State != SignedIn || st.Countdown != 0 {
		t.Errorf("4 minutes after a tile was tapped: %+v", st)
	}
	if st := check(time.Minute); st.State != SignedOut || !strings.Contains(st.Notice, "without activity") {
		t.Errorf("5 minutes without input: %+v", st)
	}

	// The next person's wait starts at their sign-in, not at the last input.
	clk.advance(time.Hour)
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	if st := check(time.Minute); st.State != SignedIn || st.Countdown != 0 {
		t.Errorf("a minute after the next sign-in: %+v", st)
	}
}

// brokenIdle is an idle source that fails until told otherwise.
type brokenIdle struct {
	fakeIdle
	broken bool
}

func (b *brokenIdle) Idle() (time.Duration, error) {
	b.mu.Lock()
	broken := b.broken
	b.mu.Unlock()
	if broken {
		return 0, errors.New("reading the X idle time: connection closed")
	}
	return b.fakeIdle.Idle()
}

func (b *brokenIdle) fail(on bool) { b.mu.Lock(); b.broken = on; b.mu.Unlock() }

// When the display's idle time cannot be read, the idle sign-out still
// comes (fail closed): input in ssotray's window is what counts then.
func TestWatchKioskFailsClosed(t *testing.T) {
	tests := []struct {
		name string
		// input: input in the window this long after the sign-in (0: none).
		input     time.Duration
		advance   []time.Duration // the checks, after the sign-in
		wantState State
		countdown time.Duration // after the last check
	}{
		{name: "broken from the start, no input", advance: []time.Duration{4 * time.Minute, time.Minute}, wantState: SignedOut},
		{name: "countdown from window input", advance: []time.Duration{4*time.Minute + 40*time.Second}, wantState: SignedIn, countdown: 20 * time.Second},
		{name: "window input keeps the session", input: 3 * time.Minute, advance: []time.Duration{3 * time.Minute, time.Minute}, wantState: SignedIn},
		{name: "window input, then none", input: time.Minute, advance: []time.Duration{time.Minute, 4 * time.Minute, time.Minute}, wantState: SignedOut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, clk, _, check := signedInOverBrokenIdle(t)
			var st Status
			elapsed := time.Duration(0)
			for _, d := range tt.advance {
				if tt.input > 0 && elapsed < tt.input && elapsed+d >= tt.input {
					clk.advance(tt.input - elapsed)
					c.NoteInput()
					d -= tt.input - elapsed
					elapsed = tt.input
				}
				st = check(d)
				elapsed += d
			}
			if st.State != tt.wantState || st.Countdown != tt.countdown {
				t.Errorf("state %v countdown %v, want %v %v (%+v)", st.State, st.Countdown, tt.wantState, tt.countdown, st)
			}
			if tt.wantState == SignedOut && !strings.Contains(st.Notice, "without activity") {
				t.Errorf("notice %q", st.Notice)
			}
		})
	}
}

// signedInOverBrokenIdle is a kiosk (idle timeout 5m) watched over an idle
// source that fails until told otherwise, with someone signed in.
func signedInOverBrokenIdle(t *testing.T) (*Core, *clock, *brokenIdle, func(time.Duration) Status) {
	t.Helper()
	c, _, clk := newTestCore(t, tokenstore.NewMemory())
	c.deps.Kiosk = true
	c.deps.Config.Kiosk = config.Kiosk{Enabled: true, IdleTimeout: config.Duration(5 * time.Minute)}
	idle := &brokenIdle{broken: true}
	check := watchKiosk(t, c, clk, idle)
	_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
	return c, clk, idle, check
}

// A source that fails once and recovers goes back to the display's time.
func TestWatchKioskBackToTheDisplay(t *testing.T) {
	_, _, idle, check := signedInOverBrokenIdle(t)
	if st := check(4*time.Minute + 50*time.Second); st.Countdown != 10*time.Second {
		t.Fatalf("broken source, 4m50s without window input: %+v", st)
	}
	// The display answers again: the person was busy in the browser.
	idle.fail(false)
	idle.set(5 * time.Second)
	if st := check(time.Minute); st.State != SignedIn || st.Countdown != 0 {
		t.Errorf("the display says 5 s idle: %+v", st)
	}
}

// At exit a kiosk signs out and closes the browsers, also those of a
// sign-in left half-way; a desktop ssotray leaves both alone.
func TestEndKiosk(t *testing.T) {
	tests := []struct {
		kiosk, signedIn bool
		wantClosed      int
		wantSignOuts    int
	}{
		{kiosk: true, signedIn: true, wantClosed: 1, wantSignOuts: 1},
		{kiosk: true, signedIn: false, wantClosed: 1},
		{kiosk: false, signedIn: true},
	}
	for _, tt := range tests {
		c, f, _ := newTestCore(t, tokenstore.NewMemory())
		c.deps.Kiosk = tt.kiosk
		closed := 0
		c.deps.CloseBrowsers = func() error { closed++; return nil }
		if tt.signedIn {
			_ = c.SignIn(context.Background(), Authentik, SignInOptions{})
		}
		c.EndKiosk(context.Background())
		if closed != tt.wantClosed || len(f.signOuts) != tt.wantSignOuts {
			t.Errorf("kiosk %v signed in %v: closed %d times, %d sign-outs; want %d, %d", tt.kiosk, tt.signedIn, closed, len(f.signOuts), tt.wantClosed, tt.wantSignOuts)
		}
		if want := !tt.kiosk && tt.signedIn; (c.Status().State == SignedIn) != want {
			t.Errorf("kiosk %v: state %v after EndKiosk", tt.kiosk, c.Status().State)
		}
	}
}

// A kiosk sign-in that does not finish (refused, cancelled, timed out)
// closes the browser it opened: it may hold a half-finished login, or what
// the person did in it meanwhile. A person already signed in keeps theirs,
// and a desktop ssotray leaves the browser alone.
func TestFailedKioskSignInClosesTheBrowsers(t *testing.T) {
	tests := []struct {
		name            string
		kiosk, signedIn bool
		wantClosed      int
	}{
		{"kiosk, nobody signed in", true, false, 1},
		{"kiosk, a person signed in", true, true, 0},
		{"desktop", false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f, _ := newTestCore(t, tokenstore.NewMemory())
			c.deps.Kiosk = tt.kiosk
			closed := 0
			var shown State // what the window shows meanwhile
			c.deps.CloseBrowsers = func() error { closed++; shown = c.Status().State; return nil }
			if tt.signedIn {
				if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			f.signInErr = errors.New("access_denied: Permission denied")
			if err := c.SignIn(context.Background(), Authentik, SignInOptions{}); err == nil {
				t.Fatal("the sign-in did not fail")
			}
			if closed != tt.wantClosed {
				t.Errorf("browsers closed %d times, want %d", closed, tt.wantClosed)
			}
			if closed > 0 && shown != SigningIn {
				t.Errorf("the browsers were closed with the window at %v: a new sign-in could start one meanwhile", shown)
			}
			if got := c.Status().IsSignedIn(); got != tt.signedIn {
				t.Errorf("signed in %v after the failed sign-in, want %v", got, tt.signedIn)
			}
		})
	}
}

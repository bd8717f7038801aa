package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/navidrome/navidrometest"
	"github.com/ssotray/ssotray/oidc"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

// These tests run the real window under the session's Xvfb display and act
// on it the way a person at a keyboard would, with xdotool.

// gui is a running ssotray window.
type gui struct {
	t      *testing.T
	cmd    *exec.Cmd
	out    *liveOutput // ssotray's and its window's output, with the debug log
	window string      // X window id
	env    []string
}

// liveOutput collects a process's output while tests read it.
type liveOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *liveOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *liveOutput) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// lookedUp is the window's debug line once its core knows whether a
// session is stored: the starting screen gives way then.
const lookedUp = "looked for a stored session"

// waitScreen waits until the window has left its starting screen (the
// output holds lookedUp) and has had a moment to draw the next one: keys
// typed before then reach no sign-in screen. It needs SSOTRAY_DEBUG=1, as
// startGUI sets.
func (g *gui) waitScreen() {
	g.t.Helper()
	for deadline := time.Now().Add(40 * time.Second); !strings.Contains(g.out.String(), lookedUp); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			g.t.Fatalf("the window never said what it found in the keyring; its output:\n%s", g.out)
		}
	}
	time.Sleep(300 * time.Millisecond)
}

func startGUI(t *testing.T, w *world, extraEnv ...string) *gui {
	t.Helper()
	return startGUIArgs(t, w, nil, extraEnv...)
}

// startGUIArgs starts the window with more command-line flags.
func startGUIArgs(t *testing.T, w *world, args []string, extraEnv ...string) *gui {
	t.Helper()
	env := append(append([]string{}, w.env...), "LANG=en_US.UTF-8", "XDG_RUNTIME_DIR="+t.TempDir(), "SSOTRAY_DEBUG=1")
	env = append(env, extraEnv...)
	g := &gui{t: t, out: &liveOutput{}, env: env}
	g.cmd = exec.Command(bin.ssotray, append([]string{"--config", w.config}, args...)...)
	g.cmd.Env = env
	g.cmd.Stdout, g.cmd.Stderr = g.out, g.out
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		killTray(t, g.cmd.Process)
		_ = g.cmd.Wait()
	})
	if g.window = waitWindow(g.cmd.Process.Pid, 20*time.Second); g.window == "" {
		t.Fatalf("the window did not appear\n%s", g.out)
	}
	return g
}

// keys focuses the window (there is no window manager) and types.
func (g *gui) keys(args ...string) {
	g.t.Helper()
	cmd := append([]string{"windowfocus", "--sync", g.window}, args...)
	if out, err := exec.Command("xdotool", cmd...).CombinedOutput(); err != nil {
		g.t.Fatalf("xdotool %v: %v %s", cmd, err, out)
	}
}

// screenshot saves the screen as name.png in the artifacts directory
// (SSOTRAY_ARTIFACTS, default bin/artifacts) and returns the path.
func (g *gui) screenshot(name string) string {
	g.t.Helper()
	dir := os.Getenv("SSOTRAY_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "bin", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		g.t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if out, err := exec.Command("import", "-window", g.window, path).CombinedOutput(); err != nil {
		g.t.Fatalf("screenshot: %v %s", err, out)
	}
	info, err := os.Stat(path)
	if err != nil || info.Size() < 2000 {
		g.t.Fatalf("screenshot %s looks empty: %v", path, err)
	}
	g.t.Logf("screenshot: %s", path)
	return path
}

// waitSignedIn polls the keyring (shared with the window) for a session of user.
func waitSignedIn(t *testing.T, user string, g *gui) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if s := stored(t); s != nil && s.Username == user {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the window did not sign %s in; its output:\n%s", user, g.out)
		}
	}
}

func TestWindowSignsInWithAuthentik(t *testing.T) {
	w := newWorld(t, time.Minute)
	cfg, _ := os.ReadFile(w.config)
	cfg = append(cfg, []byte(`apps:
  - {name: Music, url: "https://music.example.com", description: Navidrome}
  - {name: Photos, url: "https://photos.example.com", description: Immich, groups: [users]}
  - {name: Admin, url: "https://auth.example.com/if/admin/", description: Authentik admin, groups: [admins]}
  - {name: Books, url: "https://books.example.com", description: Only for readers, groups: [readers]}
`)...)
	if err := os.WriteFile(w.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGUI(t, w)
	g.waitScreen()
	g.screenshot("signin")

	// Enter on the sign-in screen starts the browser sign-in (Chromium).
	g.keys("key", "Return")
	waitSignedIn(t, "alice", g)
	time.Sleep(time.Second) // the window draws the signed-in screen
	g.screenshot("signed-in")

	// Click the first tile (Music): it opens through browser_command.
	g.keys("mousemove", "--window", g.window, "83", "415", "click", "1")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if log, _ := os.ReadFile(w.log); strings.Contains(string(log), `"url":"https://music.example.com"`) {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(w.log)
			t.Fatalf("clicking the Music tile did not open it:\n%s", log)
		}
	}
	if len(w.events("authorize")) != 1 || w.events("authorize")[0].Detail["code_challenge_method"] != "S256" {
		t.Errorf("authorize requests: %v", w.events("authorize"))
	}

	// A second start shows the running window instead of opening another.
	second := exec.Command(bin.ssotray, "--config", w.config)
	second.Env = g.env
	out, err := second.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "already running") {
		t.Errorf("second start: %v %s", err, out)
	}
	if n, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^ssotray$").Output(); len(strings.Fields(string(n))) != 1 {
		t.Errorf("windows named ssotray: %q", n)
	}
}

func TestWindowSignsInWithNavidrome(t *testing.T) {
	needDesktop(t)
	srv, err := navidrometest.Start(navidrometest.Options{Users: []navidrometest.User{{Username: "bob", Password: "bobs-password", Name: "Bob Builder"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	w := newWorld(t, time.Minute)
	cfg, _ := os.ReadFile(w.config)
	cfg = append(cfg, []byte(fmt.Sprintf("navidrome:\n  enabled: true\n  server_url: %s\n", srv.URL()))...)
	if err := os.WriteFile(w.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGUI(t, w)
	g.waitScreen()
	// Tab past "Sign in with Authentik" to the username; Enter there moves
	// to the password, Enter in the password signs in.
	g.keys("key", "Tab", "Tab")
	g.keys("type", "bob")
	g.keys("key", "Return")
	g.keys("type", "bobs-password")
	g.keys("key", "Return")
	waitSignedIn(t, "bob", g)
	time.Sleep(time.Second)
	g.screenshot("signed-in-navidrome")
}

func TestWindowOpensWhileProviderIsDown(t *testing.T) {
	w := newWorld(t, 30*time.Second) // the stored token is always due for renewal
	w.mustRun("login", "--timeout", "90s")
	_ = w.provider.Close()
	g := startGUI(t, w) // fails unless the window appears
	time.Sleep(2 * time.Second)
	if g.cmd.ProcessState != nil {
		t.Fatalf("the window quit: %s", g.out)
	}
	g.screenshot("provider-down")
	// An outage is not a reason to forget the session.
	if s := stored(t); s == nil || s.Username != "alice" {
		t.Error("the session was dropped while the provider was down")
	}
}

// TestKioskSignInIsFreshAndNotStored covers the kiosk rules built so far:
// the password is asked every time, once, and nothing reaches the keyring.
func TestKioskSignInIsFreshAndNotStored(t *testing.T) {
	w := newWorld(t, time.Minute)
	g := startGUIArgs(t, w, []string{"--kiosk"})
	g.keys("key", "Return")
	for deadline := time.Now().Add(60 * time.Second); len(w.events("token")) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the kiosk did not sign in: %v\n%s", w.provider.Events(), g.out)
		}
	}
	time.Sleep(time.Second)
	g.screenshot("kiosk-signed-in")
	// max_age rather than prompt=login, which Authentik answers with the
	// login form twice in a browser without a session: one form, one login.
	if a := w.events("authorize"); len(a) != 1 || a[0].Detail["prompt"] != "" || a[0].Detail["max_age"] != strconv.Itoa(oidc.FreshLoginMaxAge) {
		t.Errorf("kiosk authorize request: %v", a)
	}
	if n, ok := len(w.events("login_form")), len(w.events("login_ok")); n != 1 || ok != 1 {
		t.Errorf("the kiosk showed %d login forms for %d logins, want 1 and 1", n, ok)
	}
	if stored(t) != nil {
		t.Error("a kiosk session reached the keyring")
	}
}

// TestKioskIdleSignOutOnRealDisplay: two people in a row at a kiosk on the
// real X display, with a private browser whose launcher leaves children
// behind and exits. Input (xdotool) keeps alice signed in while she opens
// an app; once it stops the kiosk signs her out, and none of her session
// survives: within 3 s of the sign-out no process of her browsers runs
// (orphans included), each refresh token she was given is refused by the
// provider, the keyring was never written. Then bob gets a fresh login
// form and signs in as himself.
func TestKioskIdleSignOutOnRealDisplay(t *testing.T) {
	w := kioskWorld(t)
	kb := newPrivateBrowser(t)
	w.usePrivateBrowser(kb)
	// Who sits at the browser: the browser command reads it at each start.
	seat := filepath.Join(t.TempDir(), "at-the-browser")
	sitDown := func(u oidctest.User) {
		if err := os.WriteFile(seat, []byte(u.Username+"\n"+u.Password+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sitDown(alice)
	// A kiosk's session often has no locale but C.UTF-8 (a display
	// manager's autologin, a systemd unit): Fyne must not complain of it.
	g := startGUIArgs(t, w, []string{"--kiosk"}, "TESTBROWSER_CREDENTIALS="+seat, "SSOTRAY_DEBUG=1", "LANG=C.UTF-8")
	stop := make(chan struct{})
	defer close(stop)
	var gone <-chan time.Time
	var pids []int
	due := kioskIdleSignOut(t, w, g, func() {
		// Alice opens an app (a click on its tile): another browser.
		time.Sleep(time.Second) // the window draws the signed-in screen
		// The first tile of the kiosk's centred grid (app/ui, 1280×800).
		g.keys("mousemove", "--window", g.window, "281", "404", "click", "1")
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if log, _ := os.ReadFile(w.log); strings.Contains(string(log), `"url":"`+kioskApp+`"`) {
				break
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(w.log)
				g.screenshot("kiosk-app-not-opened")
				t.Fatalf("the app did not open in the browser:\n%s\nssotray:\n%s", log, g.out)
			}
		}
		pids = kb.waitPids(t, 0, 4) // two from the sign-in, two from the app
		gone = goneAt(pids, stop)
	})
	signOut := logTime(t, g.out.String(), "kiosk sign-out: closing the browsers")
	select {
	case at := <-gone:
		took, late := at.Sub(signOut), at.Sub(due)
		t.Logf("the kiosk sign-out left no process of alice's browsers after %s, %s after the idle timeout was due (ssotray: %s)",
			took.Round(time.Millisecond), late.Round(time.Millisecond), regexp.MustCompile(`took=\S+`).FindString(g.out.String()))
		if late > 3*time.Second {
			t.Errorf("alice's browsers ran on for %s after the idle timeout was due, want at most 3s", late)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("processes %v of alice's browsers still run after the sign-out:\n%s", running(pids), g.out)
	}
	if n := len(w.events("end_session")); n != 0 {
		t.Errorf("the kiosk opened the end-session page %d times; its browsers are closed instead", n)
	}
	time.Sleep(time.Second)
	g.screenshot("kiosk-after-idle")
	aliceTokens := w.provider.RefreshTokensOf(alice.Username)
	if len(aliceTokens) == 0 {
		t.Error("alice was given no refresh token; nothing to check")
	}
	for _, tok := range aliceTokens {
		if st := w.provider.TokenState(tok); st != oidctest.TokenRevoked && st != oidctest.TokenRotated {
			t.Errorf("one of alice's refresh tokens is %s after her sign-out", st)
		}
		if code := refreshWith(t, w, tok); code != "invalid_grant" {
			t.Errorf("refreshing with alice's token after her sign-out: %q, want invalid_grant", code)
		}
	}
	// The browsers ssotray started for the first person are gone, and
	// their profiles with her cookies.
	if out, err := exec.Command("pgrep", "-f", bin.browser).Output(); err == nil {
		t.Errorf("browser processes of the first person still run: %s", out)
	}
	if dirs := kb.profilesLeft(t); len(dirs) != 0 {
		t.Errorf("alice's browser profiles %v are still there after her sign-out", dirs)
	}
	if files := kb.downloadsLeft(); len(files) != 0 {
		t.Errorf("alice's downloads %v are still there after her sign-out", files)
	}

	// The next person: a fresh login form, never the first one's session.
	sitDown(bob)
	tokens := len(w.events("token"))
	g.keys("key", "Return")
	for deadline := time.Now().Add(60 * time.Second); len(w.events("token")) == tokens; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			g.screenshot("kiosk-second-failed")
			t.Fatalf("the second person could not sign in: %v\n%s", w.provider.Events(), g.out)
		}
	}
	if forms, reused := len(w.events("login_form")), len(w.events("session_reused")); forms != 2 || reused != 0 {
		t.Errorf("login forms %d (want 2), silently reused sessions %d (want 0)", forms, reused)
	}
	if got := w.events("token"); got[len(got)-1].User != bob.Username {
		t.Errorf("the second sign-in got tokens for %q, want bob", got[len(got)-1].User)
	}
	if stored(t) != nil {
		t.Error("a kiosk session reached the keyring")
	}
	if strings.Contains(g.out.String(), "Error parsing user locale") {
		t.Errorf("the kiosk printed Fyne's complaint about the locale:\n%s", g.out)
	}
}

// kioskIdle is a kioskWorld's kiosk.idle_timeout.
const kioskIdle = 6 * time.Second

// kioskWorld is a world whose kiosk signs out after kioskIdle without input.
func kioskWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t, time.Minute)
	cfg, _ := os.ReadFile(w.config)
	cfg = append(cfg, []byte("kiosk:\n  idle_timeout: "+kioskIdle.String()+"\napps:\n  - {name: Music, url: \""+kioskApp+"\"}\n")...)
	if err := os.WriteFile(w.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// kioskApp is the app of a kioskWorld: nothing listens there, so the
// browser gives up at once.
const kioskApp = "http://127.0.0.1:9/music"

// kioskIdleSignOut signs in at the kiosk g (idle_timeout kioskIdle), runs
// signedIn (if any), keeps the mouse moving for longer than the timeout,
// then stops and waits for the idle sign-out: revocation at the provider.
// It returns when the idle timeout was due: kioskIdle after the last input.
func kioskIdleSignOut(t *testing.T, w *world, g *gui, signedIn func()) (due time.Time) {
	t.Helper()
	stop := make(chan struct{})
	moving := make(chan struct{})
	// Someone at the machine; lastInput is written before moving closes.
	var lastInput time.Time
	go func() {
		defer close(moving)
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
				lastInput = time.Now() // at the latest, the move comes now
				_ = exec.Command("xdotool", "mousemove_relative", "--", "1", "1").Run()
			}
		}
	}()
	g.keys("key", "Return")
	for deadline := time.Now().Add(60 * time.Second); len(w.events("token")) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			close(stop)
			t.Fatalf("the kiosk did not sign in: %v\n%s", w.provider.Events(), g.out)
		}
	}
	if signedIn != nil {
		signedIn()
	}
	time.Sleep(8 * time.Second) // longer than idle_timeout, with input
	if n := len(w.events("revoke")); n != 0 {
		t.Errorf("signed out (%d revocations) although someone was using the machine", n)
	}
	close(stop)
	<-moving
	for deadline := time.Now().Add(30 * time.Second); len(w.events("revoke")) == 0; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no idle sign-out: %v\n%s", w.provider.Events(), g.out)
		}
	}
	return lastInput.Add(kioskIdle)
}

// TestKioskIdleFromWindowInput: on a Wayland desktop that does not tell its
// idle time (no GNOME here), the kiosk counts the pointer moving in its
// own window (here it covers the whole display).
func TestKioskIdleFromWindowInput(t *testing.T) {
	w := kioskWorld(t)
	// Fyne still draws on Xvfb; only the idle source sees a Wayland desktop.
	g := startGUIArgs(t, w, []string{"--kiosk"}, "WAYLAND_DISPLAY=wayland-ssotray-test", "SSOTRAY_DEBUG=1")
	kioskIdleSignOut(t, w, g, nil)
	if !strings.Contains(g.out.String(), "only input in ssotray's window counts") {
		t.Errorf("the kiosk did not say it falls back to window input:\n%s", g.out)
	}
}

// refreshWith spends token at the provider's token endpoint as any client
// could, and returns the OAuth error code ("" when it worked).
func refreshWith(t *testing.T, w *world, token string) string {
	t.Helper()
	resp, err := http.PostForm(w.provider.URL()+"/application/o/token/", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {token}, "client_id": {"ssotray"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return body.Error
}

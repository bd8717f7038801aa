package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/cli"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

// These tests run the built binary as a person or a script would: against
// the test OpenID provider, with Debian's Chromium (driven by testbrowser) as
// the browser and the real Secret Service that `make test` starts.

var bin struct{ ssotray, window, browser, zitadelExample string }

func TestMain(m *testing.M) {
	if os.Getenv("SSOTRAY_TEST_DESKTOP") == "" {
		fmt.Println("cmd/ssotray: end-to-end tests need `make test` (a private keyring, Xvfb and Chromium); skipping them")
		os.Exit(m.Run())
	}
	if os.Getenv("SSOTRAY_TEST_WINE") == "1" { // make test-windows: the Windows build alone
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "ssotray-e2e")
	if err != nil {
		panic(err)
	}
	bin.ssotray, bin.window = filepath.Join(dir, "ssotray"), filepath.Join(dir, "ssotray-window")
	bin.browser, bin.zitadelExample = filepath.Join(dir, "testbrowser"), filepath.Join(dir, "zitadel-example")
	for out, pkg := range map[string]string{
		bin.ssotray: ".", bin.window: "../ssotray-window", bin.browser: "../../oidc/oidctest/testbrowser",
		// An OpenID provider this project did not write (a go.mod tool).
		bin.zitadelExample: "github.com/zitadel/oidc/v3/example/server",
	} {
		build := exec.Command("go", "build", "-o", out, pkg)
		if out == bin.ssotray { // as make build: pure Go
			build.Env = append(os.Environ(), "CGO_ENABLED=0")
		}
		if b, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, b)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needDesktop(t *testing.T) {
	t.Helper()
	if os.Getenv("SSOTRAY_TEST_DESKTOP") == "" {
		t.Skip("needs `make test` (SSOTRAY_TEST_DESKTOP=1)")
	}
	if os.Getenv("SSOTRAY_TEST_WINE") == "1" {
		t.Skip("make test-windows runs the Windows build alone (SSOTRAY_TEST_WINE=1)")
	}
}

var (
	alice = oidctest.User{Username: "alice", Password: "correct horse battery staple", Name: "Alice Example", Email: "alice@example.com", Groups: []string{"admins", "users"}}
	bob   = oidctest.User{Username: "bob", Password: "bob's own password", Name: "Bob Example", Email: "bob@example.com", Groups: []string{"users"}}
)

// world is one provider, one config file and one browser for a test.
type world struct {
	t        *testing.T
	provider *oidctest.Provider
	config   string
	env      []string
	log      string // testbrowser's event log
	ports    []int
	// authentikExtra are more lines for the authentik block of the config.
	authentikExtra string
}

func newWorld(t *testing.T, accessLifetime time.Duration) *world {
	t.Helper()
	needDesktop(t)
	ports := oidctest.FreePorts(t, 2)
	p, err := oidctest.Start(oidctest.Options{
		Users: []oidctest.User{alice, bob},
		Clients: []oidctest.Client{
			{ID: "ssotray", RedirectURIRegexes: []string{oidc.RedirectURIRegex}},
			// A second provider for ssotray (the shared machines'), with
			// strict entries on the same callback ports.
			{ID: "ssotray-kiosk", RedirectURIs: []string{oidc.RedirectURI(ports[0]), oidc.RedirectURI(ports[1])}},
		},
		AccessTokenLifetime: accessLifetime,
		// What Authentik's API lists for those allowed to see them.
		Applications: []oidctest.Application{
			{Name: "Immich", Slug: "immich", LaunchURL: "https://photos.example.com", Icon: oidctest.IconPath("immich"), Description: "Photos", Groups: []string{"users"}},
			{Name: "Grafana", Slug: "grafana", LaunchURL: "https://grafana.example.com", Description: "Dashboards", Groups: []string{"ops"}},
			// ssotray itself, with no Launch URL: Authentik makes one from
			// its redirect URI, and ssotray must leave it out.
			{Name: "ssotray", Slug: "ssotray", Provider: "ssotray"},
			// Another slug: its launch URL, made from its first redirect
			// URI, is one of ssotray's callback ports.
			{Name: "ssotray (kiosk)", Slug: "ssotray-kiosk", Provider: "ssotray-kiosk"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	dir, err := os.MkdirTemp("", "ssotray-e2e-world")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, provider: p, config: filepath.Join(dir, "config.yaml"), log: filepath.Join(dir, "browser.log"), ports: ports}
	w.writeConfig(bin.browser)
	// Fyne (linked in for the window) logs a line at start under the C
	// locale, which machines without a locale setting default to.
	w.env = append(os.Environ(), "LANG=en_US.UTF-8",
		"TESTBROWSER_USERNAME="+alice.Username, "TESTBROWSER_PASSWORD="+alice.Password,
		"TESTBROWSER_LOG="+w.log, "TESTBROWSER_PROFILE="+filepath.Join(dir, "chromium-profile"))
	// Each test starts with nobody signed in.
	_ = tokenstore.NewKeyring().Delete()
	t.Cleanup(func() {
		_ = tokenstore.NewKeyring().Delete()
		w.waitForBrowsers()
		_ = os.RemoveAll(dir)
	})
	return w
}

// waitForBrowsers waits until every testbrowser ssotray started has
// finished, so none works on into the next test.
func (w *world) waitForBrowsers() { waitForBrowsers(w.t, w.log) }

// waitForBrowsers waits until every testbrowser that logs to log has
// finished.
func waitForBrowsers(t *testing.T, log string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(log)
		started := strings.Count(string(b), `"event":"start"`)
		ended := strings.Count(string(b), `"event":"done"`) + strings.Count(string(b), `"event":"error"`) + strings.Count(string(b), `"event":"form_error"`)
		if ended >= started {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("a browser started by ssotray is still running:\n%s", log)
}

func (w *world) writeConfig(browser ...string) {
	cfg := fmt.Sprintf(`authentik:
  server_url: %s
  app_slug: ssotray
  client_id: ssotray
  callback_ports: [%d, %d]
%sbrowser_command: [%s]
`, w.provider.URL(), w.ports[0], w.ports[1], w.authentikExtra, strings.Join(browser, ", "))
	if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

type result struct {
	stdout, stderr string
	code           int
}

func (w *world) run(extraEnv []string, args ...string) result {
	w.t.Helper()
	return w.runWithInput("", extraEnv, args...)
}

func (w *world) runWithInput(stdin string, extraEnv []string, args ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin.ssotray, append([]string{"--config", w.config}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(append([]string{}, w.env...), extraEnv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

func (w *world) mustRun(args ...string) result {
	w.t.Helper()
	r := w.run(nil, args...)
	if r.code != 0 {
		w.t.Fatalf("ssotray %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func (w *world) events(kind string) []oidctest.Event {
	var out []oidctest.Event
	for _, e := range w.provider.Events() {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func stored(t *testing.T) *tokenstore.Session {
	t.Helper()
	s, err := tokenstore.NewKeyring().Load()
	if errors.Is(err, tokenstore.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitFor polls the provider's log: the browser works on after ssotray
// has returned.
func (w *world) waitFor(kind string, n int) {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(w.events(kind)) < n {
		if time.Now().After(deadline) {
			w.t.Fatalf("provider saw %d %q events, want %d: %v", len(w.events(kind)), kind, n, w.provider.Events())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSignInThroughChromium(t *testing.T) {
	// Access tokens live just past the refresh margin, so `token` first
	// hands out the stored one and, a few seconds later, a refreshed one.
	w := newWorld(t, 34*time.Second)

	r := w.mustRun("login", "--timeout", "90s")
	if r.stdout != "Signed in as Alice Example (alice)\n" {
		t.Errorf("login stdout %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "Opening your browser") || !strings.Contains(r.stderr, "http://127.0.0.1:") {
		t.Errorf("login stderr %q", r.stderr)
	}
	auth := w.events("authorize")[0].Detail
	if auth["code_challenge_method"] != "S256" || auth["redirect_uri"] != oidc.RedirectURI(w.ports[0]) || auth["nonce_present"] != "true" {
		t.Errorf("authorize request %v", auth)
	}
	s := stored(t)
	if s == nil || s.RefreshToken == "" || s.Username != "alice" {
		t.Fatalf("keyring holds %v", s)
	}

	r = w.mustRun("status", "--json")
	var st map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	want := map[string]any{"signed_in": true, "method": "authentik", "username": "alice", "name": "Alice Example", "email": "alice@example.com",
		"subject": s.Subject, "groups": []any{"admins", "users"}}
	for k, v := range want {
		if fmt.Sprint(st[k]) != fmt.Sprint(v) {
			t.Errorf("status %s = %v, want %v", k, st[k], v)
		}
	}
	if exp, err := time.Parse(time.RFC3339, fmt.Sprint(st["expires_at"])); err != nil || !exp.Equal(s.Expiry.Truncate(time.Second)) || strings.Contains(fmt.Sprint(st["expires_at"]), ".") {
		t.Errorf("expires_at %v (%v), keyring %v", st["expires_at"], err, s.Expiry)
	}
	if len(st) != 9 || st["role"] != "" {
		t.Errorf("status has keys beyond the documented ones: %v", st)
	}
	r = w.mustRun("status")
	if !strings.Contains(r.stdout, "Signed in with Authentik as Alice Example (alice)") || !strings.Contains(r.stdout, "admins, users") {
		t.Errorf("status %q", r.stdout)
	}
	assertNoSecret(t, s, r.stdout+r.stderr)

	// A valid token comes from the keyring without asking the provider.
	tokensBefore := len(w.events("token"))
	if r = w.mustRun("token"); r.stdout != s.AccessToken+"\n" || len(w.events("token")) != tokensBefore {
		t.Errorf("token printed %q (stored %v), token requests %d -> %d", r.stdout, s, tokensBefore, len(w.events("token")))
	}
	if r = w.mustRun("token", "--id-token"); r.stdout != s.IDToken+"\n" {
		t.Errorf("token --id-token printed %q", r.stdout)
	}

	// Once the token is close to expiry, `token` refreshes silently.
	time.Sleep(time.Until(s.Expiry.Add(-30*time.Second)) + time.Second)
	r = w.mustRun("token")
	s2 := stored(t)
	if r.stdout == s.AccessToken+"\n" || r.stdout != s2.AccessToken+"\n" || s2.RefreshToken == s.RefreshToken {
		t.Errorf("token after expiry did not refresh: printed %q", r.stdout)
	}
	if st := w.provider.TokenState(s.RefreshToken); st != oidctest.TokenRotated {
		t.Errorf("old refresh token is %v", st)
	}

	// Sign out: revoked at the provider, ended in the browser, gone from the keyring.
	r = w.mustRun("logout")
	if want := (app.SignOutReport{Method: app.Authentik, Revoked: true, PageOpened: true}).String() + "\n"; r.stdout != want || strings.Contains(r.stderr, "warning") {
		t.Errorf("logout: %q %q", r.stdout, r.stderr)
	}
	if stored(t) != nil {
		t.Error("keyring still holds a session after logout")
	}
	if st := w.provider.TokenState(s2.RefreshToken); st != oidctest.TokenRevoked {
		t.Errorf("refresh token is %v after logout", st)
	}
	if st := w.provider.TokenState(s2.AccessToken); st != oidctest.TokenRevoked {
		t.Errorf("access token is %v after logout", st)
	}
	w.waitFor("end_session", 1)
	if e := w.events("end_session")[0]; e.Detail["id_token_hint_present"] != "true" {
		t.Errorf("end-session %v", e)
	}
	r = w.run(nil, "token")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "not signed in; run `ssotray login` first") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("token when signed out: %+v", r)
	}
	if r = w.run(nil, "status", "--json"); r.code != 1 || !strings.Contains(r.stdout, `"signed_in": false`) {
		t.Errorf("status when signed out: %+v", r)
	}
}

func assertNoSecret(t *testing.T, s *tokenstore.Session, out string) {
	t.Helper()
	for _, secret := range []string{s.AccessToken, s.RefreshToken, s.IDToken, alice.Password} {
		if secret != "" && strings.Contains(out, secret) {
			t.Errorf("a secret appears in the output: %q", out)
		}
	}
}

func TestWrongPasswordTimesOutWithAdvice(t *testing.T) {
	w := newWorld(t, time.Minute)
	w.env = append(w.env, "TESTBROWSER_PASSWORD=wrong")
	r := w.run(nil, "login", "--timeout", "15s")
	if r.code == 0 || !strings.Contains(r.stderr, "no sign-in arrived from the browser within 15s") || !strings.Contains(r.stderr, oidc.RedirectURI(w.ports[0])) {
		t.Errorf("login with a wrong password: %+v", r)
	}
	log, _ := os.ReadFile(w.log)
	if !strings.Contains(string(log), `"form_error"`) || !strings.Contains(string(log), "Invalid username or password") {
		t.Errorf("the browser did not see the provider refuse the password:\n%s", log)
	}
	if len(w.events("login_failed")) == 0 || stored(t) != nil {
		t.Error("no failed login at the provider, or a session was stored")
	}
}

func TestProviderDown(t *testing.T) {
	w := newWorld(t, time.Minute)
	_ = w.provider.Close()
	r := w.run(nil, "login", "--timeout", "10s")
	if r.code != cli.ExitUnreachable || !strings.Contains(r.stderr, "cannot reach the identity provider at "+w.provider.URL()) || strings.Count(r.stderr, "\n") != 2 {
		t.Errorf("login with the provider down: %+v, want exit %d", r, cli.ExitUnreachable)
	}
}

func TestCancelWithCtrlC(t *testing.T) {
	w := newWorld(t, time.Minute)
	w.writeConfig("/bin/true") // a browser that never signs in
	cmd := exec.Command(bin.ssotray, "--config", w.config, "login")
	cmd.Env = w.env
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(sc.Text(), "http://127.0.0.1:") {
			_ = cmd.Process.Signal(syscall.SIGINT)
		}
	}
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != cli.ExitCancelled || !strings.Contains(strings.Join(lines, "\n"), "ssotray: sign-in cancelled") {
		t.Errorf("Ctrl-C: exit %d, want %d\n%s", code, cli.ExitCancelled, strings.Join(lines, "\n"))
	}
	// The callback listener is gone with the process. (The kernel may
	// finish tearing the socket down a moment after the exit.)
	addr := fmt.Sprintf("127.0.0.1:%d", w.ports[0])
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("something still listens on the callback port")
		}
	}
}

func TestWithoutKeyring(t *testing.T) {
	w := newWorld(t, time.Minute)
	home := t.TempDir()
	noKeyring := []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(home, "no-bus"), "HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_DATA_HOME=" + filepath.Join(home, ".local/share"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache")}
	r := w.run(noKeyring, "login", "--timeout", "90s")
	if r.code != 0 || r.stdout != "Signed in as Alice Example (alice)\n" {
		t.Fatalf("login without a keyring: %+v", r)
	}
	var notes []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, "not be remembered") {
			notes = append(notes, l)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "keyring is not available") {
		t.Errorf("want one line saying the session is not remembered, stderr:\n%s", r.stderr)
	}
	// Nothing was written anywhere instead. (Chromium, as the browser,
	// keeps its own files there.)
	_ = filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, "chromium") {
			t.Errorf("ssotray wrote %s", p)
		}
		return nil
	})
	if stored(t) != nil {
		t.Error("a session reached the real keyring")
	}
	if r = w.run(noKeyring, "status"); r.code != 1 || !strings.Contains(r.stderr, "keyring is not available") {
		t.Errorf("status without a keyring: %+v", r)
	}
}

func TestRefusedRefreshSignsOut(t *testing.T) {
	w := newWorld(t, 30*time.Second) // always inside the refresh margin
	w.mustRun("login", "--timeout", "90s")
	w.provider.SetFaults(oidctest.Faults{RefuseRefresh: true})
	r := w.run(nil, "token")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "your session has ended; sign in again") {
		t.Errorf("token with a refused refresh: %+v", r)
	}
	if stored(t) != nil {
		t.Error("an ended session stayed in the keyring")
	}
	if r = w.run(nil, "token"); r.code != 1 || !strings.Contains(r.stderr, "not signed in") {
		t.Errorf("second token call: %+v", r)
	}
}

// The provider going down keeps the session: `token` prints nothing on
// stdout and exits ExitUnreachable (try again later), and `logout` still
// signs out here, warning that the server could not be told.
func TestProviderDownWhileSignedIn(t *testing.T) {
	w := newWorld(t, 30*time.Second) // always inside the refresh margin
	w.mustRun("login", "--timeout", "90s")
	_ = w.provider.Close()
	r := w.run(nil, "token")
	if r.code != cli.ExitUnreachable || r.stdout != "" || !strings.Contains(r.stderr, "cannot reach the identity provider") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("token with the provider down: %+v, want exit %d and nothing on stdout", r, cli.ExitUnreachable)
	}
	if stored(t) == nil {
		t.Fatal("the session was dropped because the provider was down")
	}
	r = w.run(nil, "logout", "--local")
	if r.code != 0 || !strings.Contains(r.stderr, "warning:") || !strings.Contains(r.stderr, "cannot reach the identity provider") {
		t.Errorf("logout with the provider down: %+v", r)
	}
	if stored(t) != nil {
		t.Error("logout kept the session in the keyring")
	}
}

func TestLogoutLocalSkipsBrowser(t *testing.T) {
	w := newWorld(t, time.Minute)
	w.mustRun("login", "--timeout", "90s")
	s := stored(t)
	w.mustRun("logout", "--local")
	if stored(t) != nil || w.provider.TokenState(s.RefreshToken) != oidctest.TokenRevoked {
		t.Error("logout --local did not forget and revoke the session")
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(w.events("end_session")); n != 0 {
		t.Errorf("logout --local opened the end-session page %d times", n)
	}
}

// TestForeignProvider signs in against zitadel's example OpenID provider, a
// server this project did not write, through discovery_url and Chromium.
func TestForeignProvider(t *testing.T) {
	needDesktop(t)
	ports := oidctest.FreePorts(t, 2)
	idpPort, callback := ports[0], ports[1]
	idp := exec.Command(bin.zitadelExample)
	idp.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", idpPort), "REDIRECT_URI="+oidc.RedirectURI(callback))
	var idpLog bytes.Buffer
	idp.Stdout, idp.Stderr = &idpLog, &idpLog
	if err := idp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idp.Process.Kill(); _ = idp.Wait() })
	discovery := fmt.Sprintf("http://localhost:%d/.well-known/openid-configuration", idpPort)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		// It listens on every address; only loopback is used.
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", idpPort)); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("zitadel example did not start:\n%s", idpLog.String())
		}
	}

	dir := t.TempDir()
	cfgPath, log := filepath.Join(dir, "config.yaml"), filepath.Join(dir, "browser.log")
	cfg := fmt.Sprintf("authentik:\n  discovery_url: %s\n  client_id: native\n  callback_ports: [%d]\nbrowser_command: [%s]\n", discovery, callback, bin.browser)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	host := "localhost" // the example names its user after the issuer's host
	w := &world{t: t, config: cfgPath, log: log, env: append(os.Environ(), "LANG=en_US.UTF-8",
		"TESTBROWSER_USERNAME=test-user@"+host, "TESTBROWSER_PASSWORD=verysecure", "TESTBROWSER_LOG="+log)}
	_ = tokenstore.NewKeyring().Delete()
	t.Cleanup(func() { _ = tokenstore.NewKeyring().Delete(); w.waitForBrowsers() })

	r := w.run(nil, "login", "--timeout", "90s")
	if r.code != 0 || !strings.Contains(r.stdout, "Signed in as") {
		browserLog, _ := os.ReadFile(log)
		t.Fatalf("login: %+v\nbrowser: %s\nprovider: %s", r, browserLog, idpLog.String())
	}
	r = w.mustRun("status", "--json")
	var st struct {
		SignedIn bool   `json:"signed_in"`
		Username string `json:"username"`
		Subject  string `json:"subject"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || !st.SignedIn || st.Username != "test-user@"+host || st.Subject == "" {
		t.Errorf("status: %s (%v)", r.stdout, err)
	}
	s := stored(t)
	if s == nil || s.RefreshToken == "" {
		t.Fatal("no refresh token stored (offline_access)")
	}
	if r = w.mustRun("token"); r.stdout != s.AccessToken+"\n" {
		t.Errorf("token printed %q", r.stdout)
	}
	r = w.mustRun("logout", "--local")
	if strings.Contains(r.stderr, "warning") || stored(t) != nil {
		t.Errorf("logout: %+v", r)
	}
}

func TestDoctor(t *testing.T) {
	w := newWorld(t, time.Minute)
	r := w.run(nil, "doctor")
	if r.code != 0 || strings.Contains(r.stdout, "FAIL") || !strings.Contains(r.stdout, "OK   keyring") ||
		!strings.Contains(r.stdout, oidc.RedirectURI(w.ports[0])) || !strings.Contains(r.stdout, "OK   signing key") {
		t.Errorf("doctor on a good setup: %+v", r)
	}
	w.provider.SetFaults(oidctest.Faults{HS256: true})
	noKeyring := []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(t.TempDir(), "no-bus")}
	r = w.run(noKeyring, "doctor")
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL signing key") || !strings.Contains(r.stdout, "Signing Key") ||
		!strings.Contains(r.stdout, "FAIL keyring") || !strings.Contains(r.stdout, "start gnome-keyring") {
		t.Errorf("doctor with HS256 and no keyring: %+v", r)
	}

	// Authentik has a strict redirect URI for another port than ssotray's.
	p, err := oidctest.Start(oidctest.Options{Clients: []oidctest.Client{{ID: "ssotray", RedirectURIs: []string{oidc.RedirectURI(w.ports[1])}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	yaml := fmt.Sprintf("authentik:\n  server_url: %s\n  client_id: ssotray\n  callback_ports: [%d]\n", p.URL(), w.ports[0])
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	r = w.run(nil, "--config", cfg, "doctor")
	if want := "add to Redirect URIs/Origins (RegEx): " + oidc.RedirectURI(w.ports[0]) + " (Strict)"; r.code != 1 || !strings.Contains(r.stdout, "FAIL redirect URI") || !strings.Contains(r.stdout, want) {
		t.Errorf("doctor with the wrong redirect URI registered, want %q: %+v", want, r)
	}
}

func TestImportedAppsAndAvatar(t *testing.T) {
	w := newWorld(t, time.Minute)
	w.authentikExtra = "  import_apps: true\n  scopes: [openid, profile, email, offline_access, goauthentik.io/api]\n"
	w.writeConfig(bin.browser)
	w.mustRun("login", "--timeout", "90s")
	r := w.mustRun("apps", "--json")
	var apps []struct{ Name, URL string }
	if err := json.Unmarshal([]byte(r.stdout), &apps); err != nil {
		t.Fatalf("apps --json: %v\n%s", err, r.stdout)
	}
	if len(apps) != 1 || apps[0].Name != "Immich" || apps[0].URL != "https://photos.example.com" {
		t.Errorf("imported apps for alice (admins, users): %+v", apps)
	}
	if len(w.events("api_me")) == 0 || len(w.events("api_applications")) == 0 {
		t.Errorf("the API was not asked: %v", w.provider.Events())
	}
	// Only the configured and imported apps that are visible can be opened.
	if r = w.run(nil, "open", "Grafana"); r.code != 1 || !strings.Contains(r.stderr, `no app named "Grafana"`) {
		t.Errorf("open a hidden imported app: %+v", r)
	}

	// The window shows Authentik's picture of alice and the imported app.
	g := startGUI(t, w)
	for deadline := time.Now().Add(20 * time.Second); len(w.events("api_me")) < 2; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the window did not load the avatar: %v", w.provider.Events())
		}
	}
	time.Sleep(time.Second)
	g.screenshot("signed-in-imported")
}

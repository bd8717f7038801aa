package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/navidrome"
	"github.com/ssotray/ssotray/app/startup"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc"
)

type harness struct {
	t      *testing.T
	dir    string
	store  tokenstore.Store
	now    time.Time
	stdout bytes.Buffer
	stderr bytes.Buffer
	borrow func(id bool) (app.Lent, bool) // the running tray; nil: none
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, dir: t.TempDir(), store: tokenstore.NewMemory(), now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
}

func (h *harness) run(args ...string) int {
	h.stdout.Reset()
	h.stderr.Reset()
	return Run(context.Background(), Env{
		Stdin:  strings.NewReader(""),
		Stdout: &h.stdout, Stderr: &h.stderr,
		Getenv: func(string) string { return "" },
		Locator: config.Locator{Getenv: func(string) string { return "" },
			UserConfigDir: func() (string, error) { return h.dir, nil }, SystemDir: filepath.Join(h.dir, "etc")},
		Store:      func() tokenstore.Store { return h.store },
		ProbeStore: func() tokenstore.Store { return tokenstore.NewMemory() },
		Now:        func() time.Time { return h.now },
		Version:    "1.2.3",
		Borrow:     h.borrow,
	}, args)
}

const validConfig = "authentik:\n  server_url: https://auth.example.com\n"

const bothConfig = validConfig + "navidrome:\n  enabled: true\n  server_url: https://music.example.com\n"

func writeUserConfig(t *testing.T, h *harness, cfg string) {
	if err := os.MkdirAll(filepath.Join(h.dir, "ssotray"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.dir, "ssotray", "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeSystemConfig writes cfg as the machine's file (the harness's
// SystemDir), root's when the tests run as root, as a kiosk's is.
func writeSystemConfig(t *testing.T, h *harness, cfg string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(h.dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.dir, "etc", "config.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestUsageAndErrors(t *testing.T) {
	tests := []struct {
		name       string
		config     string // written to the user config dir when not empty
		args       []string
		code       int
		stdout     string // substring
		stderr     string // substring
		stderrLine bool   // stderr must be exactly one line
	}{
		{"no verb", "", nil, 2, "", "Usage: ssotray", false},
		{"help", "", []string{"--help"}, 0, "Usage: ssotray", "", false},
		{"version", "", []string{"version"}, 0, "ssotray 1.2.3", "", false},
		{"unknown verb", "", []string{"frobnicate"}, 2, "", `unknown verb "frobnicate"`, true},
		{"unknown flag", "", []string{"--colour", "status"}, 2, "", "flag provided but not defined", true},
		{"no config", "", []string{"status"}, 1, "", "no configuration file found", true},
		{"explicit missing config", "", []string{"--config", "/nonexistent.yaml", "status"}, 1, "", "configuration file /nonexistent.yaml (from --config) cannot be read", true},
		{"bad config", "authentik:\n  server_ulr: x\n", []string{"status"}, 1, "", `did you mean "server_url"?`, true},
		{"bad method", validConfig, []string{"login", "--method", "ldap"}, 2, "", `--method must be authentik or navidrome, not "ldap"`, true},
		{"stray argument", validConfig, []string{"status", "extra"}, 2, "", `unexpected argument "extra"`, true},
		{"status signed out", validConfig, []string{"status"}, 1, "Not signed in.", "", false},
		{"token signed out", validConfig, []string{"token"}, 1, "", "not signed in; run `ssotray login` first", true},
		{"logout signed out", validConfig, []string{"logout"}, 0, "Not signed in.", "", false},
		{"doctor without config", "", []string{"doctor"}, 1, "FAIL configuration: no configuration file found", "", false},
		{"doctor finds nobody at the server", "authentik:\n  server_url: http://127.0.0.1:1\n", []string{"doctor"}, 1, "FAIL health: cannot reach", "", false},
		{"doctor: a kiosk needs browser_command", "authentik:\n  server_url: http://127.0.0.1:1\nkiosk:\n  enabled: true\n", []string{"doctor"}, 1, "FAIL browser: kiosk mode needs a browser that ssotray starts and closes itself, and browser_command is not set — set browser_command", "", false},
		{"both methods need --method", bothConfig, []string{"login"}, 2, "", "both Authentik and Navidrome sign-in are enabled; choose one with --method", true},
		{"password-stdin needs username", bothConfig, []string{"login", "--method", "navidrome", "--password-stdin"}, 2, "", "--password-stdin needs --username", true},
		{"no terminal for the password", bothConfig, []string{"login", "--method", "navidrome"}, 2, "", "not a terminal to ask for the password; pass --username and --password-stdin", true},
		{"empty password on stdin", bothConfig, []string{"login", "--method", "navidrome", "--username", "carol", "--password-stdin"}, 1, "", "no password entered", true},
		{"navidrome disabled", validConfig, []string{"login", "--method", "navidrome"}, 1, "", "navidrome.enabled: true", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.config != "" {
				writeUserConfig(t, h, tt.config)
			}
			code := h.run(tt.args...)
			if code != tt.code || !strings.Contains(h.stdout.String(), tt.stdout) || !strings.Contains(h.stderr.String(), tt.stderr) {
				t.Errorf("exit %d (want %d)\nstdout: %q\nstderr: %q", code, tt.code, h.stdout.String(), h.stderr.String())
			}
			if tt.stderrLine && strings.Count(h.stderr.String(), "\n") != 1 {
				t.Errorf("stderr is not one line: %q", h.stderr.String())
			}
			if tt.code != 0 && tt.stdout == "" && h.stdout.Len() != 0 {
				t.Errorf("stdout on failure: %q", h.stdout.String())
			}
		})
	}
}

// `--kiosk doctor` checks the file a kiosk would read, as it would read it:
// the system configuration, never the user's own.
func TestDoctorKioskReadsTheKioskFile(t *testing.T) {
	const noBrowser = "authentik:\n  server_url: http://127.0.0.1:1\n"
	tests := []struct {
		name         string
		user, system string // configurations written there when not empty
		stdout       string
	}{
		{"the system file", "", noBrowser, "FAIL browser: kiosk mode needs a browser"},
		{"only the user's file", noBrowser, "", "FAIL configuration: kiosk mode reads its configuration only from"},
		{"both: the system file wins", noBrowser + "browser_command: [chromium]\n", noBrowser, "FAIL browser: kiosk mode needs a browser"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.user != "" {
				writeUserConfig(t, h, tt.user)
			}
			if tt.system != "" {
				writeSystemConfig(t, h, tt.system)
			}
			if code := h.run("--kiosk", "doctor"); code != 1 || !strings.Contains(h.stdout.String(), tt.stdout) {
				t.Errorf("exit %d, stdout %q; want 1 and %q", code, h.stdout.String(), tt.stdout)
			}
		})
	}
}

// On a kiosk the verbs that would sign in or open a browser outside the
// kiosk's window are refused; the rest work.
func TestKioskRefusesLoginAndOpen(t *testing.T) {
	const kiosk = "authentik:\n  server_url: http://127.0.0.1:1\nkiosk:\n  enabled: true\nbrowser_command: [chromium]\n"
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"login"}, 1, "`ssotray login` is not available on a kiosk"},
		{[]string{"open", "Music"}, 1, "`ssotray open` is not available on a kiosk"},
		{[]string{"status"}, 1, ""},
		{[]string{"logout"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			h := newHarness(t)
			writeSystemConfig(t, h, kiosk)
			code := h.run(tt.args...)
			if code != tt.code || !strings.Contains(h.stderr.String(), tt.stderr) || (tt.stderr == "" && strings.Contains(h.stderr.String(), "kiosk")) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, h.stderr.String(), tt.code, tt.stderr)
			}
		})
	}
}

// lockedStore is a keyring that holds a session but refuses to delete it.
type lockedStore struct{ tokenstore.Memory }

func (*lockedStore) Delete() error {
	return &tokenstore.UnavailableError{Err: errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'")}
}

func TestLogoutWhenKeyringRefuses(t *testing.T) {
	h := newHarness(t)
	writeUserConfig(t, h, validConfig)
	store := &lockedStore{}
	_ = store.Save(&tokenstore.Session{Method: "authentik", Server: "https://elsewhere.example.com/application/o/x/", AccessToken: "x"})
	h.store = store
	code := h.run("logout", "--local")
	if code != 1 || h.stdout.Len() != 0 || !strings.Contains(h.stderr.String(), "could not remove the session from the keyring") ||
		!strings.Contains(h.stderr.String(), "unlock the keyring and sign out again") {
		t.Errorf("logout with a locked keyring: %d %q %q", code, h.stdout.String(), h.stderr.String())
	}
}

func TestAppsAndOpen(t *testing.T) {
	h := newHarness(t)
	opened := filepath.Join(h.dir, "opened")
	browser := filepath.Join(h.dir, "browser.sh")
	if err := os.WriteFile(browser, []byte("#!/bin/sh\necho \"$@\" >> "+opened+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeUserConfig(t, h, validConfig+`browser_command: [`+browser+`]
apps:
  - {name: Music, url: "https://music.example.com", description: Navidrome}
  - {name: Admin, url: "https://admin.example.com", groups: [admins]}
  - {name: Wiki, url: "https://wiki.example.com", groups: [users]}
`)
	if code := h.run("apps"); code != 1 || !strings.Contains(h.stderr.String(), "not signed in") {
		t.Errorf("apps signed out: %d %q", code, h.stderr.String())
	}
	_ = h.store.Save(&tokenstore.Session{Method: "authentik", Server: "https://auth.example.com/application/o/ssotray/",
		Username: "bob", Groups: []string{"users"}, AccessToken: "x", Expiry: h.now.Add(time.Hour)})
	if code := h.run("apps", "--json"); code != 0 || strings.TrimSpace(h.stdout.String()) != `[
  {
    "name": "Music",
    "url": "https://music.example.com",
    "description": "Navidrome"
  },
  {
    "name": "Wiki",
    "url": "https://wiki.example.com",
    "description": ""
  }
]` {
		t.Errorf("apps --json: %d %s", code, h.stdout.String())
	}
	if code := h.run("apps"); code != 0 || strings.Contains(h.stdout.String(), "Admin") || !strings.Contains(h.stdout.String(), "Music") {
		t.Errorf("apps: %q", h.stdout.String())
	}
	if code := h.run("open", "admin"); code != 1 || !strings.Contains(h.stderr.String(), `no app named "admin" is available to you`) {
		t.Errorf("open hidden app: %d %q", code, h.stderr.String())
	}
	if code := h.run("open", "wiki"); code != 0 {
		t.Errorf("open wiki: %d %q", code, h.stderr.String())
	}
	if code := h.run("open"); code != 2 {
		t.Errorf("open without a name: %d", code)
	}
	var got []byte
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && len(got) == 0; time.Sleep(20 * time.Millisecond) {
		got, _ = os.ReadFile(opened)
	}
	if string(got) != "https://wiki.example.com\n" {
		t.Errorf("browser opened %q", got)
	}
}

func TestStatusAndTokenFromStore(t *testing.T) {
	h := newHarness(t)
	writeUserConfig(t, h, validConfig)
	_ = h.store.Save(&tokenstore.Session{
		Method: "authentik", Server: "https://auth.example.com/application/o/ssotray/",
		Subject: "sub-1", Username: "alice", Name: "Alice Example", Email: "alice@example.com", Groups: []string{"admins", "users"},
		AccessToken: "AT-SECRET", RefreshToken: "RT-SECRET", IDToken: "ID-SECRET", Expiry: h.now.Add(10*time.Minute + 500*time.Millisecond),
	})
	if code := h.run("status", "--json"); code != 0 {
		t.Fatalf("status --json: %d %s", code, h.stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(h.stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := `map[email:alice@example.com expires_at:2026-11-25T12:10:00Z groups:[admins users] method:authentik name:Alice Example role: signed_in:true subject:sub-1 username:alice]`
	if s := fmt.Sprint(got); s != want {
		t.Errorf("status --json\n got %s\nwant %s", s, want)
	}
	if code := h.run("status"); code != 0 || !strings.Contains(h.stdout.String(), "Signed in with Authentik as Alice Example (alice)") || !strings.Contains(h.stdout.String(), "admins, users") ||
		!strings.Contains(h.stdout.String(), "Session:       Renews by itself") {
		t.Errorf("status: %d %q", code, h.stdout.String())
	}
	if strings.Contains(h.stdout.String(), "SECRET") {
		t.Error("status printed a token")
	}
	// A fresh token needs no provider at all (https://auth.example.com does not exist).
	if code := h.run("token"); code != 0 || h.stdout.String() != "AT-SECRET\n" {
		t.Errorf("token: %d %q %q", code, h.stdout.String(), h.stderr.String())
	}
	if code := h.run("token", "--id-token"); code != 0 || h.stdout.String() != "ID-SECRET\n" {
		t.Errorf("token --id-token: %d %q", code, h.stdout.String())
	}
}

// The Session line counts days by Env.Now, as the core does: with the
// system's clock instead, "today" would be the day the test runs.
func TestStatusSessionLine(t *testing.T) {
	// In the local zone, as the line is, so the day is the same wherever the test runs.
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.Local)
	tests := []struct {
		name         string
		expiry       time.Time
		refreshToken string
		want         string
	}{
		{"later today", now.Add(2*time.Hour + 30*time.Minute), "", "Until 14:30 today, then sign in again"},
		{"another day this year", time.Date(2026, 11, 27, 9, 5, 0, 0, time.Local), "", "Until Fri 27 Nov, 09:05, then sign in again"},
		{"next year", time.Date(2027, 1, 2, 8, 0, 0, 0, time.Local), "", "Until Sat 2 Jan 2027, 08:00, then sign in again"},
		{"renews by itself", now.Add(10 * time.Minute), "RT", "Renews by itself; no need to sign in again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.now = now
			writeUserConfig(t, h, validConfig)
			_ = h.store.Save(&tokenstore.Session{
				Method: "authentik", Server: "https://auth.example.com/application/o/ssotray/", Subject: "sub-1", Username: "alice",
				AccessToken: "AT", RefreshToken: tt.refreshToken, Expiry: tt.expiry,
			})
			if code := h.run("status"); code != 0 {
				t.Fatalf("status: %d %s", code, h.stderr.String())
			}
			if want := "  Session:       " + tt.want + "\n"; !strings.Contains(h.stdout.String(), want) {
				t.Errorf("status:\n%s\nwant the line %q", h.stdout.String(), want)
			}
		})
	}
}

// With the tray running, `token` prints the token it lends, if it is one
// this configuration would read from the keyring; else it reads the keyring.
func TestTokenFromTheRunningTray(t *testing.T) {
	const issuer = "https://auth.example.com/application/o/ssotray/"
	tests := []struct {
		name   string
		lent   *app.Lent // nil: nothing lent
		stored bool
		args   []string
		askID  bool
		code   int
		stdout string
	}{
		{"lent, nothing read from the keyring", &app.Lent{Method: app.Authentik, Server: issuer, Token: "AT-LENT"}, false, []string{"token"}, false, 0, "AT-LENT\n"},
		{"the ID token is asked for", &app.Lent{Method: app.Authentik, Server: issuer, Token: "ID-LENT"}, false, []string{"token", "--id-token"}, true, 0, "ID-LENT\n"},
		{"lent for another server", &app.Lent{Method: app.Authentik, Server: "https://other.example/application/o/ssotray/", Token: "AT-LENT"}, true, []string{"token"}, false, 0, "AT-STORED\n"},
		{"lent for a method not enabled here", &app.Lent{Method: app.Navidrome, Server: "https://music.example.com", Token: "AT-LENT"}, true, []string{"token"}, false, 0, "AT-STORED\n"},
		{"nothing lent", nil, true, []string{"token"}, false, 0, "AT-STORED\n"},
		{"nothing lent, nothing stored", nil, false, []string{"token"}, false, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			writeUserConfig(t, h, validConfig)
			if tc.stored {
				_ = h.store.Save(&tokenstore.Session{Method: "authentik", Server: issuer, Subject: "sub-1", AccessToken: "AT-STORED", Expiry: h.now.Add(time.Hour)})
			}
			var askedID []bool
			h.borrow = func(id bool) (app.Lent, bool) {
				askedID = append(askedID, id)
				if tc.lent == nil {
					return app.Lent{}, false
				}
				return *tc.lent, true
			}
			code := h.run(tc.args...)
			if code != tc.code || h.stdout.String() != tc.stdout {
				t.Errorf("exit %d stdout %q stderr %q; want %d %q", code, h.stdout.String(), h.stderr.String(), tc.code, tc.stdout)
			}
			if len(askedID) != 1 || askedID[0] != tc.askID {
				t.Errorf("asked the tray %v, want once with id %v", askedID, tc.askID)
			}
		})
	}
}

func TestNoVerbStartsTheWindow(t *testing.T) {
	tests := []struct {
		args []string
		want startup.Options
	}{
		{nil, startup.Options{}},
		{[]string{"--kiosk"}, startup.Options{Kiosk: true}},
		{[]string{"--background"}, startup.Options{Background: true}},
		{[]string{"--config", "/etc/x.yaml", "--background"}, startup.Options{ConfigPath: "/etc/x.yaml", Background: true}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var got *startup.Options
			code := Run(context.Background(), Env{
				Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{},
				GUI: func(_ context.Context, o startup.Options) error { got = &o; return nil },
			}, tt.args)
			if code != 0 || got == nil || *got != tt.want {
				t.Errorf("exit %d, window started with %+v, want %+v", code, got, tt.want)
			}
		})
	}
}

// TestPrints: what ssotray.exe gives a console to (app/winconsole) is
// exactly what Run does not hand to the tray.
func TestPrints(t *testing.T) {
	for _, args := range [][]string{
		nil, {"--kiosk"}, {"--background"}, {"--config", `C:\x.yaml`, "--background"},
		{"version"}, {"--config", "x.yaml", "status", "--json"}, {"token"}, {"login", "--method", "navidrome"},
		{"--help"}, {"-h"}, {"--no-such-flag"}, {"--config"}, {"no-such-verb"},
	} {
		gui := false
		Run(context.Background(), Env{
			Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{},
			Locator: config.Locator{Getenv: func(string) string { return "" }, UserConfigDir: func() (string, error) { return t.TempDir(), nil }},
			GUI:     func(context.Context, startup.Options) error { gui = true; return nil },
		}, args)
		if got := Prints(args); got == gui {
			t.Errorf("Prints(%q) = %v, but the tray started: %v", args, got, gui)
		}
	}
}

// A script tells a failure worth a retry from one that needs the person.
func TestExitCode(t *testing.T) {
	down := &oidc.UnreachableError{URL: "https://auth.example.org/", Err: errors.New("connection refused")}
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"not signed in", app.ErrNotSignedIn, 1},
		{"the session ended", errors.New("your session has ended; sign in again"), 1},
		{"wrong usage", usageError("unknown verb %q", "x"), ExitUsage},
		{"Authentik unreachable, renewing", fmt.Errorf("renewing your session: %w", down), ExitUnreachable},
		{"Navidrome unreachable", &navidrome.UnreachableError{URL: "https://music.example.org", Err: errors.New("timed out")}, ExitUnreachable},
		{"an untrusted certificate: the person must act", &oidc.TLSError{URL: "https://auth.example.org/", Err: errors.New("x509")}, 1},
		{"Ctrl-C during a sign-in", fmt.Errorf("signing in: %w", oidc.ErrCancelled), ExitCancelled},
		{"Ctrl-C during a renewal", fmt.Errorf("renewing your session: %w", context.Canceled), ExitCancelled},
		{"Ctrl-C at the password prompt", ctxErr(cancelledCtx()), ExitCancelled},
		{"a host name that does not exist: a mistyped server_url", &oidc.UnreachableError{URL: "https://auth.exmaple.org/", Err: &net.DNSError{Name: "auth.exmaple.org", IsNotFound: true}}, 1},
		{"a proxy's 502 before Authentik", fmt.Errorf("renewing your session: %w", &oidc.UnavailableError{}), ExitUnreachable},
		{"the resolver down", &oidc.UnreachableError{URL: "https://auth.example.org/", Err: &net.DNSError{Name: "auth.example.org", IsTemporary: true}}, ExitUnreachable},
	} {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}

func cancelledCtx() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

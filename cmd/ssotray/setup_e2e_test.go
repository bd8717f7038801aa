package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/navidrome/navidrometest"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

// TestSetupFirstRun starts the real window with no configuration anywhere:
// the setup form appears, a person fills it in with the keyboard, tests the
// connection, saves, and lands on the sign-in screen, which then works with
// the configuration just written.
func TestSetupFirstRun(t *testing.T) {
	needDesktop(t)
	p, err := oidctest.Start(oidctest.Options{
		Users:   []oidctest.User{alice},
		Clients: []oidctest.Client{{ID: "ssotray", RedirectURIRegexes: []string{oidc.RedirectURIRegex}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	nd, err := navidrometest.Start(navidrometest.Options{Users: []navidrometest.User{{Username: "bob", Password: "bobs-password", Name: "Bob Builder"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer nd.Close()
	_ = tokenstore.NewKeyring().Delete()
	t.Cleanup(func() { _ = tokenstore.NewKeyring().Delete() })

	home := t.TempDir()
	configDir := filepath.Join(home, ".config")
	g, exited := startSetupGUI(t, home)
	if name := windowName(t, g.window); name != "Set up ssotray" {
		t.Fatalf("the first window is %q, want the setup window; output:\n%s", name, g.out)
	}
	time.Sleep(500 * time.Millisecond) // let the first frame settle
	g.screenshot("setup")

	// A second start shows this window instead of opening another.
	second := exec.Command(bin.ssotray)
	second.Env = g.env
	if out, err := second.CombinedOutput(); err != nil || !strings.Contains(string(out), "already running") {
		t.Errorf("second start: %v %s", err, out)
	}

	// The cursor starts in the server URL; slug and client ID keep their
	// defaults; Enter in the Navidrome URL tests the connection.
	g.keys("type", p.URL())
	g.keys("key", "Tab", "Tab", "Tab")
	g.keys("type", nd.URL())
	g.keys("key", "Return")
	for deadline := time.Now().Add(30 * time.Second); !pinged(nd); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Test connection did not reach Navidrome; output:\n%s", g.out)
		}
	}
	time.Sleep(time.Second) // the findings are drawn
	g.screenshot("setup-tested")
	if _, err := os.Stat(filepath.Join(configDir, "ssotray")); err == nil {
		t.Fatal("testing the connection wrote something")
	}

	// Tab from the Navidrome URL to "Test connection", then to "Save and
	// continue"; space presses it.
	g.keys("key", "Tab", "Tab", "space")
	path := filepath.Join(configDir, "ssotray", "config.yaml")
	var cfg *config.Config
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if cfg, err = config.Load(path, func(string) string { return "" }); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no configuration was written: %v; output:\n%s", err, g.out)
		}
	}
	a := cfg.Authentik
	if !a.Enabled || a.ServerURL != p.URL() || a.AppSlug != "ssotray" || a.ClientID != "ssotray" ||
		!cfg.Navidrome.Enabled || cfg.Navidrome.ServerURL != nd.URL() {
		t.Errorf("written configuration: %+v", cfg)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v %v", path, info.Mode(), err)
	}

	// The setup window gives way to the main window on the sign-in screen.
	if g.window = waitWindow(g.cmd.Process.Pid, 20*time.Second, "--name", "^ssotray$"); g.window == "" {
		t.Fatalf("the main window did not appear\n%s", g.out)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		n, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Set up ssotray$").Output()
		if len(strings.Fields(string(n))) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the setup window stays open next to the main window")
		}
	}
	select {
	case <-exited:
		t.Fatalf("ssotray exited: %s", g.out)
	default:
	}
	g.waitScreen()
	g.screenshot("setup-signin")

	// The sign-in screen works with what was written: sign in to Navidrome.
	g.keys("key", "Tab", "Tab")
	g.keys("type", "bob")
	g.keys("key", "Return")
	g.keys("type", "bobs-password")
	g.keys("key", "Return")
	waitSignedIn(t, "bob", g)
}

// startSetupGUI starts ssotray with no --config and nothing in the
// environment that points at a configuration, HOME and XDG_CONFIG_HOME in
// the empty directory home, and waits for its first window. exited is
// closed when the process ends.
func startSetupGUI(t *testing.T, home string) (g *gui, exited <-chan struct{}) {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "SSOTRAY_") && name != "SSOTRAY_TEST_DESKTOP" && name != "SSOTRAY_ARTIFACTS" ||
			name == "HOME" || strings.HasPrefix(name, "XDG_CONFIG") || name == "XDG_RUNTIME_DIR" || name == "LANG" || name == "LC_ALL" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CONFIG_DIRS="+filepath.Join(home, "etc-xdg"),
		"XDG_RUNTIME_DIR="+t.TempDir(), "LANG=en_US.UTF-8", "SSOTRAY_DEBUG=1")
	g = &gui{t: t, out: &liveOutput{}, env: env}
	g.cmd = exec.Command(bin.ssotray)
	g.cmd.Env = env
	g.cmd.Stdout, g.cmd.Stderr = g.out, g.out
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = g.cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		killTray(t, g.cmd.Process)
		<-done
	})
	if g.window = waitWindow(g.cmd.Process.Pid, 20*time.Second); g.window == "" {
		t.Fatalf("no window appeared\n%s", g.out)
	}
	return g, done
}

func windowName(t *testing.T, id string) string {
	t.Helper()
	out, err := exec.Command("xdotool", "getwindowname", id).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// pinged reports whether the Navidrome stand-in was asked for a ping.
func pinged(nd *navidrometest.Server) bool {
	for _, r := range nd.Requests() {
		if strings.HasPrefix(r.Path, "/rest/ping") {
			return true
		}
	}
	return false
}

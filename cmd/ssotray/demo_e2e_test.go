//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

// TestDemo runs the README's run command, `make run`, as a newcomer with no
// configuration of their own: devidp starts, the window appears, alice
// signs in through the browser (Chromium, as testbrowser), her apps are
// imported from the stand-in's API without ssotray's own, and she signs out
// from a terminal.
func TestDemo(t *testing.T) {
	needDesktop(t)
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not installed; the README's run command needs it (.ci/run installs it)")
	}
	_ = tokenstore.NewKeyring().Delete()
	t.Cleanup(func() { _ = tokenstore.NewKeyring().Delete() })

	home := t.TempDir()
	ports := oidctest.FreePorts(t, 2)
	browserLog := filepath.Join(home, "browser.log")
	var env []string
	for _, kv := range os.Environ() {
		// The newcomer has no configuration, and this is not the test's make.
		if !strings.HasPrefix(kv, "SSOTRAY_CONFIG=") && !strings.HasPrefix(kv, "MAKE") {
			env = append(env, kv)
		}
	}
	// A new HOME, but the Go caches of this machine: a cold build is not
	// what this test is about.
	goenv, err := exec.Command("go", "env", "GOPATH", "GOMODCACHE", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(string(goenv)); len(f) == 3 {
		env = append(env, "GOPATH="+f[0], "GOMODCACHE="+f[1], "GOCACHE="+f[2])
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_RUNTIME_DIR="+home, "LANG=en_US.UTF-8", "SSOTRAY_DEBUG=1",
		"TESTBROWSER_USERNAME=alice", "TESTBROWSER_PASSWORD=alice", "TESTBROWSER_LOG="+browserLog)
	out := &liveOutput{}
	cmd := exec.Command("make", "--no-print-directory", "-C", filepath.Join("..", ".."), "run",
		fmt.Sprintf("DEMO_ADDR=127.0.0.1:%d", ports[0]), fmt.Sprintf("DEMO_NAVIDROME_ADDR=127.0.0.1:%d", ports[1]),
		"DEMO_BROWSER="+bin.browser, "BIN="+t.TempDir())
	cmd.Env, cmd.Stdout, cmd.Stderr = env, out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // make, devidp and ssotray end together
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
	})

	// The build may take a while on a cold cache.
	found, err := exec.Command("timeout", "300", "xdotool", "search", "--sync", "--onlyvisible", "--name", "^ssotray$").Output()
	if err != nil {
		t.Fatalf("no ssotray window from `make run`: %v\n%s", err, out)
	}
	g := &gui{t: t, out: out, window: strings.Fields(string(found))[0]}
	g.waitScreen()
	g.keys("key", "Return") // Sign in with Authentik
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if s := stored(t); s != nil && s.Username == "alice" {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(browserLog)
			t.Fatalf("alice is not signed in after `make run`:\n%s\nbrowser: %s", out, log)
		}
	}
	time.Sleep(time.Second)
	g.screenshot("demo-signed-in")
	for _, want := range []string{"alice  / alice  / admins, users", "bob    / bob    / users"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("devidp did not print the user %q:\n%s", want, out)
		}
	}

	// The same session from a terminal, with the demo's configuration.
	cfg := demoConfig(t, cmd.Process.Pid)
	verb := func(args ...string) (string, error) {
		c := exec.Command(bin.ssotray, append([]string{"--config", cfg}, args...)...)
		c.Env = env
		b, err := c.Output()
		return string(b), err
	}
	apps, err := verb("apps", "--json")
	var list []struct{ Name string }
	if err == nil {
		err = json.Unmarshal([]byte(apps), &list)
	}
	if err != nil {
		t.Fatalf("apps --json: %v\n%s", err, apps)
	}
	var names []string
	for _, a := range list {
		names = append(names, a.Name)
	}
	// The configured ones, then the imported ones by name (as Authentik
	// orders them); ssotray's own is not.
	if want := []string{"Music", "Provider health", "Admin console", "Photos"}; !slices.Equal(names, want) {
		t.Errorf("alice's apps in the demo: %q, want %q", names, want)
	}
	said, err := verb("logout")
	if err != nil || !strings.Contains(said, "your tokens were revoked") {
		t.Errorf("logout in the demo: %v\n%s", err, said)
	}
	waitForBrowsers(t, browserLog) // the provider's sign-out page, in this test's directory
	if s := stored(t); s != nil {
		t.Errorf("a session is still stored after logout: %s", s.Username)
	}
}

// demoConfig is the configuration `make run` wrote for the demo: the
// --config of the ssotray it started, in its process group pgid (a
// temporary file whose name only make knows).
func demoConfig(t *testing.T, pgid int) string {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if g, err := syscall.Getpgid(pid); err != nil || g != pgid || filepath.Base(args[0]) != "ssotray" {
			continue
		}
		if i := slices.Index(args, "--config"); i >= 0 && i+1 < len(args) {
			return args[i+1]
		}
	}
	t.Fatal("no ssotray --config FILE among the processes of `make run`")
	return ""
}

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/proctree"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

// privateBrowser is a kiosk's browser_command in these tests: a launcher
// that leaves helpers behind and exits, as real browser launchers may. It
// starts two long-lived processes and orphans them at once: one in its
// process group, one in a session of its own (setsid), which only the
// child subreaper keeps in ssotray's tree. Then it runs the testbrowser
// in the background with a fresh profile each time (a private window) and
// exits. Their pids are appended to the file orphans names. Its first
// argument is ssotray's {profile}, where it leaves a cookie and whose path
// it appends to the file profiles names. It downloads a file to
// $HOME/Downloads, as browsers do, and appends its path to downloads.
type privateBrowser struct {
	script, orphans, profiles, downloads string
}

func newPrivateBrowser(t *testing.T) *privateBrowser {
	t.Helper()
	dir := t.TempDir()
	k := &privateBrowser{script: filepath.Join(dir, "private-browser"), orphans: filepath.Join(dir, "orphans"),
		profiles: filepath.Join(dir, "profiles"), downloads: filepath.Join(dir, "downloads")}
	script := fmt.Sprintf(`#!/bin/sh
unset TESTBROWSER_PROFILE
echo "$1" >> %[3]s; echo "alice's session" > "$1/Cookies"; shift
mkdir -p "$HOME/Downloads"; echo "a bank statement" > "$HOME/Downloads/statement-$$.pdf"; echo "$HOME/Downloads/statement-$$.pdf" >> %[4]s
(sleep 600 & echo $! >> %[1]s; setsid sh -c 'echo $$ >> %[1]s; exec sleep 600' &)
%[2]s "$@" &
exit 0
`, k.orphans, bin.browser, k.profiles, k.downloads)
	if err := os.WriteFile(k.script, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // whatever a failed test left
		for _, f := range k.files(k.downloads) {
			_ = os.Remove(f)
		}
		for _, pid := range k.pids() {
			if p, err := os.FindProcess(pid); err == nil {
				_ = p.Kill()
				_ = p.Release()
			}
		}
	})
	return k
}

// pids are the orphans started so far.
func (k *privateBrowser) pids() []int {
	data, _ := os.ReadFile(k.orphans)
	var out []int
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// profilesLeft are the profile directories it was given that still exist.
func (k *privateBrowser) profilesLeft(t *testing.T) []string {
	t.Helper()
	dirs := k.files(k.profiles)
	if len(dirs) == 0 {
		t.Fatal("the browser was given no profile directory; nothing to check")
	}
	return slices.DeleteFunc(dirs, func(d string) bool { _, err := os.Stat(d); return os.IsNotExist(err) })
}

// downloadsLeft are the files it downloaded that still exist.
func (k *privateBrowser) downloadsLeft() []string {
	return slices.DeleteFunc(k.files(k.downloads), func(f string) bool { _, err := os.Stat(f); return os.IsNotExist(err) })
}

// files are the lines of the file named list.
func (k *privateBrowser) files(list string) []string {
	data, _ := os.ReadFile(list)
	return strings.Fields(string(data))
}

// waitPids waits until at least n orphans were started and those from the
// from-th on run, and returns those.
func (k *privateBrowser) waitPids(t *testing.T, from, n int) []int {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		pids := k.pids()
		if len(pids) >= n && len(running(pids[from:])) == len(pids)-from {
			return pids[from:]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the browser launcher's children: %v, running %v; want %d running", pids, running(pids), n)
		}
	}
}

// running are the pids of pids that still run (a zombie has ended: it only
// waits for its parent to collect it).
func running(pids []int) []int {
	var out []int
	for _, pid := range pids {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err == nil && !strings.Contains(string(stat), ") Z ") {
			out = append(out, pid)
		}
	}
	return out
}

// goneAt watches pids and sends the time when none of them runs any more.
func goneAt(pids []int, stop <-chan struct{}) <-chan time.Time {
	ch := make(chan time.Time, 1)
	go func() {
		for {
			if len(running(pids)) == 0 {
				ch <- time.Now()
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return ch
}

// logTime is the time of the first line of ssotray's debug log (slog's
// text format) that holds msg.
func logTime(t *testing.T, out, msg string) time.Time {
	t.Helper()
	m := regexp.MustCompile(`(?m)^time=(\S+) .*` + regexp.QuoteMeta(msg)).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("ssotray did not log %q:\n%s", msg, out)
	}
	at, err := time.Parse(time.RFC3339Nano, m[1])
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// TestKioskCrashAndSignal: what a crashed kiosk left running is closed at
// the next start (by pid and start time, from the record in the runtime
// directory), and SIGTERM signs the person out before the kiosk exits:
// browsers closed, tokens revoked.
func TestKioskCrashAndSignal(t *testing.T) {
	w := kioskWorld(t)
	kb := newPrivateBrowser(t)
	w.usePrivateBrowser(kb)
	// Nobody moves the mouse here: no idle sign-out in the middle.
	cfg, _ := os.ReadFile(w.config)
	if err := os.WriteFile(w.config, []byte(strings.Replace(string(cfg), "idle_timeout: 6s", "idle_timeout: 10m", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	runtime := t.TempDir()
	env := []string{"XDG_RUNTIME_DIR=" + runtime, "SSOTRAY_DEBUG=1"}
	g := startGUIArgs(t, w, []string{"--kiosk"}, env...)
	g.keys("key", "Return")
	w.waitFor("token", 1)
	left := kb.waitPids(t, 0, 2)
	w.waitForBrowsers() // the testbrowser itself has finished: only the orphans are left
	if info, err := os.Stat(filepath.Join(runtime, proctree.RecordFile)); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the record of the kiosk's browsers: %v %v", info, err)
	}

	// A crash: nothing is closed, the orphans live on.
	_ = g.cmd.Process.Kill()
	_ = g.cmd.Wait()
	time.Sleep(time.Second)
	if got := running(left); len(got) != len(left) {
		t.Fatalf("the crash itself ended %v of %v; nothing left to test", got, left)
	}
	if len(kb.profilesLeft(t)) == 0 {
		t.Fatal("the crash removed the browser's profile; nothing left to test")
	}
	// The next start closes them before anyone signs in, and removes the
	// profile with alice's cookies.
	g = startGUIArgs(t, w, []string{"--kiosk"}, env...)
	gone := goneAt(left, nil)
	select {
	case <-gone:
	case <-time.After(15 * time.Second):
		t.Fatalf("processes %v that the crashed kiosk left still run after the next start:\n%s", running(left), g.out)
	}
	for deadline := time.Now().Add(5 * time.Second); len(kb.profilesLeft(t)) != 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the crashed kiosk's browser profiles %v are still there after the next start:\n%s", kb.profilesLeft(t), g.out)
		}
	}

	// SIGTERM: the person is signed out before the kiosk exits. (The
	// crashed kiosk's tokens lived only in its memory: nothing revokes them.)
	crashed := w.provider.RefreshTokensOf(alice.Username)
	g.keys("key", "Return")
	w.waitFor("token", 2)
	pids := kb.waitPids(t, 2, 4)
	w.waitForBrowsers()
	var tokens []string
	for _, tok := range w.provider.RefreshTokensOf(alice.Username) {
		if !slices.Contains(crashed, tok) {
			tokens = append(tokens, tok)
		}
	}
	if len(tokens) == 0 {
		t.Fatal("the second sign-in got no refresh token; nothing to check")
	}
	// logind ends a session's processes with SIGTERM and SIGHUP together:
	// the second must not cut the kiosk's sign-out short (a slow provider
	// keeps it busy revoking when the SIGHUP comes).
	w.provider.SetFaults(oidctest.Faults{RevokeDelay: time.Second})
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(100 * time.Millisecond)
	_ = g.cmd.Process.Signal(syscall.SIGHUP)
	exited := make(chan error, 1)
	go func() { exited <- g.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the kiosk ended with %v after SIGTERM:\n%s", err, g.out)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the kiosk did not exit after SIGTERM:\n%s", g.out)
	}
	if got := running(pids); len(got) != 0 {
		t.Errorf("browser processes %v outlived the kiosk ended by SIGTERM", got)
	}
	for _, tok := range tokens {
		if st := w.provider.TokenState(tok); st != oidctest.TokenRevoked && st != oidctest.TokenRotated {
			t.Errorf("one of alice's refresh tokens is %s after the kiosk ended", st)
		}
	}
	if !strings.Contains(g.out.String(), "kiosk sign-out: browsers closed") {
		t.Errorf("no kiosk sign-out before the exit:\n%s", g.out)
	}
}

// usePrivateBrowser makes kb the kiosk's browser_command, keeping the rest
// of the configuration.
func (w *world) usePrivateBrowser(kb *privateBrowser) {
	w.t.Helper()
	cfg, err := os.ReadFile(w.config)
	if err != nil {
		w.t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^browser_command: .*$`)
	cfg = re.ReplaceAll(cfg, []byte("browser_command: ["+kb.script+", \""+launch.ProfilePlaceholder+"\"]"))
	if err := os.WriteFile(w.config, cfg, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// needsBrowserCommand: a kiosk without browser_command does not start, and
// says what to set.
func TestKioskNeedsBrowserCommand(t *testing.T) {
	w := kioskWorld(t)
	cfg, _ := os.ReadFile(w.config)
	cfg = regexp.MustCompile(`(?m)^browser_command: .*\n`).ReplaceAll(cfg, nil)
	if err := os.WriteFile(w.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin.ssotray, "--config", w.config, "--kiosk")
	cmd.Env = append(append([]string{}, w.env...), "XDG_RUNTIME_DIR="+t.TempDir())
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the kiosk started without browser_command:\n%s", out)
	}
	if err == nil || !strings.Contains(string(out), "browser_command is not set") || !strings.Contains(string(out), "[chromium, --incognito, --new-window") || !strings.Contains(string(out), `--profile, "{profile}", --private-window]`) {
		t.Errorf("kiosk without browser_command: %v\n%s", err, out)
	}
	if r := w.run(nil, "--kiosk", "doctor"); r.code != 1 || !strings.Contains(r.stdout, "FAIL browser: kiosk mode needs") {
		t.Errorf("doctor --kiosk without browser_command: %+v", r)
	}
}

// TestStartedProgramsGetNoSsotrayVariables: the desktop's opener (here a
// stand-in xdg-open that writes down its environment) never sees the
// SSOTRAY_* variables, the client secret above all; ssotray itself still
// reads them.
func TestStartedProgramsGetNoSsotrayVariables(t *testing.T) {
	w := newWorld(t, time.Minute)
	cfg, _ := os.ReadFile(w.config)
	cfg = regexp.MustCompile(`(?m)^browser_command: .*\n`).ReplaceAll(cfg, nil)
	cfg = regexp.MustCompile(`(?m)^  client_id: .*\n`).ReplaceAll(cfg, nil) // from the environment
	if err := os.WriteFile(w.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dump := filepath.Join(dir, "env")
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte("#!/bin/sh\nenv > "+dump+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := w.run([]string{"PATH=" + dir + ":" + os.Getenv("PATH"), "SSOTRAY_AUTHENTIK_CLIENT_ID=ssotray", "SSOTRAY_AUTHENTIK_CLIENT_SECRET=not-for-the-browser"}, "login", "--timeout", "3s")
	env, err := os.ReadFile(dump)
	if err != nil {
		t.Fatalf("xdg-open was not run: %v\n%+v", err, r)
	}
	if strings.Contains(string(env), "SSOTRAY_") || strings.Contains(string(env), "not-for-the-browser") {
		t.Errorf("xdg-open got ssotray's variables:\n%s", env)
	}
	if len(w.events("authorize")) != 0 {
		t.Errorf("nobody opened the page, yet: %v", w.events("authorize"))
	}
	if !strings.Contains(r.stderr, "no sign-in arrived from the browser within 3s") {
		t.Errorf("login without a browser: %+v (the client ID from the environment was not used?)", r)
	}
}

// TestKioskCommandLine: on a machine whose configuration turns kiosk mode
// on, the command line signs nobody in and opens no browser (none would
// close it), and `logout` revokes without opening the provider's page.
func TestKioskCommandLine(t *testing.T) {
	w := newWorld(t, time.Minute)
	w.mustRun("login", "--timeout", "90s") // before the machine became a kiosk
	w.waitForBrowsers()
	tokens := w.provider.RefreshTokensOf(alice.Username)
	cfg, _ := os.ReadFile(w.config)
	if err := os.WriteFile(w.config, append(cfg, "kiosk:\n  enabled: true\n  remember: true\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	browserStarts := func() int {
		log, _ := os.ReadFile(w.log)
		return strings.Count(string(log), `"event":"start"`)
	}
	browsers := browserStarts()
	for _, args := range [][]string{{"login"}, {"open", "Music"}} {
		if r := w.run(nil, args...); r.code != 1 || !strings.Contains(r.stderr, "not available on a kiosk") {
			t.Errorf("%v on a kiosk: %+v", args, r)
		}
	}
	r := w.run(nil, "logout")
	if r.code != 0 || !strings.Contains(r.stdout, "your tokens were revoked") || strings.Contains(r.stdout, "sign-out page") {
		t.Errorf("logout on a kiosk: %+v", r)
	}
	if n := browserStarts() - browsers; n != 0 || len(w.events("end_session")) != 0 {
		t.Errorf("the command line started %d browsers on a kiosk, %d end-session pages", n, len(w.events("end_session")))
	}
	for _, tok := range tokens {
		if st := w.provider.TokenState(tok); st != oidctest.TokenRevoked && st != oidctest.TokenRotated {
			t.Errorf("one of alice's refresh tokens is %s after logout", st)
		}
	}
}

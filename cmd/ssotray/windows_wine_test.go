package main

// The Windows build, run under Wine: `make test-windows` (which `make test`
// runs) builds bin/ssotray-VERSION-windows-amd64/ as `make package-windows`
// does, makes a Wine prefix (.ci/wine/prefix) and runs the tests named
// TestWine here with
//
//	SSOTRAY_TEST_WINE=1         these tests run (they skip otherwise)
//	SSOTRAY_WINE                the wine64 to use
//	WINEPREFIX                  the prefix (kept between runs)
//	SSOTRAY_WINDOWS_BIN         the directory with ssotray.exe and ssotray-window.exe
//	SSOTRAY_WINDOWS_VERSION     the version they were built as
//
// The programs run as a person would run them: the verbs from a terminal
// (under Wine a GUI-subsystem program's output reaches the Unix terminal
// too), the configuration in %AppData%, the session in Wine's Credential
// Manager, Navidrome's stand-in on 127.0.0.1.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/navidrome/navidrometest"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

// winePC is one Wine prefix with the Windows build, for one test.
type winePC struct {
	t       *testing.T
	wine    string // wine64
	prefix  string
	bin     string // directory of ssotray.exe
	program string // what run starts: ssotray.exe unless set
	appData string // %AppData% as a Unix path
	// userDir is C:\users\NAME, as Windows programs see it.
	userDir  string
	credlist string // the credential lister, built for Windows
	// forgetConfig is a configuration for `logout --local` (see forget).
	forgetConfig string
	tmp          string
}

// needWine skips unless `make test-windows` runs the test; there, a missing
// Wine or build fails the test when SSOTRAY_TESTS_STRICT says this machine
// has everything.
func needWine(t *testing.T) *winePC {
	t.Helper()
	if os.Getenv("SSOTRAY_TEST_WINE") != "1" {
		t.Skip("runs the Windows build under Wine: `make test-windows` (SSOTRAY_TEST_WINE=1)")
	}
	pc := &winePC{t: t, wine: os.Getenv("SSOTRAY_WINE"), prefix: os.Getenv("WINEPREFIX"), bin: os.Getenv("SSOTRAY_WINDOWS_BIN")}
	_, errWine := exec.LookPath(pc.wine)
	_, errExe := os.Stat(filepath.Join(pc.bin, "ssotray.exe"))
	_, errPrefix := os.Stat(filepath.Join(pc.prefix, "system.reg"))
	oidctest.NeedMachine(t, pc.wine != "" && errWine == nil && errExe == nil && errPrefix == nil && pc.prefix != "",
		fmt.Sprintf("Wine (SSOTRAY_WINE=%q), a prefix (WINEPREFIX=%q) and the Windows build (SSOTRAY_WINDOWS_BIN=%q) from `make test-windows`", pc.wine, pc.prefix, pc.bin))
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	// Wine names the Windows user after the Unix one.
	pc.userDir = `C:\users\` + u.Username
	pc.appData = filepath.Join(pc.prefix, "drive_c", "users", u.Username, "AppData", "Roaming")
	if _, err := os.Stat(pc.appData); err != nil {
		t.Fatalf("the prefix has no %%AppData%% for %s: %v", u.Username, err)
	}
	pc.tmp = t.TempDir()
	pc.forgetConfig = filepath.Join(pc.tmp, "forget.yaml")
	if err := os.WriteFile(pc.forgetConfig, []byte("authentik:\n  enabled: false\nnavidrome:\n  enabled: true\n  server_url: http://127.0.0.1:9/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pc.credlist = filepath.Join(pc.tmp, "credlist.exe")
	build := exec.Command("go", "build", "-o", pc.credlist, "../../.ci/wine/credlist.go")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building credlist.exe: %v\n%s", err, out)
	}
	// Nothing of an earlier run that stopped halfway: no configuration in
	// %AppData%, no session in the Credential Manager.
	pc.removeUserConfig()
	if creds := pc.credentials(); len(creds) != 0 {
		pc.forget()
		if creds := pc.credentials(); len(creds) != 0 {
			t.Fatalf("ssotray credentials from an earlier run that logout does not remove: %v", creds)
		}
	}
	t.Cleanup(func() {
		pc.forget()
		pc.removeUserConfig()
	})
	return pc
}

// forget removes any stored session with `logout --local`, which needs a
// configuration: one of its own, given by its Z: path (Wine's Z: is /).
func (pc *winePC) forget() {
	pc.t.Helper()
	if r := pc.run("", "--config", `Z:`+strings.ReplaceAll(pc.forgetConfig, "/", `\`), "logout", "--local"); r.code != 0 {
		pc.t.Errorf("logout --local: %+v", r)
	}
}

func (pc *winePC) env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		// Verbs run as in a terminal with no display; no setting of the
		// Linux tests reaches the program.
		if name == "DISPLAY" || name == "WAYLAND_DISPLAY" || name == "SSOTRAY_CONFIG" || name == "SSOTRAY_TEST_DESKTOP" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, append([]string{"WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml,winemenubuilder.exe=", "LANG=en_US.UTF-8"}, extra...)...)
}

// run runs ssotray.exe with args and stdin.
func (pc *winePC) run(stdin string, args ...string) result {
	pc.t.Helper()
	return pc.runEnv(nil, stdin, args...)
}

func (pc *winePC) runEnv(env []string, stdin string, args ...string) result {
	pc.t.Helper()
	cmd := exec.Command(pc.wine, append([]string{filepath.Join(pc.bin, cmp.Or(pc.program, "ssotray.exe"))}, args...)...)
	cmd.Env = pc.env(env...)
	cmd.Stdin = strings.NewReader(stdin)
	// Files, not pipes: Wine's own processes (wineserver, services.exe)
	// inherit the descriptors and keep a pipe open for seconds after
	// ssotray.exe has ended, and Wait would wait for them.
	stdout, stderr := pc.tempFile(), pc.tempFile()
	defer stdout.Close()
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		pc.t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		pc.t.Fatalf("ssotray.exe %v did not end within 60 s; stderr:\n%s", args, readAll(stderr))
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: readAll(stdout), stderr: readAll(stderr)}
}

func (pc *winePC) tempFile() *os.File {
	pc.t.Helper()
	f, err := os.CreateTemp(pc.tmp, "out")
	if err != nil {
		pc.t.Fatal(err)
	}
	return f
}

func readAll(f *os.File) string {
	b, _ := os.ReadFile(f.Name())
	return string(b)
}

// credentials are ssotray's generic credentials in Wine's Credential
// Manager (CredEnumerate): target name -> size of the secret.
func (pc *winePC) credentials() map[string]int {
	pc.t.Helper()
	cmd := exec.Command(pc.wine, pc.credlist, "ssotray:")
	cmd.Env = pc.env()
	stdout := pc.tempFile()
	defer stdout.Close()
	cmd.Stdout, cmd.Stderr = stdout, stdout
	err := cmd.Run()
	out := readAll(stdout)
	if err != nil {
		pc.t.Fatalf("credlist.exe: %v %s", err, out)
	}
	m := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if name, size, ok := strings.Cut(strings.TrimRight(line, "\r"), "\t"); ok {
			var n int
			fmt.Sscan(size, &n)
			m[name] = n
		}
	}
	return m
}

func (pc *winePC) userConfigPath() string { return filepath.Join(pc.appData, "ssotray", "config.yaml") }

// writeUserConfig puts the configuration where a Windows user keeps it:
// %AppData%\ssotray\config.yaml.
func (pc *winePC) writeUserConfig(content string) {
	pc.t.Helper()
	if err := os.MkdirAll(filepath.Dir(pc.userConfigPath()), 0o700); err != nil {
		pc.t.Fatal(err)
	}
	if err := os.WriteFile(pc.userConfigPath(), []byte(content), 0o600); err != nil {
		pc.t.Fatal(err)
	}
}

func (pc *winePC) removeUserConfig() { _ = os.RemoveAll(filepath.Dir(pc.userConfigPath())) }

func navidromeOnlyConfig(srv *navidrometest.Server) string {
	return fmt.Sprintf("authentik:\n  enabled: false\nnavidrome:\n  enabled: true\n  server_url: %s/\napps:\n  - name: Music\n    url: %s/\n    description: Navidrome\n", srv.URL(), srv.URL())
}

// subsonicPing asks the server whether token (Navidrome's JWT, as
// `ssotray token` prints it) lets username in, as a script would use it.
func subsonicPing(t *testing.T, srv *navidrometest.Server, username, token string) bool {
	t.Helper()
	q := url.Values{"u": {username}, "jwt": {token}, "v": {"1.16.1"}, "c": {"wine-test"}, "f": {"json"}}
	resp, err := http.Get(srv.URL() + "/rest/ping.view?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Response struct {
			Status string `json:"status"`
		} `json:"subsonic-response"`
	}
	return json.Unmarshal(body, &r) == nil && r.Response.Status == "ok"
}

func TestWineVersionAndWindowsPaths(t *testing.T) {
	pc := needWine(t)
	// ssotray.com is the same program for terminals: the same answers.
	parent := t
	for _, program := range []string{"ssotray.exe", "ssotray.com"} {
		t.Run(program, func(t *testing.T) {
			pc.t, pc.program = t, program
			defer func() { pc.t, pc.program = parent, "" }()
			pc.removeUserConfig()
			r := pc.run("", "version")
			if want := "ssotray " + os.Getenv("SSOTRAY_WINDOWS_VERSION"); r.code != 0 || strings.TrimRight(r.stdout, "\r\n") != want || r.stderr != "" {
				t.Errorf("%s version: %+v, want %q and nothing on stderr", program, r, want)
			}

			// No configuration: doctor says where a Windows user's file goes, as
			// a path they can paste into Explorer (no doubled backslashes).
			want := pc.userDir + `\AppData\Roaming\ssotray\config.yaml`
			r = pc.run("", "doctor")
			if r.code == 0 || !strings.Contains(r.stdout+r.stderr, `"`+want+`"`) {
				t.Errorf("doctor without a configuration: %+v; want it to name %q", r, want)
			}
			if strings.Contains(r.stdout+r.stderr, `\\`) {
				t.Errorf("doctor shows doubled backslashes in a path: %s", r.stdout+r.stderr)
			}
			// No file for every user (C:\etc\ssotray would be anyone's to create).
			if out := r.stdout + r.stderr; strings.Contains(out, `etc\ssotray`) || strings.Contains(out, "etc/ssotray") {
				t.Errorf("doctor looks for a system-wide file on Windows: %s", r.stdout+r.stderr)
			}
			r = pc.run("", "status")
			if r.code == 0 || !strings.Contains(r.stderr, want) {
				t.Errorf("status without a configuration: %+v; want it to name %q", r, want)
			}

			// A --config or SSOTRAY_CONFIG that is not there: the message names the
			// path as given, and where it came from.
			r = pc.run("", "--config", `C:\x\missing.yaml`, "status")
			if r.code != 1 || !strings.Contains(r.stderr, `configuration file C:\x\missing.yaml (from --config) cannot be read`) {
				t.Errorf("--config C:\\x\\missing.yaml: %+v", r)
			}
			r = pc.runEnv([]string{`SSOTRAY_CONFIG=D:\Team Config\ssotray.yaml`}, "", "token")
			if r.code != 1 || !strings.Contains(r.stderr, `configuration file D:\Team Config\ssotray.yaml (from SSOTRAY_CONFIG) cannot be read`) {
				t.Errorf("SSOTRAY_CONFIG=D:\\Team Config\\ssotray.yaml: %+v", r)
			}

			// A broken file in %AppData%: the message names it and the line.
			pc.writeUserConfig("navidrome:\n  enabled: true\n  server_url: [not, a, url\n")
			r = pc.run("", "status")
			if r.code == 0 || !strings.Contains(r.stderr, want) {
				t.Errorf("status with a broken %s: %+v", want, r)
			}
		})
	}
}

func TestWineNavidromeSignIn(t *testing.T) {
	pc := needWine(t)
	srv, err := navidrometest.Start(navidrometest.Options{Users: []navidrometest.User{{Username: "carol", Password: ndPassword, Name: "Carol Admin", IsAdmin: true}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pc.writeUserConfig(navidromeOnlyConfig(srv))

	// Found in %AppData% without --config; Navidrome is the only method.
	r := pc.run(ndPassword+"\r\n", "login", "--username", "carol", "--password-stdin")
	if r.code != 0 || strings.TrimRight(r.stdout, "\r\n") != "Signed in as Carol Admin (carol)" {
		t.Fatalf("login: %+v", r)
	}
	creds := pc.credentials()
	if len(creds) != 1 || creds["ssotray:session"] == 0 || creds["ssotray:session"] > 2560 {
		t.Errorf("Credential Manager after sign-in: %v, want the one entry ssotray:session", creds)
	}

	r = pc.run("", "status", "--json")
	var st map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &st); r.code != 0 || err != nil || st["signed_in"] != true || st["method"] != "navidrome" ||
		st["username"] != "carol" || st["name"] != "Carol Admin" || st["role"] != "admin" || st["expires_at"] == nil {
		t.Errorf("status --json: %+v", r)
	}
	if r = pc.run("", "status"); r.code != 0 || !strings.Contains(r.stdout, "Signed in with Navidrome as Carol Admin (carol)") {
		t.Errorf("status: %+v", r)
	}
	r = pc.run("", "token")
	tok := strings.TrimRight(r.stdout, "\r\n")
	if r.code != 0 || strings.Count(tok, ".") != 2 || !subsonicPing(t, srv, "carol", tok) {
		t.Errorf("token: %+v; the printed token does not let carol in", r)
	}
	if r = pc.run("", "apps"); r.code != 0 || !strings.Contains(r.stdout, "Music") {
		t.Errorf("apps: %+v", r)
	}

	// A wrong password says so and keeps the session there was.
	if r = pc.run("wrong\n", "login", "--username", "carol", "--password-stdin"); r.code != 1 || !strings.Contains(strings.ToLower(r.stderr), "wrong username or password") {
		t.Errorf("wrong password: %+v", r)
	}

	r = pc.run("", "logout")
	if r.code != 0 || strings.TrimRight(r.stdout, "\r\n") != (app.SignOutReport{Method: app.Navidrome}).String() {
		t.Errorf("logout: %+v", r)
	}
	if creds := pc.credentials(); len(creds) != 0 {
		t.Errorf("Credential Manager after logout: %v", creds)
	}
	if r = pc.run("", "status"); r.code != 1 || !strings.Contains(r.stdout, "Not signed in.") {
		t.Errorf("status after logout: %+v", r)
	}
	if r = pc.run("", "token"); r.code == 0 || r.stdout != "" {
		t.Errorf("token after logout: %+v", r)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, ndPassword) {
			t.Error("the password appears in ssotray.exe's output")
		}
	}
}

// TestWineSessionLargerThanOneCredential: a session over the Credential
// Manager's 2560 bytes (a long display name) is split over several
// credentials, comes back whole, and leaves nothing behind at logout.
func TestWineSessionLargerThanOneCredential(t *testing.T) {
	pc := needWine(t)
	name := strings.TrimSpace(strings.Repeat("Zoë Ünïcødé 名前 ", 160))
	srv, err := navidrometest.Start(navidrometest.Options{Users: []navidrometest.User{{Username: "zoe", Password: ndPassword, Name: name}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pc.writeUserConfig(navidromeOnlyConfig(srv))

	r := pc.run(ndPassword+"\n", "login", "--method", "navidrome", "--username", "zoe", "--password-stdin")
	if r.code != 0 || strings.TrimRight(r.stdout, "\r\n") != "Signed in as "+name+" (zoe)" {
		t.Fatalf("login: code %d, stdout %.200q, stderr %q", r.code, r.stdout, r.stderr)
	}
	creds := pc.credentials()
	total := 0
	for target, size := range creds {
		total += size
		if size > 2560 {
			t.Errorf("%s holds %d bytes: over the Credential Manager's 2560", target, size)
		}
	}
	if creds["ssotray:session"] == 0 || len(creds) < 3 || total <= 2560 {
		t.Errorf("Credential Manager: %v (%d bytes in all); want a head and parts over 2560 bytes", creds, total)
	}

	r = pc.run("", "status", "--json")
	var st map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &st); r.code != 0 || err != nil || st["name"] != name || st["username"] != "zoe" {
		t.Errorf("status --json: code %d, err %v, name %.80q", r.code, err, st["name"])
	}
	r = pc.run("", "token")
	if tok := strings.TrimRight(r.stdout, "\r\n"); r.code != 0 || !subsonicPing(t, srv, "zoe", tok) {
		t.Errorf("token: %+v; the printed token does not let zoe in", r)
	}
	if r = pc.run("", "logout"); r.code != 0 {
		t.Errorf("logout: %+v", r)
	}
	if creds := pc.credentials(); len(creds) != 0 {
		t.Errorf("Credential Manager after logout: %v", creds)
	}
	if r = pc.run("", "status"); r.code != 1 || !strings.Contains(r.stdout, "Not signed in.") {
		t.Errorf("status after logout: %+v", r)
	}
}

// TestWineTrayAndWindow: ssotray as Windows starts it. ssotray.com (the
// terminal's) hands a start without a verb to ssotray.exe. With --background
// (the MSI's Run value) the tray sees the taskbar's notification area and
// shows no window; a start from the Start menu shows the window, signed in,
// and closing it leaves the tray running, as on a desktop with a tray.
func TestWineTrayAndWindow(t *testing.T) {
	pc := needWine(t)
	display := os.Getenv("DISPLAY")
	_, errXdotool := exec.LookPath("xdotool")
	_, errImport := exec.LookPath("import")
	_, errWindow := os.Stat(filepath.Join(pc.bin, "ssotray-window.exe"))
	oidctest.NeedMachine(t, display != "" && errXdotool == nil && errImport == nil && errWindow == nil,
		"an X display (make test-windows runs in .ci/desktop-session), xdotool, ImageMagick and ssotray-window.exe")
	srv, err := navidrometest.Start(navidrometest.Options{Users: []navidrometest.User{{Username: "carol", Password: ndPassword, Name: "Carol Admin", IsAdmin: true}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pc.writeUserConfig(navidromeOnlyConfig(srv))
	if r := pc.run(ndPassword+"\n", "login", "--username", "carol", "--password-stdin"); r.code != 0 {
		t.Fatalf("login: %+v", r)
	}
	t.Cleanup(func() {
		// Ends the programs of this prefix: ssotray.exe and the window it started.
		kill := exec.Command(filepath.Join(filepath.Dir(pc.wine), "wineserver"), "-k")
		kill.Env = pc.env()
		_ = kill.Run()
	})
	windows := func() []string {
		ids, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^ssotray$").Output()
		return strings.Fields(string(ids))
	}

	// Typed in a terminal, ssotray.com hands the tray to ssotray.exe and
	// returns at once: a tray it ran would end with the terminal.
	handed := time.Now()
	pc.program = "ssotray.com"
	if r := pc.runEnv([]string{"DISPLAY=" + display}, "", "--background"); r.code != 0 || time.Since(handed) > 30*time.Second {
		t.Errorf("ssotray.com --background: %+v after %s; want 0 at once", r, time.Since(handed).Round(time.Second))
	}
	pc.program = ""
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if out, _ := exec.Command("pgrep", "-f", `ssotray\.exe --background`).Output(); len(out) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ssotray.com --background started no ssotray.exe --background")
		}
	}
	kill := exec.Command(filepath.Join(filepath.Dir(pc.wine), "wineserver"), "-k")
	kill.Env = pc.env()
	_ = kill.Run()

	// At sign-in: the tray alone.
	background, bgOut, bgExited := pc.start(display, "--background")
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(bgOut.String(), "tray host known"); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the tray did not look for the taskbar within 60 s:\n%s", bgOut)
		}
	}
	if !strings.Contains(bgOut.String(), "up=true") {
		t.Fatalf("the tray did not find the taskbar's notification area:\n%s", bgOut)
	}
	time.Sleep(3 * time.Second)
	if w := windows(); len(w) != 0 {
		t.Fatalf("ssotray.exe --background showed a window %v:\n%s", w, bgOut)
	}
	// Without the per-user socket under Wine (see README), a second start
	// would be a second tray: this one goes first.
	_ = background.Process.Kill()
	<-bgExited

	_, out, exited := pc.start(display)
	var window string
	for deadline := time.Now().Add(90 * time.Second); window == ""; time.Sleep(500 * time.Millisecond) {
		select {
		case err := <-exited:
			t.Fatalf("ssotray.exe ended (%v) before its window showed:\n%s", err, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ssotray window on %s within 90 s; output:\n%s", display, out)
		}
		if w := windows(); len(w) > 0 {
			window = w[len(w)-1]
		}
	}
	dir := os.Getenv("SSOTRAY_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "bin", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "windows-signed-in.png")
	// The signed-in screen shows the initials in a blue circle at the top
	// left (the sign-in screen has only its button in that blue, further
	// down): wait for it, as the window may draw another screen first.
	var img image.Image
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(time.Second) {
		if b, err := exec.Command("import", "-window", window, "png:-").Output(); err == nil {
			if img, err = png.Decode(bytes.NewReader(b)); err == nil && avatarPixels(img) > 1500 {
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the window never showed the signed-in screen (no avatar); output:\n%s", out)
		}
	}
	if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 300 {
		t.Errorf("the window is %dx%d", b.Dx(), b.Dy())
	}
	t.Logf("screenshot: %s", path)

	// Closed, the window goes and the tray stays.
	closeWindow(t, window)
	for deadline := time.Now().Add(30 * time.Second); len(windows()) != 0; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the window is still there 30 s after it was closed:\n%s", out)
		}
	}
	select {
	case err := <-exited:
		t.Errorf("ssotray.exe ended (%v) when its window was closed, with the taskbar there:\n%s", err, out)
	case <-time.After(3 * time.Second):
	}
}

// start runs ssotray.exe with args on display; out reads its output so
// far (SSOTRAY_DEBUG), exited reports its end. The output goes to a file,
// not a pipe, for the reason given at runEnv.
func (pc *winePC) start(display string, args ...string) (cmd *exec.Cmd, out fileOutput, exited <-chan error) {
	pc.t.Helper()
	cmd = exec.Command(pc.wine, append([]string{filepath.Join(pc.bin, "ssotray.exe")}, args...)...)
	cmd.Env = append(pc.env(), "DISPLAY="+display, "SSOTRAY_DEBUG=1")
	f := pc.tempFile()
	pc.t.Cleanup(func() { _ = f.Close() })
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		pc.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return cmd, fileOutput{f}, done
}

// fileOutput is a program's output file, read afresh each time.
type fileOutput struct{ f *os.File }

func (o fileOutput) String() string { return readAll(o.f) }

// avatarPixels counts the pixels of Fyne's primary blue in the top left
// corner, where the signed-in screen has the avatar circle.
func avatarPixels(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Min.Y+90 && y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Min.X+90 && x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if c.B > 200 && c.R < 80 && c.G > 80 && c.G < 160 {
				n++
			}
		}
	}
	return n
}

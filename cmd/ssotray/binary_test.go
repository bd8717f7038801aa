package main

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"debug/gosym"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ssotray/ssotray/assets"
)

// These tests check what ships: the shared libraries and the Go code in the
// product binary, and the archive of `make package` unpacked and installed
// the way its Makefile says, then started.

// The product links these and libc (DESIGN: a fully static binary is not
// possible with OpenGL).
var wantLinked = []string{"libGL.so.1", "libX11.so.6"}

// libcPart reports whether a shared object is glibc itself or one of its
// parts, or the kernel's vDSO.
func libcPart(name string) bool {
	switch name {
	case "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1":
		return true
	}
	return regexp.MustCompile(`^(ld-linux[-.\w]*\.so\.\d+|linux-(vdso|gate)\.so\.1)$`).MatchString(name)
}

// Test code, and the libraries only test code may use (DESIGN: the product
// binary must not link the test OpenID provider).
var testOnlyPackages = []string{
	"github.com/ssotray/ssotray/oidc/oidctest",
	"github.com/ssotray/ssotray/app/navidrome/navidrometest",
	"github.com/zitadel/oidc",
	"github.com/chromedp",
}

var testOnlyModules = []string{"github.com/zitadel/", "github.com/chromedp/"}

func TestWindowLinksOnlyLibcGLAndX11(t *testing.T) {
	needDesktop(t)
	checkLinkedLibraries(t, bin.window)
}

// TestTrayAndVerbsAreStaticAndFyneFree: ssotray (the verbs and the tray)
// links no shared library and no Fyne driver, so it starts like a
// command-line tool and idles light; only ssotray-window draws.
func TestTrayAndVerbsAreStaticAndFyneFree(t *testing.T) {
	needDesktop(t)
	checkStatic(t, bin.ssotray)
	// Containers, SSH and systemd units often have LANG=C or none: a verb
	// prints what it was asked for and nothing else (Fyne would complain
	// about the locale on every start).
	for _, lang := range []string{"LANG=C", "LANG="} {
		cmd := exec.Command(bin.ssotray, "version")
		cmd.Env = append(os.Environ(), lang, "LC_ALL=", "LC_MESSAGES=")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if out, err := cmd.Output(); err != nil || !strings.HasPrefix(string(out), "ssotray ") || stderr.Len() != 0 {
			t.Errorf("%s ssotray version: %v, stdout %q, stderr %q", lang, err, out, stderr.String())
		}
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "fyne.io/fyne/") || strings.HasPrefix(pkg, "github.com/go-gl/") {
			t.Errorf("cmd/ssotray imports %s: the window's machinery belongs to ssotray-window", pkg)
		}
	}
}

// checkStatic fails unless the binary at path needs no shared library.
func checkStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if libs, _ := f.ImportedLibraries(); len(libs) != 0 || f.Section(".interp") != nil {
		t.Errorf("%s needs shared libraries %v (or an interpreter): it should be pure Go", path, libs)
	}
}

func TestBinaryHasNoTestCode(t *testing.T) {
	needDesktop(t)
	for pkg, path := range map[string]string{".": bin.ssotray, "../ssotray-window": bin.window} {
		// What the main package imports, whether or not the linker keeps it.
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps: %v", err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if testOnly(dep) {
				t.Errorf("%s imports %s (test code)", pkg, dep)
			}
		}
		checkNoTestCode(t, path)
	}
}

// checkLinkedLibraries fails unless the binary at path needs only libc,
// libGL and libX11 directly (DT_NEEDED), and, as ldd resolves it on this
// machine, nothing but those and what libGL and libX11 themselves pull in.
func checkLinkedLibraries(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	needed, err := f.ImportedLibraries()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, lib := range needed {
		if !libcPart(lib) && !slices.Contains(wantLinked, lib) {
			t.Errorf("%s needs %s directly (DT_NEEDED); the product may link only libc, libGL and libX11", filepath.Base(path), lib)
		}
	}
	for _, lib := range wantLinked {
		if !slices.Contains(needed, lib) {
			t.Errorf("%s does not need %s (DT_NEEDED %v): is it still the windowed program?", filepath.Base(path), lib, needed)
		}
	}

	linked := ldd(t, path)
	allowed := map[string]bool{}
	for _, lib := range wantLinked {
		allowed[lib] = true
		if linked[lib] == "" {
			continue // reported above
		}
		for name := range ldd(t, linked[lib]) {
			allowed[name] = true
		}
	}
	var names []string
	for name := range linked {
		names = append(names, name)
		if !libcPart(name) && !allowed[name] {
			t.Errorf("%s loads %s (%s), which neither libc, libGL nor libX11 brings", filepath.Base(path), name, linked[name])
		}
	}
	sort.Strings(names)
	t.Logf("%s: DT_NEEDED %v; ldd: %s", filepath.Base(path), needed, strings.Join(names, " "))
}

// ldd returns the shared objects that ldd lists for path, by soname, with
// the file each resolves to ("" for the vDSO).
func ldd(t *testing.T, path string) map[string]string {
	t.Helper()
	out, err := exec.Command("ldd", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ldd %s: %v\n%s", path, err, out)
	}
	libs := map[string]string{}
	for line := range strings.Lines(string(out)) {
		line = strings.TrimSpace(line)
		if i := strings.LastIndex(line, " ("); i >= 0 {
			line = line[:i]
		}
		if line == "" {
			continue
		}
		name, file, found := strings.Cut(line, " => ")
		if !found {
			name, file = filepath.Base(line), ""
			if filepath.IsAbs(line) {
				file = line
			}
		}
		if file == "not found" {
			t.Errorf("ldd %s: %s is not found", path, name)
		}
		libs[name] = file
	}
	return libs
}

func testOnly(pkg string) bool {
	for _, p := range testOnlyPackages {
		if pkg == p || strings.HasPrefix(pkg, p+"/") {
			return true
		}
	}
	return false
}

// checkNoTestCode fails if the binary at path holds code of a test-only
// package: by the modules in its build information and by the functions in
// its pclntab, which even a stripped Go binary keeps.
func checkNoTestCode(t *testing.T, path string) {
	t.Helper()
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range info.Deps {
		for _, prefix := range testOnlyModules {
			if strings.HasPrefix(m.Path, prefix) {
				t.Errorf("%s is built with %s %s (test code)", filepath.Base(path), m.Path, m.Version)
			}
		}
	}

	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pclntab, text := f.Section(".gopclntab"), f.Section(".text")
	if pclntab == nil || text == nil {
		t.Fatalf("%s has no .gopclntab or .text section", path)
	}
	data, err := pclntab.Data()
	if err != nil {
		t.Fatal(err)
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	ours := 0
	for _, fn := range table.Funcs {
		if strings.HasPrefix(fn.Name, "github.com/ssotray/ssotray/oidc.") {
			ours++
		}
		for _, p := range testOnlyPackages {
			// Also as a type argument of a generic function elsewhere.
			if strings.Contains(fn.Name, p+".") || strings.Contains(fn.Name, p+"/") {
				found[p] = fn.Name
			}
		}
	}
	if ours == 0 {
		t.Fatalf("%s: no function of package oidc in its pclntab; the check would see nothing", path)
	}
	for p, fn := range found {
		t.Errorf("%s holds code of %s (test code), e.g. %s", filepath.Base(path), p, fn)
	}
}

// fyneApp is what the checks need of FyneApp.toml.
type fyneApp struct{ ID, Name, Version string }

func readFyneApp(t *testing.T) fyneApp {
	t.Helper()
	b, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	get := func(key string) string {
		m := regexp.MustCompile(`(?m)^\s*` + key + `\s*=\s*"([^"]*)"`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("FyneApp.toml has no %s", key)
		}
		return string(m[1])
	}
	return fyneApp{ID: get("ID"), Name: get("Name"), Version: get("Version")}
}

// TestPackageInstallsAndStarts makes the Linux package as `make package`
// does, unpacks it, installs it system-wide (into a DESTDIR) and for one
// user (into a HOME) with the Makefile inside it, checks every installed
// file, starts the installed binary as its autostart entry says, and
// uninstalls it again.
func TestPackageInstallsAndStarts(t *testing.T) {
	needDesktop(t)
	meta := readFyneApp(t)
	tmp := t.TempDir()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}

	// The compression level is all that XZ_OPT changes; -0 saves 20 s.
	start := time.Now()
	runMake(t, root, []string{"XZ_OPT=-0"}, "package", "BIN="+filepath.Join(tmp, "out"))
	t.Logf("make package: %v", time.Since(start).Round(100*time.Millisecond))
	dirName := fmt.Sprintf("ssotray-%s-linux-%s", meta.Version, runtime.GOARCH)
	archive := filepath.Join(tmp, "out", dirName+".tar.xz")
	if st, err := os.Stat(archive); err != nil {
		entries, _ := os.ReadDir(filepath.Join(tmp, "out"))
		t.Fatalf("no %s after make package (%v); there is %v", archive, err, entries)
	} else {
		t.Logf("%s: %d bytes", filepath.Base(archive), st.Size())
	}

	// What the archive holds: the binary needs nothing beside it.
	if out, err := exec.Command("tar", "-xJf", archive, "-C", tmp).CombinedOutput(); err != nil {
		t.Fatalf("unpacking: %v\n%s", err, out)
	}
	pkg := filepath.Join(tmp, dirName)
	local := "usr/"
	if _, err := os.Stat(filepath.Join(pkg, "usr/local")); err == nil {
		local = "usr/local/" // fyne package follows the packaging machine's /usr/local
	}
	wantFiles := []string{
		"Makefile",
		"etc/xdg/autostart/" + meta.ID + ".desktop",
		local + "bin/ssotray",
		local + "bin/ssotray-window",
		local + "share/applications/" + meta.ID + ".desktop",
		local + "share/pixmaps/" + meta.ID + ".png",
	}
	var files []string
	_ = filepath.WalkDir(pkg, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(pkg, path)
			files = append(files, rel)
		}
		return err
	})
	sort.Strings(files)
	sort.Strings(wantFiles)
	if !slices.Equal(files, wantFiles) {
		t.Errorf("the archive holds\n  %s\nwant\n  %s", strings.Join(files, "\n  "), strings.Join(wantFiles, "\n  "))
	}

	// A system-wide install, as root would do it, into a DESTDIR.
	dest := filepath.Join(tmp, "root")
	runMake(t, pkg, nil, "install", "DESTDIR="+dest)
	prefix := "/usr" // the Makefile takes /usr/local only if DESTDIR has one
	sysBin := prefix + "/bin/ssotray"
	system := installed{
		binary:    filepath.Join(dest, sysBin),
		window:    filepath.Join(dest, sysBin+"-window"),
		desktop:   filepath.Join(dest, prefix, "share/applications", meta.ID+".desktop"),
		icon:      filepath.Join(dest, prefix, "share/pixmaps", meta.ID+".png"),
		autostart: filepath.Join(dest, "etc/xdg/autostart", meta.ID+".desktop"),
		exec:      "ssotray", // found on PATH
		autoExec:  sysBin + " --background",
	}
	checkInstall(t, meta, system)
	// The shipped binaries: what they link, and that the icons are in them
	// rather than files they would look for.
	checkStatic(t, system.binary)
	checkLinkedLibraries(t, system.window)
	for path, icons := range map[string]map[string][]byte{
		system.binary: {"tray-signed-in.png": assets.TraySignedIn, "tray-signed-out.png": assets.TraySignedOut},
		system.window: {"icon.png": assets.Icon, "icon-64.png": assets.Icon64},
	} {
		checkNoTestCode(t, path)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes", filepath.Base(path), len(b))
		for name, data := range icons {
			if !bytes.Contains(b, data) {
				t.Errorf("the installed %s does not hold assets/%s", filepath.Base(path), name)
			}
		}
	}

	// One user's install, with that user's HOME.
	home := filepath.Join(tmp, "home")
	userEnv := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
	runMake(t, pkg, userEnv, "user-install")
	userBin := filepath.Join(home, ".local/bin/ssotray")
	user := installed{
		binary:    userBin,
		window:    userBin + "-window",
		desktop:   filepath.Join(home, ".local/share/applications", meta.ID+".desktop"),
		icon:      filepath.Join(home, ".local/share/icons", meta.ID+".png"),
		autostart: filepath.Join(home, ".config/autostart", meta.ID+".desktop"),
		exec:      userBin,
		autoExec:  userBin + " --background",
	}
	checkInstall(t, meta, user)

	// The installed program, as the session starts it at login: the first
	// time with no configuration (the first-run window), then with one.
	exe := strings.Fields(desktopEntry(t, user.autostart)["Exec"])
	if len(exe) == 0 {
		t.Fatalf("%s has no Exec", user.autostart)
	}
	startInstalled(t, exe, home, "")
	cfg := filepath.Join(home, ".config/ssotray/config.yaml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	// Nothing listens on port 1: the window shows all the same.
	if err := os.WriteFile(cfg, []byte("authentik:\n  server_url: http://127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	startInstalled(t, exe, home, desktopEntry(t, user.desktop)["StartupWMClass"])

	runMake(t, pkg, nil, "uninstall", "DESTDIR="+dest)
	runMake(t, pkg, userEnv, "user-uninstall")
	for _, in := range []installed{system, user} {
		for _, path := range []string{in.binary, in.window, in.desktop, in.icon, in.autostart} {
			if _, err := os.Stat(path); err == nil {
				t.Errorf("left after uninstall: %s", path)
			}
		}
	}
}

// installed names one installation's files, and the Exec lines its
// .desktop files should have.
type installed struct {
	binary, window, desktop, icon, autostart string
	exec, autoExec                           string
}

func checkInstall(t *testing.T, meta fyneApp, in installed) {
	t.Helper()
	for _, path := range []string{in.binary, in.window} {
		if st, err := os.Stat(path); err != nil || st.Mode().Perm()&0o111 == 0 {
			t.Fatalf("no executable %s: %v", path, err)
		}
	}
	version := exec.Command(in.binary, "version")
	version.Env = append(os.Environ(), "LANG=en_US.UTF-8")
	out, err := version.Output()
	if want := "ssotray " + meta.Version + "\n"; err != nil || string(out) != want {
		t.Errorf("%s version: %v %q, want %q", in.binary, err, out, want)
	}

	icon, err := os.ReadFile(in.icon)
	if err != nil {
		t.Fatalf("no icon: %v", err)
	}
	if !bytes.Equal(icon, assets.Icon) {
		t.Errorf("%s is not assets/icon.png", in.icon)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(icon)); err != nil || cfg.Width != cfg.Height || cfg.Width < 128 {
		t.Errorf("%s: %+v %v, want a square PNG of at least 128 px", in.icon, cfg, err)
	}

	validateDesktopFile(t, in.desktop)
	validateDesktopFile(t, in.autostart)
	app, auto := desktopEntry(t, in.desktop), desktopEntry(t, in.autostart)
	want := map[string]string{"Type": "Application", "Name": meta.Name, "Icon": meta.ID, "Exec": in.exec, "StartupWMClass": meta.Name}
	for k, v := range want {
		if app[k] != v {
			t.Errorf("%s: %s=%q, want %q", in.desktop, k, app[k], v)
		}
	}
	want = map[string]string{"Type": "Application", "Name": app["Name"], "Icon": app["Icon"], "Exec": in.autoExec, "X-GNOME-Autostart-enabled": "true"}
	for k, v := range want {
		if auto[k] != v {
			t.Errorf("%s: %s=%q, want %q", in.autostart, k, auto[k], v)
		}
	}
	for _, k := range []string{"Hidden", "OnlyShowIn", "NotShowIn"} {
		if v, ok := auto[k]; ok {
			t.Errorf("%s: %s=%s would keep it from starting on some desktops or all", in.autostart, k, v)
		}
	}
}

// desktopEntry returns the keys of a .desktop file's [Desktop Entry] group.
func desktopEntry(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys, group := map[string]string{}, ""
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			group = line
		case group == "[Desktop Entry]":
			k, v, _ := strings.Cut(line, "=")
			keys[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return keys
}

// validateDesktopFile runs desktop-file-validate: errors and warnings fail,
// hints are logged.
func validateDesktopFile(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath("desktop-file-validate"); err != nil {
		t.Errorf("desktop-file-validate is not installed (Debian desktop-file-utils; make deps installs it)")
		return
	}
	out, err := exec.Command("desktop-file-validate", path).CombinedOutput()
	if err != nil || regexp.MustCompile(`(?m): (error|warning): `).Match(out) {
		t.Errorf("desktop-file-validate %s: %v\n%s", path, err, out)
	} else if len(out) > 0 {
		t.Logf("desktop-file-validate: %s", out)
	}
}

// runMake runs make in dir, as a person would: without the make that runs
// the tests in its environment.
func runMake(t *testing.T, dir string, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command("make", append([]string{"--no-print-directory", "-C", dir}, args...)...)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name != "MAKEFLAGS" && name != "MFLAGS" && name != "MAKELEVEL" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// startInstalled runs argv with HOME home and waits for its window. Unless
// wmClass is empty, a window must have that WM_CLASS: the .desktop file's
// StartupWMClass, by which docks match the window with the entry.
func startInstalled(t *testing.T, argv []string, home, wmClass string) {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "SSOTRAY_") && name != "SSOTRAY_TEST_DESKTOP" ||
			name == "HOME" || strings.HasPrefix(name, "XDG_CONFIG") || name == "XDG_RUNTIME_DIR" || name == "LANG" || name == "LC_ALL" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CONFIG_DIRS="+filepath.Join(home, "etc-xdg"),
		"XDG_RUNTIME_DIR="+t.TempDir(), "LANG=en_US.UTF-8")
	var out bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = env, home
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	if waitWindow(cmd.Process.Pid, 20*time.Second) == "" {
		t.Fatalf("the installed ssotray showed no window\n%s", out.String())
	}
	if wmClass == "" {
		return
	}
	if len(findWindows(cmd.Process.Pid, "--class", "^"+regexp.QuoteMeta(wmClass)+"$")) == 0 {
		t.Errorf("no window of the installed ssotray has the WM_CLASS %q of StartupWMClass", wmClass)
	}
}

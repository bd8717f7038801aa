package main

// The Windows package as `make package-windows` makes it: the programs
// with their icon, version information and subsystem, and the
// per-user MSI, read with msitools (and, when a Wine prefix is given,
// installed and uninstalled there with msiexec). `make
// test-windows-package` builds the package and runs these with
//
//	SSOTRAY_WINDOWS_BIN   the directory with ssotray.exe, ssotray.com and ssotray-window.exe
//	SSOTRAY_WINDOWS_MSI   the installer (default: SSOTRAY_WINDOWS_BIN + ".msi")
//
// and the install under Wine also with SSOTRAY_TEST_WINE=1, WINEPREFIX (a
// prefix that runs Go programs: see .ci/wine) and SSOTRAY_WINE (wine64).

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/ssotray/ssotray/assets"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

// upgradeCode is the installer's UpgradeCode: it must never change, or a
// new version installs beside the old one instead of replacing it.
const upgradeCode = "{1AB83CB4-8835-444C-822A-C117015647CA}"

// windowsExes are the programs of the Windows package: ssotray.exe and
// ssotray-window.exe for the Start menu and autostart, ssotray.com (the
// same program as ssotray.exe) for terminals.
var windowsExes = []string{"ssotray.exe", "ssotray-window.exe", "ssotray.com"}

// subsystems are the programs' PE subsystems: GUI opens no console window
// from the Start menu or autostart; the console program is waited for by
// the shell that started it.
var subsystems = map[string]uint16{
	"ssotray.exe":        pe.IMAGE_SUBSYSTEM_WINDOWS_GUI,
	"ssotray-window.exe": pe.IMAGE_SUBSYSTEM_WINDOWS_GUI,
	"ssotray.com":        pe.IMAGE_SUBSYSTEM_WINDOWS_CUI,
}

// windowsPackage returns the directory with the .exe files and the MSI,
// or skips: they come from `make test-windows-package`.
func windowsPackage(t *testing.T) (dir, msi string) {
	t.Helper()
	dir = os.Getenv("SSOTRAY_WINDOWS_BIN")
	if dir == "" {
		t.Skip("needs the Windows package: `make test-windows-package` (SSOTRAY_WINDOWS_BIN)")
	}
	msi = os.Getenv("SSOTRAY_WINDOWS_MSI")
	if msi == "" {
		msi = filepath.Clean(dir) + ".msi"
	}
	for _, f := range []string{msi, dir} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("the Windows package is incomplete: %v", err)
		}
	}
	return dir, msi
}

// TestWindowsPackageResources: every program is 64-bit, of its subsystem,
// and carries the app's icon at the sizes Windows shows and version
// information from FyneApp.toml (ssotray.com that of ssotray.exe, which it
// is).
func TestWindowsPackageResources(t *testing.T) {
	dir, _ := windowsPackage(t)
	meta := readFyneApp(t)
	srcIcon, err := png.Decode(bytes.NewReader(assets.Icon))
	if err != nil {
		t.Fatal(err)
	}
	for _, exe := range windowsExes {
		t.Run(exe, func(t *testing.T) {
			f, res := peResources(t, filepath.Join(dir, exe))
			if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
				t.Errorf("machine %#x, want AMD64", f.Machine)
			}
			oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
			if !ok {
				t.Fatalf("no 64-bit optional header")
			}
			if oh.Subsystem != subsystems[exe] {
				t.Errorf("subsystem %d, want %d", oh.Subsystem, subsystems[exe])
			}
			checkIcons(t, res, srcIcon)
			checkVersionInfo(t, res, meta, strings.Replace(exe, ".com", ".exe", 1))
		})
	}
}

// Resource types (winuser.h).
const (
	rtIcon      = 3
	rtGroupIcon = 14
	rtVersion   = 16
)

// peResource is one leaf of a PE file's resource tree.
type peResource struct {
	typ, id, lang uint32
	data          []byte
}

// peResources opens a PE file and reads its .rsrc section: the tree of
// type, name and language directories down to the data.
func peResources(t *testing.T, path string) (*pe.File, []peResource) {
	t.Helper()
	f, err := pe.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	s := f.Section(".rsrc")
	if s == nil {
		t.Errorf("%s has no .rsrc section: no icon, no version information", filepath.Base(path))
		return f, nil
	}
	data, err := s.Data()
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	need := func(off, n uint32) {
		if uint64(off)+uint64(n) > uint64(len(data)) {
			t.Fatalf("%s: .rsrc is cut short at %d+%d of %d bytes", filepath.Base(path), off, n, len(data))
		}
	}
	var res []peResource
	var walk func(off uint32, depth int, ids [3]uint32)
	walk = func(off uint32, depth int, ids [3]uint32) {
		if depth > 2 {
			t.Fatalf("%s: the resource tree is deeper than type/name/language", filepath.Base(path))
		}
		need(off, 16)
		n := uint32(le.Uint16(data[off+12:])) + uint32(le.Uint16(data[off+14:]))
		need(off+16, 8*n)
		for i := uint32(0); i < n; i++ {
			e := off + 16 + 8*i
			ids[depth] = le.Uint32(data[e:]) // a name's offset has the high bit set: no ID we look for
			if val := le.Uint32(data[e+4:]); val&0x80000000 != 0 {
				walk(val&0x7fffffff, depth+1, ids)
			} else {
				need(val, 16)
				rva, size := le.Uint32(data[val:]), le.Uint32(data[val+4:])
				if rva < s.VirtualAddress {
					t.Fatalf("%s: resource data at RVA %#x is outside .rsrc", filepath.Base(path), rva)
				}
				need(rva-s.VirtualAddress, size)
				res = append(res, peResource{ids[0], ids[1], ids[2], data[rva-s.VirtualAddress:][:size]})
			}
		}
	}
	walk(0, 0, [3]uint32{})
	return f, res
}

// checkIcons: one icon group whose images are all there, at 16, 32, 48 and
// 256 px at least, the 256 px one assets/icon.png pixel for pixel.
func checkIcons(t *testing.T, res []peResource, src image.Image) {
	t.Helper()
	icons := map[uint32][]byte{}
	var groups [][]byte
	for _, r := range res {
		switch r.typ {
		case rtIcon:
			icons[r.id] = r.data
		case rtGroupIcon:
			groups = append(groups, r.data)
		}
	}
	if len(groups) != 1 {
		t.Fatalf("%d icon groups (RT_GROUP_ICON), want 1", len(groups))
	}
	g, le := groups[0], binary.LittleEndian
	if len(g) < 6 || le.Uint16(g[2:]) != 1 || len(g) != 6+14*int(le.Uint16(g[4:])) {
		t.Fatalf("RT_GROUP_ICON is not an icon directory: % x", g[:min(len(g), 20)])
	}
	var sizes []int
	for i := range int(le.Uint16(g[4:])) {
		e := g[6+14*i:]
		size, n, id := int(e[0]), le.Uint32(e[8:]), uint32(le.Uint16(e[12:]))
		if size == 0 {
			size = 256
		}
		sizes = append(sizes, size)
		data, ok := icons[id]
		if !ok || uint32(len(data)) != n {
			t.Errorf("the %d px icon (RT_ICON %d, %d bytes) is missing or of another size (%d bytes)", size, id, n, len(data))
			continue
		}
		if size != 256 {
			continue
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Errorf("the 256 px icon is no PNG: %v", err)
			continue
		}
		if img.Bounds() != src.Bounds() {
			t.Errorf("the 256 px icon is %v, assets/icon.png %v", img.Bounds(), src.Bounds())
			continue
		}
		diff := 0
		for y := range 256 {
			for x := range 256 {
				if color.NRGBAModel.Convert(img.At(x, y)) != color.NRGBAModel.Convert(src.At(x, y)) {
					diff++
				}
			}
		}
		if diff > 0 {
			t.Errorf("the 256 px icon differs from assets/icon.png in %d pixels", diff)
		}
	}
	for _, want := range []int{16, 32, 48, 256} {
		if !slices.Contains(sizes, want) {
			t.Errorf("no %d px icon among %v", want, sizes)
		}
	}
	t.Logf("icon sizes %v", sizes)
}

// checkVersionInfo: VS_VERSIONINFO with the version of FyneApp.toml, in
// the fixed part (what Explorer's Details tab shows as file version) and
// in the strings, and the program's name.
func checkVersionInfo(t *testing.T, res []peResource, meta fyneApp, exe string) {
	t.Helper()
	var data []byte
	for _, r := range res {
		if r.typ == rtVersion {
			if data != nil {
				t.Fatal("more than one RT_VERSION resource")
			}
			data = r.data
		}
	}
	if data == nil {
		t.Fatal("no version information (RT_VERSION)")
	}
	root, err := parseVersionBlock(data)
	if err != nil {
		t.Fatal(err)
	}
	if root.key != "VS_VERSION_INFO" || len(root.value) != 52 {
		t.Fatalf("RT_VERSION starts with %q and a value of %d bytes, want VS_VERSION_INFO and a VS_FIXEDFILEINFO", root.key, len(root.value))
	}
	le := binary.LittleEndian
	if sig := le.Uint32(root.value); sig != 0xFEEF04BD {
		t.Errorf("VS_FIXEDFILEINFO signature %#x", sig)
	}
	m := regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?`).FindStringSubmatch(meta.Version)
	if m == nil {
		t.Fatalf("FyneApp.toml's Version %q is not MAJOR.MINOR[.PATCH]", meta.Version)
	}
	var n [4]uint64
	for i, s := range m[1:] {
		n[i], _ = strconv.ParseUint(s, 10, 16)
	}
	wantMS, wantLS := uint32(n[0]<<16|n[1]), uint32(n[2]<<16|n[3])
	for name, off := range map[string]int{"file": 8, "product": 16} {
		if ms, ls := le.Uint32(root.value[off:]), le.Uint32(root.value[off+4:]); ms != wantMS || ls != wantLS {
			t.Errorf("fixed %s version %d.%d.%d.%d, want %d.%d.%d.%d", name, ms>>16, ms&0xffff, ls>>16, ls&0xffff, n[0], n[1], n[2], n[3])
		}
	}
	strs := map[string]string{}
	for _, c := range root.children {
		if c.key != "StringFileInfo" {
			continue
		}
		for _, table := range c.children {
			for _, s := range table.children {
				strs[s.key] = s.text()
			}
		}
	}
	want := map[string]string{
		"FileVersion": meta.Version, "ProductVersion": meta.Version, "ProductName": meta.Name,
		"OriginalFilename": exe, "InternalName": strings.TrimSuffix(exe, ".exe"),
	}
	for k, v := range want {
		if strs[k] != v {
			t.Errorf("version string %s is %q, want %q", k, strs[k], v)
		}
	}
	for _, k := range []string{"CompanyName", "FileDescription", "LegalCopyright"} {
		if strs[k] == "" {
			t.Errorf("version string %s is empty", k)
		}
	}
	t.Logf("version strings: %q", strs)
}

// versionBlock is one block of a VS_VERSIONINFO resource.
type versionBlock struct {
	key      string
	value    []byte
	isText   bool
	children []versionBlock
}

func (b versionBlock) text() string {
	u := make([]uint16, len(b.value)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b.value[2*i:])
	}
	return strings.TrimRight(string(utf16.Decode(u)), "\x00")
}

// parseVersionBlock reads one block: wLength, wValueLength, wType, the
// key in UTF-16 up to its 0, padding to 32 bits, the value (wValueLength
// in words for text, bytes otherwise), padding, then the children.
func parseVersionBlock(b []byte) (versionBlock, error) {
	var blk versionBlock
	le := binary.LittleEndian
	if len(b) < 6 {
		return blk, fmt.Errorf("version block of %d bytes", len(b))
	}
	length, valueLen := int(le.Uint16(b)), int(le.Uint16(b[2:]))
	blk.isText = le.Uint16(b[4:]) == 1
	if length < 6 || length > len(b) {
		return blk, fmt.Errorf("version block length %d of %d bytes", length, len(b))
	}
	b = b[:length]
	i := 6
	var key []uint16
	for ; ; i += 2 {
		if i+2 > len(b) {
			return blk, fmt.Errorf("version block key runs off its end")
		}
		c := le.Uint16(b[i:])
		if c == 0 {
			i += 2
			break
		}
		key = append(key, c)
	}
	blk.key = string(utf16.Decode(key))
	align := func(n int) int { return (n + 3) &^ 3 }
	i = align(i)
	if blk.isText {
		valueLen *= 2
	}
	if i+valueLen > len(b) {
		return blk, fmt.Errorf("%s: value runs off the block's end", blk.key)
	}
	blk.value = b[i : i+valueLen]
	for i = align(i + valueLen); i < len(b); {
		c, err := parseVersionBlock(b[i:])
		if err != nil {
			return blk, fmt.Errorf("%s: %w", blk.key, err)
		}
		blk.children = append(blk.children, c)
		i = align(i + int(le.Uint16(b[i:])))
	}
	return blk, nil
}

// msiTable is one table of an MSI as msiinfo exports it: column names and
// rows of named values.
type msiTable []map[string]string

func exportMSITable(t *testing.T, msi, table string) msiTable {
	t.Helper()
	out, err := exec.Command("msiinfo", "export", msi, table).Output()
	if err != nil {
		t.Fatalf("msiinfo export %s %s: %v", filepath.Base(msi), table, err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\r\n"), "\n")
	if len(lines) < 3 {
		t.Fatalf("msiinfo export %s: %q", table, out)
	}
	cols := strings.Split(strings.TrimRight(lines[0], "\r"), "\t")
	var rows msiTable
	for _, l := range lines[3:] {
		vals := strings.Split(strings.TrimRight(l, "\r"), "\t")
		row := map[string]string{}
		for i, c := range cols {
			if i < len(vals) {
				row[c] = vals[i]
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// where returns the rows whose column col is value.
func (m msiTable) where(col, value string) msiTable {
	var rows msiTable
	for _, r := range m {
		if r[col] == value {
			rows = append(rows, r)
		}
	}
	return rows
}

// longName is a long file name of an MSI's SHORT|long name column.
func longName(s string) string {
	if _, long, ok := strings.Cut(s, "|"); ok {
		return long
	}
	return s
}

// TestWindowsPackageInstaller reads the MSI: a per-user install (no
// elevation) of both programs side by side into
// %LocalAppData%\Programs\ssotray, a Start-menu shortcut to ssotray.exe,
// the Run value that starts the tray at sign-in in a feature of its own,
// the version from FyneApp.toml and the UpgradeCode that never changes;
// and the files inside are the built ones.
func TestWindowsPackageInstaller(t *testing.T) {
	dir, msi := windowsPackage(t)
	meta := readFyneApp(t)
	_, err := exec.LookPath("msiinfo")
	oidctest.NeedMachine(t, err == nil, "msiinfo (Debian msitools; make deps-windows installs it)")

	props := map[string]string{}
	for _, r := range exportMSITable(t, msi, "Property") {
		props[r["Property"]] = r["Value"]
	}
	msiVersion := regexp.MustCompile(`^[0-9.]+`).FindString(meta.Version)
	for k, v := range map[string]string{"ProductName": meta.Name, "ProductVersion": msiVersion, "UpgradeCode": upgradeCode, "MSIINSTALLPERUSER": "1"} {
		if props[k] != v {
			t.Errorf("property %s = %q, want %q", k, props[k], v)
		}
	}
	if v, ok := props["ALLUSERS"]; ok {
		t.Errorf("ALLUSERS = %q: a per-user install sets none", v)
	}
	// Word Count (msiinfo: Source) bit 8: no elevated privileges needed.
	out, err := exec.Command("msiinfo", "suminfo", msi).Output()
	if err != nil {
		t.Fatalf("msiinfo suminfo: %v", err)
	}
	if m := regexp.MustCompile(`(?m)^Source: (\d+)`).FindSubmatch(out); m == nil {
		t.Errorf("msiinfo suminfo has no Source (Word Count):\n%s", out)
	} else if n, _ := strconv.Atoi(string(m[1])); n&8 == 0 {
		t.Errorf("Word Count %d lacks bit 8: installing would ask for admin rights", n)
	}

	// The programs, in one component, in INSTALLDIR under
	// %LocalAppData%\Programs.
	files, components, dirs := exportMSITable(t, msi, "File"), exportMSITable(t, msi, "Component"), exportMSITable(t, msi, "Directory")
	component := ""
	for _, exe := range windowsExes {
		var row map[string]string
		for _, r := range files {
			if longName(r["FileName"]) == exe {
				row = r
			}
		}
		if row == nil {
			t.Errorf("the MSI has no file %s: %v", exe, files)
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, exe)); err != nil || strconv.FormatInt(st.Size(), 10) != row["FileSize"] {
			t.Errorf("%s: %s bytes in the MSI, %v on disk (%v)", exe, row["FileSize"], st.Size(), err)
		}
		if component != "" && row["Component_"] != component {
			t.Errorf("%s is in component %s, the other program in %s: they belong together", exe, row["Component_"], component)
		}
		component = row["Component_"]
	}
	if len(files) != len(windowsExes) {
		t.Errorf("the MSI installs %d files, want %d: %v", len(files), len(windowsExes), files)
	}
	installDir := ""
	if c := components.where("Component", component); len(c) == 1 {
		installDir = c[0]["Directory_"]
	}
	var path []string
	for d := installDir; d != "" && d != "TARGETDIR"; {
		rows := dirs.where("Directory", d)
		if len(rows) != 1 {
			t.Fatalf("directory %s is not in the Directory table", d)
		}
		if name := longName(rows[0]["DefaultDir"]); name == "." {
			path = append([]string{d}, path...) // a standard folder property
		} else {
			path = append([]string{name}, path...)
		}
		d = rows[0]["Directory_Parent"]
	}
	if got, want := strings.Join(path, `\`), `LocalAppDataFolder\Programs\`+meta.Name; got != want {
		t.Errorf("the programs go to %s, want %s", got, want)
	}

	// Which feature holds which component.
	featureOf := map[string]string{}
	for _, r := range exportMSITable(t, msi, "FeatureComponents") {
		featureOf[r["Component_"]] = r["Feature_"]
	}
	features := exportMSITable(t, msi, "Feature")
	mainFeature := featureOf[component]

	// The Start-menu shortcut: ssotray.exe, the window and the tray.
	shortcuts := exportMSITable(t, msi, "Shortcut")
	if len(shortcuts) != 1 {
		t.Fatalf("%d shortcuts, want 1: %v", len(shortcuts), shortcuts)
	}
	sc := shortcuts[0]
	if sc["Directory_"] != "ProgramMenuFolder" || sc["Target"] != "["+installDir+"]ssotray.exe" || sc["Arguments"] != "" ||
		longName(sc["Name"]) != meta.Name || featureOf[sc["Component_"]] != mainFeature {
		t.Errorf("shortcut %v: want %s in ProgramMenuFolder to [%s]ssotray.exe, no arguments, in feature %s", sc, meta.Name, installDir, mainFeature)
	}

	// The Run value, in HKCU, in a feature that can be left out.
	reg := exportMSITable(t, msi, "Registry")
	for _, r := range reg {
		if r["Root"] != "1" {
			t.Errorf("registry row %v is not in HKCU (Root 1): a per-user install writes nowhere else", r)
		}
	}
	runs := reg.where("Key", `Software\Microsoft\Windows\CurrentVersion\Run`)
	if len(runs) != 1 {
		t.Fatalf("%d Run values, want 1: %v", len(runs), reg)
	}
	if want := `"[` + installDir + `]ssotray.exe" --background`; runs[0]["Value"] != want || runs[0]["Name"] != meta.Name {
		t.Errorf("Run value %s = %s, want %s = %s", runs[0]["Name"], runs[0]["Value"], meta.Name, want)
	}
	auto := featureOf[runs[0]["Component_"]]
	if auto == "" || auto == mainFeature {
		t.Errorf("the Run value is in feature %q, the programs in %q: starting at sign-in must be a feature of its own", auto, mainFeature)
	}
	for c, f := range featureOf {
		if f == auto && c != runs[0]["Component_"] {
			t.Errorf("feature %s holds %s too: leaving autostart out would leave that out", auto, c)
		}
	}
	if rows := features.where("Feature", auto); len(rows) != 1 {
		t.Errorf("no feature %s", auto)
	} else if a, _ := strconv.Atoi(rows[0]["Attributes"]); a&16 != 0 {
		t.Errorf("feature %s cannot be left out (msidbFeatureAttributesUIDisallowAbsent)", auto)
	} else if rows[0]["Feature_Parent"] != mainFeature && rows[0]["Feature_Parent"] != "" {
		t.Errorf("feature %s's parent is %s", auto, rows[0]["Feature_Parent"])
	}
	if rows := features.where("Feature", mainFeature); len(rows) != 1 || rows[0]["Level"] != "1" {
		t.Errorf("feature %s (the programs) is not installed by default: %v", mainFeature, rows)
	}

	// What the cabinet holds is what was built.
	if _, err := exec.LookPath("msiextract"); err == nil {
		ex := t.TempDir()
		if out, err := exec.Command("msiextract", "-C", ex, msi).CombinedOutput(); err != nil {
			t.Fatalf("msiextract: %v\n%s", err, out)
		}
		for _, exe := range windowsExes {
			var got []byte
			_ = filepath.WalkDir(ex, func(p string, d os.DirEntry, err error) error {
				if err == nil && d.Name() == exe {
					got, _ = os.ReadFile(p)
				}
				return err
			})
			if want, _ := os.ReadFile(filepath.Join(dir, exe)); got == nil || !bytes.Equal(got, want) {
				t.Errorf("%s in the MSI (%d bytes) is not the built one (%d bytes)", exe, len(got), len(want))
			}
		}
	}
}

// TestWineMSIInstallAndUninstall installs the MSI for the Wine user
// with msiexec, as a person would (quietly), runs the installed program,
// and uninstalls it: twice, with and without the autostart feature (and
// the first time turns autostart off in between, as README says).
func TestWineMSIInstallAndUninstall(t *testing.T) {
	dir, msi := windowsPackage(t)
	meta := readFyneApp(t)
	wine, prefix, wineEnv := wineForPackage(t)
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(prefix, "drive_c", "users", u.Username)
	installDir := filepath.Join(home, "AppData", "Local", "Programs", meta.Name)
	winInstallDir := `C:\users\` + u.Username + `\AppData\Local\Programs\` + meta.Name + `\`
	shortcut := filepath.Join(home, "AppData", "Roaming", "Microsoft", "Windows", "Start Menu", "Programs", meta.Name+".lnk")
	const runKey = `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`

	wineCmd := func(args ...string) (string, error) {
		cmd := exec.Command(wine, args...)
		cmd.Env = wineEnv
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	msiexec := func(t *testing.T, args ...string) {
		t.Helper()
		log := filepath.Join(t.TempDir(), "msiexec.log")
		argv := append(append([]string{"msiexec"}, args...), "/qn", "/l*", log)
		out, err := wineCmd(argv...)
		if err != nil && strings.Contains(out, "ShellExecuteEx failed") {
			// Once in a while Wine fails to start msiexec at all (seen
			// once in ten runs, right after an uninstall): msiexec never
			// ran, so once more.
			t.Logf("wine could not start msiexec, once more: %s", out)
			out, err = wineCmd(argv...)
		}
		if err != nil {
			b, _ := os.ReadFile(log)
			t.Fatalf("msiexec %s: %v\n%s\n%s", strings.Join(args, " "), err, out, tail(string(b), 3000))
		}
	}
	runValue := func() string {
		out, err := wineCmd("reg", "query", runKey, "/v", meta.Name)
		if err != nil {
			return ""
		}
		if m := regexp.MustCompile(`(?m)` + regexp.QuoteMeta(meta.Name) + `\s+REG_SZ\s+(.*?)\s*$`).FindStringSubmatch(out); m != nil {
			return m[1]
		}
		return ""
	}
	// The values the MSI keeps under its own key (its components' key paths).
	ownValues := func() string {
		out, _ := wineCmd("reg", "query", `HKCU\Software\`+meta.Name)
		return out
	}
	installed := false
	t.Cleanup(func() {
		if installed { // a failed test leaves no tray in the prefix's autostart
			_, _ = wineCmd("msiexec", "/x", msi, "/qn")
		}
	})

	for _, tc := range []struct {
		name      string
		args      []string
		autostart bool
	}{
		{"every feature", nil, true},
		{"without autostart", []string{"ADDLOCAL=Main"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msiexec(t, append([]string{"/i", msi}, tc.args...)...)
			installed = true
			for _, exe := range windowsExes {
				got, err := os.ReadFile(filepath.Join(installDir, exe))
				want, _ := os.ReadFile(filepath.Join(dir, exe))
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("installed %s: %v, %d bytes, want the built %d", exe, err, len(got), len(want))
				}
			}
			if _, err := os.Stat(shortcut); err != nil {
				t.Errorf("no Start-menu shortcut: %v", err)
			}
			want := ""
			if tc.autostart {
				want = `"` + winInstallDir + `ssotray.exe" --background`
			}
			if got := runValue(); got != want {
				t.Errorf("Run value %q, want %q", got, want)
			}
			if got := ownValues(); !strings.Contains(got, "InstallDir") {
				t.Errorf("no InstallDir under HKCU\\Software\\%s after install: %q", meta.Name, got)
			}
			// The installed program runs (under Wine a GUI program's
			// output reaches the terminal).
			for _, exe := range []string{"ssotray.exe", "ssotray.com"} {
				if out, err := wineCmd(filepath.Join(installDir, exe), "version"); err != nil || !strings.Contains(out, "ssotray "+meta.Version) {
					t.Errorf("the installed %s version: %v\n%s", exe, err, out)
				}
			}

			if tc.autostart {
				// Autostart off afterwards, as README says: the feature removed.
				msiexec(t, "/i", msi, "REMOVE=Autostart")
				if got := runValue(); got != "" {
					t.Errorf("REMOVE=Autostart left the Run value %q", got)
				}
				if _, err := os.Stat(filepath.Join(installDir, windowsExes[0])); err != nil {
					t.Errorf("REMOVE=Autostart removed the program: %v", err)
				}
			}

			msiexec(t, "/x", msi)
			installed = false
			for _, p := range []string{installDir, shortcut} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("left after uninstall: %s", p)
				}
			}
			if got := ownValues(); strings.Contains(got, "InstallDir") || strings.Contains(got, "StartMenuShortcut") {
				t.Errorf("left after uninstall under HKCU\\Software\\%s: %q", meta.Name, got)
			}
			if got := runValue(); got != "" {
				t.Errorf("the Run value is left after uninstall: %q", got)
			}
		})
	}

	// A newer MSI replaces an older one (MajorUpgrade, the same
	// UpgradeCode): one entry in Apps, the newer version.
	t.Run("upgrade", func(t *testing.T) {
		_, err := exec.LookPath("wixl")
		oidctest.NeedMachine(t, err == nil, "wixl (Debian msitools; make deps-windows installs it)")
		old := filepath.Join(t.TempDir(), "old.msi")
		wxs, err := filepath.Abs(filepath.Join("..", "..", "assets", "windows", "ssotray.wxs"))
		if err != nil {
			t.Fatal(err)
		}
		// As make package-windows builds it, from the same programs.
		build := exec.Command("wixl", "-a", "x64", "-D", "Version=0.0.1", "-D", "Name="+meta.Name, "-D", "Website=https://example.invalid",
			"-D", "SourceDir=.", "-o", old, wxs)
		build.Dir = dir
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building an older MSI: %v\n%s", err, out)
		}
		// Apps' entries (Wine keeps a per-user install's under HKLM).
		entries := func() []string {
			var versions []string
			for _, hive := range []string{"HKCU", "HKLM"} {
				out, _ := wineCmd("reg", "query", hive+`\Software\Microsoft\Windows\CurrentVersion\Uninstall`, "/s")
				for _, block := range strings.Split(out, "\n\n") {
					if regexp.MustCompile(`DisplayName\s+REG_SZ\s+` + regexp.QuoteMeta(meta.Name) + `\s*(\n|$)`).MatchString(block) {
						if m := regexp.MustCompile(`DisplayVersion\s+REG_SZ\s+(\S+)`).FindStringSubmatch(block); m != nil {
							versions = append(versions, m[1])
						}
					}
				}
			}
			return versions
		}
		msiexec(t, "/i", old)
		installed = true
		if got := entries(); !slices.Equal(got, []string{"0.0.1"}) {
			t.Fatalf("after installing 0.0.1, Apps lists versions %v", got)
		}
		msiexec(t, "/i", msi)
		want := regexp.MustCompile(`^[0-9.]+`).FindString(meta.Version)
		if got := entries(); !slices.Equal(got, []string{want}) {
			t.Errorf("after installing %s over 0.0.1, Apps lists versions %v, want [%s]", want, got, want)
		}
		if got := runValue(); got == "" {
			t.Error("no Run value after the upgrade")
		}
		msiexec(t, "/x", msi)
		installed = false
		if got := entries(); len(got) != 0 {
			t.Errorf("after uninstalling, Apps lists versions %v", got)
		}
	})
}

// wineForPackage returns the wine64, the prefix and the environment to run
// it with, or skips: the prefix comes from `make test-windows`.
func wineForPackage(t *testing.T) (wine, prefix string, env []string) {
	t.Helper()
	if os.Getenv("SSOTRAY_TEST_WINE") != "1" {
		t.Skip("runs under Wine: `make test-windows` (SSOTRAY_TEST_WINE=1, WINEPREFIX, SSOTRAY_WINE)")
	}
	wine, prefix = os.Getenv("SSOTRAY_WINE"), os.Getenv("WINEPREFIX")
	_, errWine := exec.LookPath(wine)
	_, errPrefix := os.Stat(filepath.Join(prefix, "system.reg"))
	oidctest.NeedMachine(t, wine != "" && errWine == nil && prefix != "" && errPrefix == nil,
		fmt.Sprintf("Wine (SSOTRAY_WINE=%q) and a prefix (WINEPREFIX=%q)", wine, prefix))
	env = append(os.Environ(), "WINEPREFIX="+prefix, "WINEDEBUG=-all",
		"WINEDLLOVERRIDES=mscoree,mshtml,winemenubuilder.exe=", "DISPLAY=", "WAYLAND_DISPLAY=")
	return wine, prefix, env
}

// TestWineConsoleAttach runs app/winconsole's Windows tests under Wine in a
// terminal (script(1) gives Wine a pty, so the test has a console): a
// child process without a console and without standard handles, as
// ssotray.exe is when cmd.exe starts it, must attach to that console and
// write to it, and a child whose stdout is a pipe must keep the pipe.
// Under Wine a GUI program's output reaches the Unix terminal anyway, so
// running ssotray.exe itself would not show this.
func TestWineConsoleAttach(t *testing.T) {
	wine, _, env := wineForPackage(t)
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatalf("script(1) (Debian bsdutils) is missing: %v", err)
	}
	exe := filepath.Join(t.TempDir(), "winconsole.test.exe")
	build := exec.Command("go", "test", "-c", "-o", exe, "../../app/winconsole")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building app/winconsole's tests for Windows: %v\n%s", err, out)
	}
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	cmd := exec.Command("script", "-qec", quote(wine)+" "+quote(exe)+" -test.v -test.count=1", "/dev/null")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	// The console's escape sequences and line wraps aside.
	text := regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\r`).ReplaceAllString(string(out), "")
	if err != nil || !strings.Contains(text, "\nPASS") {
		t.Fatalf("app/winconsole's tests under Wine: %v\n%s", err, text)
	}
	for _, test := range []string{"TestAttachWithoutHandles", "TestAttachKeepsAPipe", "TestValidHandle", "TestAttachDecides"} {
		if !strings.Contains(text, "--- PASS: "+test+" ") {
			t.Errorf("%s did not pass under Wine:\n%s", test, text)
		}
	}
	// With a console, the children attached (not "no parent console").
	if n := strings.Count(strings.ReplaceAll(text, "\n", ""), "Action:attached to the parent's console"); n != 2 {
		t.Errorf("%d of 2 children attached to the console:\n%s", n, text)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

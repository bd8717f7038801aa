// Command winres writes the Windows resources of ssotray.exe and
// ssotray-window.exe: an icon (.ico, from assets/icon.png at the sizes
// Windows shows) and one resource script (.rc) for each program, with
// version information from FyneApp.toml. `make package-windows` compiles
// each script with mingw-w64's windres into the rsrc_windows_amd64.syso
// that go build links into that program.
//
//	go run ./cmd/winres -app FyneApp.toml -out DIR
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/BurntSushi/toml"
	"golang.org/x/image/draw"
)

// Program is one .exe and what its version information says of it.
type Program struct {
	Name        string // the file name without .exe
	Description string // FileDescription: Explorer's and Task Manager's name for it
}

// Programs are the two programs of ssotray for Windows.
var Programs = []Program{
	{Name: "ssotray", Description: "ssotray: sign-in companion for Authentik and Navidrome"},
	{Name: "ssotray-window", Description: "ssotray window: sign-in companion for Authentik and Navidrome"},
}

// IconSizes are the icon's sizes in pixels: the small icon and the list
// views (16, 20, 24 at 100 to 150 %), the large icon and the Start menu
// (32, 40, 48, 64), and the big views (256, as PNG).
var IconSizes = []int{16, 20, 24, 32, 40, 48, 64, 256}

func main() {
	app := flag.String("app", "FyneApp.toml", "the app's FyneApp.toml")
	out := flag.String("out", "", "the directory to write icon.ico and PROGRAM.rc into")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: winres -app FyneApp.toml -out DIR")
		os.Exit(2)
	}
	if err := run(*app, *out); err != nil {
		fmt.Fprintln(os.Stderr, "winres:", err)
		os.Exit(1)
	}
}

func run(appFile, out string) error {
	meta, err := ReadApp(appFile)
	if err != nil {
		return err
	}
	iconPNG, err := os.ReadFile(filepath.Join(filepath.Dir(appFile), meta.Details.Icon))
	if err != nil {
		return err
	}
	src, err := png.Decode(bytes.NewReader(iconPNG))
	if err != nil {
		return fmt.Errorf("%s: %w", meta.Details.Icon, err)
	}
	ico, err := ICO(src, IconSizes)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "icon.ico"), ico, 0o644); err != nil {
		return err
	}
	for _, p := range Programs {
		rc, err := RC(meta, p, "icon.ico")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, p.Name+".rc"), rc, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// App is what winres reads of FyneApp.toml.
type App struct {
	Website string
	Details struct {
		Icon, Name, ID, Version string
	}
}

// ReadApp reads and checks FyneApp.toml.
func ReadApp(path string) (App, error) {
	var a App
	if _, err := toml.DecodeFile(path, &a); err != nil {
		return a, err
	}
	if a.Details.Name == "" || a.Details.Version == "" || a.Details.Icon == "" {
		return a, fmt.Errorf("%s: Details needs Name, Version and Icon", path)
	}
	if _, err := FileVersion(a.Details.Version); err != nil {
		return a, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// FileVersion is the four numbers of a VERSIONINFO's FILEVERSION for a
// version such as 1.2.3 or 1.2.3-rc1 (the fourth is 0).
func FileVersion(v string) ([4]uint16, error) {
	var n [4]uint16
	m := regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$`).FindStringSubmatch(v)
	if m == nil {
		return n, fmt.Errorf("version %q is not MAJOR.MINOR[.PATCH]", v)
	}
	for i, s := range m[1:] {
		if s == "" {
			continue
		}
		x, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return n, fmt.Errorf("version %q: %s is over 65535", v, s)
		}
		n[i] = uint16(x)
	}
	return n, nil
}

var rcTemplate = template.Must(template.New("rc").Funcs(template.FuncMap{"q": rcString}).Parse(
	`// Written by cmd/winres from FyneApp.toml; make package-windows compiles it.
1 ICON {{q .Icon}}

1 VERSIONINFO
FILEVERSION {{.Fixed}}
PRODUCTVERSION {{.Fixed}}
FILEFLAGSMASK 0x3f
FILEFLAGS 0x0
FILEOS 0x40004
FILETYPE 0x1
FILESUBTYPE 0x0
BEGIN
	BLOCK "StringFileInfo"
	BEGIN
		BLOCK "040904b0"
		BEGIN
			VALUE "CompanyName", {{q .Company}}
			VALUE "FileDescription", {{q .Program.Description}}
			VALUE "FileVersion", {{q .Version}}
			VALUE "InternalName", {{q .Program.Name}}
			VALUE "LegalCopyright", {{q .Copyright}}
			VALUE "OriginalFilename", {{q .Exe}}
			VALUE "ProductName", {{q .Product}}
			VALUE "ProductVersion", {{q .Version}}
			VALUE "Comments", {{q .Website}}
		END
	END
	BLOCK "VarFileInfo"
	BEGIN
		VALUE "Translation", 0x409, 1200
	END
END
`))

// RC is the resource script of one program.
func RC(a App, p Program, icon string) ([]byte, error) {
	n, err := FileVersion(a.Details.Version)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = rcTemplate.Execute(&b, map[string]any{
		"Icon":      icon,
		"Fixed":     fmt.Sprintf("%d,%d,%d,%d", n[0], n[1], n[2], n[3]),
		"Version":   a.Details.Version,
		"Company":   a.Details.Name + " authors",
		"Copyright": "Copyright (C) the " + a.Details.Name + " authors",
		"Product":   a.Details.Name,
		"Website":   a.Website,
		"Program":   p,
		"Exe":       p.Name + ".exe",
	})
	return b.Bytes(), err
}

// rcString quotes s as a resource-script string: "" for a quote, and
// nothing that would need the code page (windres reads the script as
// Latin-1 by default).
func rcString(s string) (string, error) {
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return "", fmt.Errorf("%q: only printable ASCII in a resource string", s)
		}
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`, nil
}

// ICO encodes src, scaled to each size, as a Windows icon: sizes under 256
// as 32-bit DIBs (every Windows version reads those), 256 as PNG.
func ICO(src image.Image, sizes []int) ([]byte, error) {
	if len(sizes) == 0 {
		return nil, errors.New("no icon sizes")
	}
	var images [][]byte
	for _, size := range sizes {
		if size < 1 || size > 256 {
			return nil, fmt.Errorf("icon size %d is not 1 to 256", size)
		}
		img := image.NewNRGBA(image.Rect(0, 0, size, size))
		if src.Bounds().Dx() == size && src.Bounds().Dy() == size {
			draw.Draw(img, img.Bounds(), src, src.Bounds().Min, draw.Src)
		} else {
			draw.CatmullRom.Scale(img, img.Bounds(), src, src.Bounds(), draw.Src, nil)
		}
		var data []byte
		if size == 256 {
			var b bytes.Buffer
			if err := png.Encode(&b, img); err != nil {
				return nil, err
			}
			data = b.Bytes()
		} else {
			data = dib(img)
		}
		images = append(images, data)
	}
	// ICONDIR, then an ICONDIRENTRY for each image, then the images.
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write(le.AppendUint16(nil, 0))
	b.Write(le.AppendUint16(nil, 1)) // an icon
	b.Write(le.AppendUint16(nil, uint16(len(sizes))))
	offset := 6 + 16*len(sizes)
	for i, size := range sizes {
		dim := byte(size) // 256 is 0
		b.Write([]byte{dim, dim, 0, 0})
		b.Write(le.AppendUint16(nil, 1))  // colour planes
		b.Write(le.AppendUint16(nil, 32)) // bits per pixel
		b.Write(le.AppendUint32(nil, uint32(len(images[i]))))
		b.Write(le.AppendUint32(nil, uint32(offset)))
		offset += len(images[i])
	}
	for _, data := range images {
		b.Write(data)
	}
	return b.Bytes(), nil
}

// dib is img as an icon's device-independent bitmap: a BITMAPINFOHEADER of
// twice the height, the BGRA rows bottom up, then the AND mask (all 0: the
// alpha channel says what is transparent).
func dib(img *image.NRGBA) []byte {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	maskRow := (w + 31) / 32 * 4
	le := binary.LittleEndian
	b := make([]byte, 0, 40+w*h*4+maskRow*h)
	b = le.AppendUint32(b, 40)
	b = le.AppendUint32(b, uint32(w))
	b = le.AppendUint32(b, uint32(2*h))
	b = le.AppendUint16(b, 1)  // planes
	b = le.AppendUint16(b, 32) // bits per pixel
	b = le.AppendUint32(b, 0)  // BI_RGB
	b = le.AppendUint32(b, uint32(w*h*4+maskRow*h))
	b = append(b, make([]byte, 16)...) // resolution, palette
	for y := h - 1; y >= 0; y-- {
		for x := 0; x < w; x++ {
			p := img.Pix[img.PixOffset(x, y):]
			b = append(b, p[2], p[1], p[0], p[3])
		}
	}
	return append(b, make([]byte, maskRow*h)...)
}

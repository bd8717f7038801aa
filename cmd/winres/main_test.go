package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestICO(t *testing.T) {
	// A picture whose corners differ, so a flipped or mirrored image shows.
	src := image.NewNRGBA(image.Rect(0, 0, 256, 256))
	for y := 0; y < 256; y++ {
		for x := 0; x < 256; x++ {
			c := color.NRGBA{A: 255}
			if x < 128 {
				c.R = 255
			}
			if y < 128 {
				c.G = 255
			} else if x >= 128 {
				c.A = 0 // bottom right: transparent
			}
			src.SetNRGBA(x, y, c)
		}
	}
	ico, err := ICO(src, []int{16, 48, 256})
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if le.Uint16(ico[0:]) != 0 || le.Uint16(ico[2:]) != 1 || le.Uint16(ico[4:]) != 3 {
		t.Fatalf("ICONDIR % x", ico[:6])
	}
	for i, size := range []int{16, 48, 256} {
		e := ico[6+16*i:]
		w, bpp, n, off := int(e[0]), le.Uint16(e[6:]), le.Uint32(e[8:]), le.Uint32(e[12:])
		if w == 0 {
			w = 256
		}
		if w != size || int(e[1]) != size%256 || bpp != 32 || int(off+n) > len(ico) {
			t.Fatalf("entry %d: %d px, %d bpp, %d bytes at %d", i, w, bpp, n, off)
		}
		data := ico[off : off+n]
		at := func(x, y int) color.NRGBA { // from the image as stored
			if size == 256 {
				img, err := png.Decode(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			}
			if le.Uint32(data) != 40 || int(le.Uint32(data[8:])) != 2*size || le.Uint16(data[14:]) != 32 {
				t.Fatalf("%d px: BITMAPINFOHEADER % x", size, data[:40])
			}
			p := data[40+((size-1-y)*size+x)*4:] // rows bottom up, BGRA
			return color.NRGBA{R: p[2], G: p[1], B: p[0], A: p[3]}
		}
		if size < 256 {
			if want := 40 + size*size*4 + (size+31)/32*4*size; len(data) != want {
				t.Errorf("%d px: %d bytes, want %d (pixels and AND mask)", size, len(data), want)
			}
		}
		q := size / 4
		for _, c := range []struct {
			x, y int
			want color.NRGBA
		}{
			{q, q, color.NRGBA{R: 255, G: 255, A: 255}},
			{3 * q, q, color.NRGBA{G: 255, A: 255}},
			{q, 3 * q, color.NRGBA{R: 255, A: 255}},
		} {
			if got := at(c.x, c.y); got != c.want {
				t.Errorf("%d px: pixel (%d,%d) is %v, want %v", size, c.x, c.y, got, c.want)
			}
		}
		if got := at(3*q, 3*q); got.A != 0 {
			t.Errorf("%d px: the transparent corner has alpha %d", size, got.A)
		}
	}
	if _, err := ICO(src, []int{512}); err == nil {
		t.Error("a 512 px icon was accepted")
	}
}

func TestFileVersion(t *testing.T) {
	for v, want := range map[string][4]uint16{"0.1.0": {0, 1, 0, 0}, "1.2": {1, 2, 0, 0}, "10.20.30-rc1": {10, 20, 30, 0}, "2.0.1+git": {2, 0, 1, 0}} {
		if got, err := FileVersion(v); err != nil || got != want {
			t.Errorf("FileVersion(%q) = %v, %v; want %v", v, got, err, want)
		}
	}
	for _, v := range []string{"", "1", "v1.2.3", "1.2.3.4", "1.70000.0", "latest"} {
		if got, err := FileVersion(v); err == nil {
			t.Errorf("FileVersion(%q) = %v, want an error", v, got)
		}
	}
}

func TestRCFromFyneApp(t *testing.T) {
	meta, err := ReadApp("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := RC(meta, Programs[1], "icon.ico")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := FileVersion(meta.Details.Version)
	for _, want := range []string{
		`1 ICON "icon.ico"`,
		fmt.Sprintf("FILEVERSION %d,%d,%d,%d", n[0], n[1], n[2], n[3]),
		`VALUE "FileVersion", "` + meta.Details.Version + `"`,
		`VALUE "ProductVersion", "` + meta.Details.Version + `"`,
		`VALUE "ProductName", "` + meta.Details.Name + `"`,
		`VALUE "OriginalFilename", "ssotray-window.exe"`,
		`VALUE "InternalName", "ssotray-window"`,
	} {
		if !strings.Contains(string(rc), want) {
			t.Errorf("the resource script lacks %s:\n%s", want, rc)
		}
	}
	if _, err := rcString(`a "b"`); err != nil {
		t.Error(err)
	}
	if q, _ := rcString(`a "b"`); q != `"a ""b"""` {
		t.Errorf("rcString: %s", q)
	}
	if _, err := rcString("caf\u00e9"); err == nil {
		t.Error("rcString took a non-ASCII string")
	}
}

func TestRunWritesEverything(t *testing.T) {
	out := t.TempDir()
	if err := run("../../FyneApp.toml", out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"icon.ico", "ssotray.rc", "ssotray-window.rc"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

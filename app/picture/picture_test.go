package picture_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"testing"

	"github.com/ssotray/ssotray/app/picture"
)

// pngOf is a real w×h PNG.
func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Bomb is a tiny PNG (a 1×1 picture) whose header says w×h, with a valid
// checksum, as an attacker would make it: a decoder would allocate for w×h.
func Bomb(t *testing.T, w, h uint32) []byte {
	t.Helper()
	b := pngOf(t, 1, 1)
	// Signature (8), IHDR length (4), "IHDR" (4), then width and height.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestCheck(t *testing.T) {
	bomb := Bomb(t, 20000, 20000)
	if len(bomb) > 200 {
		t.Fatalf("the bomb is %d bytes, meant to be tiny", len(bomb))
	}
	if c, _, err := image.DecodeConfig(bytes.NewReader(bomb)); err != nil || c.Width != 20000 {
		t.Fatalf("the bomb's header does not read as 20000 wide: %v %v", c, err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want error // nil: accepted
	}{
		{"small PNG", pngOf(t, 64, 64), nil},
		{"exactly at the limit", pngOf(t, 1024, 1024), nil},
		{"one row more", pngOf(t, 1024, 1025), picture.ErrTooManyPixels},
		{"tiny PNG declaring 20000×20000", bomb, picture.ErrTooManyPixels},
		{"long and thin", Bomb(t, 1<<20+1, 1), picture.ErrTooManyPixels},
		{"SVG", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="99999" height="99999"/>`), nil},
		{"HTML", []byte(`<html><body>hello</body></html>`), picture.ErrUnknownFormat},
		{"unknown bytes", bytes.Repeat([]byte{0x42}, 100), picture.ErrUnknownFormat},
		{"empty", nil, picture.ErrUnknownFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := picture.Check(tc.data, picture.MaxPixels)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Check = %v, want %v", err, tc.want)
			}
		})
	}
	// A truncated header is refused, whatever its kind.
	if err := picture.Check(pngOf(t, 8, 8)[:20], picture.MaxPixels); err == nil {
		t.Error("a truncated PNG was accepted")
	}
}

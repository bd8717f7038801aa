// Package picture vets images that come from elsewhere (avatars and icons
// from Authentik's API) before anything decodes them. A byte limit alone is
// not enough: a few hundred KiB of PNG can declare 20000×20000 pixels and
// decode to more than a GiB, which on a kiosk ends in a crash. Check reads
// only the header, so a refused picture costs nothing to look at.
package picture

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // the formats Check accepts register their headers
	_ "image/jpeg"
	_ "image/png"
)

// MaxPixels is the most pixels an avatar or an icon may have: 1024×1024,
// 4 MiB once decoded. Both are shown at well under 200 points.
const MaxPixels = 1024 * 1024

var (
	// ErrTooManyPixels: the header declares more pixels than allowed.
	ErrTooManyPixels = errors.New("the picture has more pixels than allowed")
	// ErrUnknownFormat: neither PNG, JPEG, GIF nor SVG.
	ErrUnknownFormat = errors.New("the picture is not PNG, JPEG, GIF or SVG")
)

// Check accepts PNG, JPEG and GIF data whose header declares at most
// maxPixels pixels (and no side of 0), and SVG, which Fyne rasterises at the
// size it is shown, so its declared size does not matter.
func Check(data []byte, maxPixels int) error {
	if isSVG(data) {
		return nil
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if errors.Is(err, image.ErrFormat) {
		return ErrUnknownFormat
	}
	if err != nil {
		return fmt.Errorf("the %s picture cannot be read: %w", format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return fmt.Errorf("%w (%s of %d×%d; the limit is %d pixels)", ErrTooManyPixels, format, cfg.Width, cfg.Height, maxPixels)
	}
	return nil
}

// isSVG looks for an <svg element near the start, after any XML
// declaration, comments or doctype.
func isSVG(data []byte) bool {
	head := data[:min(len(data), 4096)]
	head = bytes.TrimLeft(head, "\ufeff \t\r\n")
	return bytes.HasPrefix(head, []byte("<")) && bytes.Contains(bytes.ToLower(head), []byte("<svg"))
}

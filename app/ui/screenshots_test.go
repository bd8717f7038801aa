package ui

import (
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/ssotray/ssotray/app"
)

// TestScreenshots draws every screen at the window's size and at the
// kiosk's full screen with Fyne's software renderer and the real theme, and
// saves them as window-*.png and kiosk-*.png in screens/ of the artifacts
// directory (SSOTRAY_ARTIFACTS, default bin/artifacts; a directory of their
// own, as the end-to-end tests save what the real window shows under like
// names); the README shows copies.
func TestScreenshots(t *testing.T) {
	dir := artifactsDir(t, "screens")
	sizes := []struct {
		prefix string
		kiosk  bool
		size   fyne.Size
	}{
		{"window", false, windowSize},
		{"kiosk", true, kioskSize},
	}
	screens := []struct {
		name string
		show func(t *testing.T, core *fakeCore, u *UI)
		// sparse: a screen of a few lines, which covers less than 2 % of
		// the kiosk's picture.
		sparse bool
	}{
		{"starting", func(_ *testing.T, core *fakeCore, _ *UI) { core.set(app.Status{State: app.Starting}) }, true},
		{"signin", func(*testing.T, *fakeCore, *UI) {}, false},
		{"waiting", func(t *testing.T, core *fakeCore, u *UI) {
			started := make(chan struct{})
			core.signIn = func(ctx context.Context, _ app.Method, opts app.SignInOptions) error {
				opts.ShowURL("http://127.0.0.1:38111/")
				close(started)
				<-ctx.Done() // until the test ends and closes the UI
				return ctx.Err()
			}
			core.tap(u.signIn.authentik)
			<-started
			// The test driver runs an animation as a single last frame, at
			// its start: start the bar again now that it has its size, or
			// the software painter gets a bar of negative width.
			core.ui(func() {
				u.waiting.progress.Stop()
				u.waiting.progress.Start()
			})
		}, false},
		{"signed-in", func(t *testing.T, core *fakeCore, u *UI) {
			st := aliceStatus()
			st.Renews = true
			if u.opts.Kiosk {
				st.SignInAgainAt = testNow.Add(time.Hour) // the kiosk's session limit
			}
			core.set(st)
		}, false},
	}
	for _, sz := range sizes {
		for _, sc := range screens {
			name := sz.prefix + "-" + sc.name
			t.Run(name, func(t *testing.T) {
				a := test.NewTempApp(t)
				a.Settings().SetTheme(theme.DefaultTheme()) // what people see, not the test theme
				core := newFakeCore(app.Authentik, app.Navidrome)
				core.apps = someApps(6)
				u := newTestUIOn(t, a, core, Options{Kiosk: sz.kiosk})
				u.win.Resize(sz.size)
				sc.show(t, core, u)
				u.win.Content().Refresh()

				var img image.Image
				core.ui(func() { img = u.win.Canvas().Capture() })
				if got := img.Bounds().Size(); got != image.Pt(int(sz.size.Width), int(sz.size.Height)) {
					t.Errorf("picture is %v, want %v", got, sz.size)
				}
				least := 0.02
				if sc.sparse {
					least = 0.005
				}
				if drawn := drawnShare(img); drawn < least {
					t.Errorf("only %.1f %% of the picture differs from the background: blank?", drawn*100)
				}
				savePNG(t, filepath.Join(dir, name+".png"), img)
			})
		}
	}
}

// drawnShare is the share of pixels that differ from the top left one (the
// background).
func drawnShare(img image.Image) float64 {
	b := img.Bounds()
	bg := colorKey(img, b.Min.X, b.Min.Y)
	drawn := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if colorKey(img, x, y) != bg {
				drawn++
			}
		}
	}
	return float64(drawn) / float64(b.Dx()*b.Dy())
}

func colorKey(img image.Image, x, y int) [4]uint32 {
	r, g, b, a := img.At(x, y).RGBA()
	return [4]uint32{r, g, b, a}
}

// artifactsDir is sub in SSOTRAY_ARTIFACTS, or in bin/artifacts of the
// repository.
func artifactsDir(t *testing.T, sub string) string {
	t.Helper()
	dir := os.Getenv("SSOTRAY_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "bin", "artifacts")
	}
	dir = filepath.Join(dir, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func savePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

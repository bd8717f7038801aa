package ui

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/ssotray/ssotray/app"
)

// kioskSize is the full screen the kiosk layout is made for.
var kioskSize = fyne.NewSize(1280, 800)

// newSizedUI is a UI whose window has size; a kiosk's full screen is
// kioskSize (the test driver does not resize a full-screen window).
func newSizedUI(t *testing.T, core *fakeCore, kiosk bool, size fyne.Size) *UI {
	t.Helper()
	u := newTestUI(t, core, Options{Kiosk: kiosk})
	core.ui(func() {
		u.win.Resize(size)
		u.win.Content().Refresh()
	})
	return u
}

// Every screen keeps its content at most its width and in the middle: the
// window is filled as before, the kiosk's full screen is not stretched.
func TestContentWidthFitsTheScreen(t *testing.T) {
	inWindow := windowSize.Width - 2*theme.Padding() // inside the canvas's padding
	tests := []struct {
		screen string
		size   fyne.Size
		width  float32
	}{
		{"signin", windowSize, inWindow},
		{"signin", kioskSize, signInWidth},
		{"waiting", windowSize, inWindow},
		{"waiting", kioskSize, signInWidth},
		{"signed-in", windowSize, inWindow},
		{"signed-in", kioskSize, signedInWidth},
	}
	for _, tt := range tests {
		t.Run(tt.screen+" at "+sizeName(tt.size), func(t *testing.T) {
			core := newFakeCore(app.Authentik, app.Navidrome)
			core.apps = someApps(6)
			if tt.screen == "signed-in" {
				core.status = aliceStatus()
			}
			u := newSizedUI(t, core, tt.size == kioskSize, tt.size)
			if tt.screen == "waiting" {
				waitOnSignIn(t, core, u)
			}
			boxes := centredBoxes(u.win.Content())
			if len(boxes) == 0 {
				t.Fatal("the screen has no centred content")
			}
			for _, box := range boxes {
				content := box.Objects[0]
				w, x := content.Size().Width, content.Position().X
				if math.Abs(float64(w-tt.width)) > 0.5 {
					t.Errorf("content %v wide, want %v", w, tt.width)
				}
				if left, right := x, box.Size().Width-x-w; math.Abs(float64(left-right)) > 0.5 {
					t.Errorf("content not centred: %v on the left, %v on the right", left, right)
				}
				if got := box.Size().Width; math.Abs(float64(got-(tt.size.Width-2*theme.Padding()))) > 0.5 {
					t.Errorf("the centring spans %v, not the whole screen", got)
				}
			}
		})
	}
}

// centredBoxes are the containers laid out by centred under o.
func centredBoxes(o fyne.CanvasObject) []*fyne.Container {
	var out []*fyne.Container
	var children []fyne.CanvasObject
	switch c := o.(type) {
	case *fyne.Container:
		if _, ok := c.Layout.(centred); ok {
			out = append(out, c)
		}
		children = c.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(c).Objects()
	}
	for _, ch := range children {
		out = append(out, centredBoxes(ch)...)
	}
	return out
}

func sizeName(s fyne.Size) string {
	if s == kioskSize {
		return "kiosk 1280x800"
	}
	return "window 480x640"
}

// waitOnSignIn starts a sign-in with Authentik that runs until the UI closes.
func waitOnSignIn(t *testing.T, core *fakeCore, u *UI) {
	t.Helper()
	started := make(chan struct{})
	core.signIn = func(ctx context.Context, _ app.Method, opts app.SignInOptions) error {
		opts.ShowURL("http://127.0.0.1:38111/")
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}
	core.tap(u.signIn.authentik)
	<-started
	if u.win.Content() != u.waiting.root {
		t.Fatal("the waiting screen is not shown")
	}
}

// The kiosk's tiles are larger and fill its content width four to a row.
func TestKioskTiles(t *testing.T) {
	tests := []struct {
		name    string
		kiosk   bool
		size    fyne.Size
		cell    fyne.Size
		columns int
	}{
		{"window", false, windowSize, windowTiles.cell, 3},
		{"kiosk", true, kioskSize, kioskTiles.cell, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := newFakeCore(app.Authentik)
			core.apps = someApps(6)
			core.status = aliceStatus()
			u := newSizedUI(t, core, tt.kiosk, tt.size)
			tiles := u.signedIn.tiles
			if got := tiles[0].Size(); got != tt.cell {
				t.Errorf("tile %v, want %v", got, tt.cell)
			}
			columns := 0
			for _, tile := range tiles {
				if tile.Position().Y == tiles[0].Position().Y {
					columns++
				}
			}
			if columns != tt.columns {
				t.Errorf("%d tiles in the first row, want %d", columns, tt.columns)
			}
			last := tiles[tt.columns-1]
			if right := last.Position().X + last.Size().Width; right > u.signedIn.grid.Size().Width {
				t.Errorf("the row is %v wide, the grid %v", right, u.signedIn.grid.Size().Width)
			}
		})
	}
}

// The screen shows the session line for the status, never the access
// token's expiry, and keeps the subject out of a kiosk.
func TestSignedInSessionLineAndSubject(t *testing.T) {
	kioskLimit := testNow.Add(time.Hour)
	tests := []struct {
		name        string
		st          app.Status
		kiosk       bool
		session     string
		showSubject bool
	}{
		{"Authentik renews", aliceStatus(), false, "Renews by itself", true},
		{"Navidrome until its JWT expires", navidromeStatus(), false, "Until Mon 4 Mar 2030, 15:30, then sign in again", true},
		{"a kiosk until its limit", func() app.Status {
			st := aliceStatus()
			st.SignInAgainAt = kioskLimit
			return st
		}(), true, "Until " + kioskLimit.Format("15:04") + " today, then sign in again", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := newFakeCore(app.Authentik, app.Navidrome)
			core.status = tt.st
			size := windowSize
			if tt.kiosk {
				size = kioskSize
			}
			m := screen(newSizedUI(t, core, tt.kiosk, size))
			if !strings.Contains(m, ">"+tt.session) {
				t.Errorf("session line: want %q in\n%s", tt.session, m)
			}
			if strings.Contains(m, "15:30 UTC") || strings.Contains(m, "expires") {
				t.Errorf("the access token's expiry is shown:\n%s", m)
			}
			subject := tt.st.Profile.Subject
			if shown := strings.Contains(m, ">Subject<") || strings.Contains(m, subject); shown != tt.showSubject {
				t.Errorf("subject %q shown: %v, want %v", subject, shown, tt.showSubject)
			}
		})
	}
}

package tray

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"runtime"
	"sync"

	"fyne.io/systray"

	"github.com/ssotray/ssotray/app"
)

// Systray is the real Host over fyne.io/systray: a StatusNotifierItem with
// a dbusmenu on Linux, the notification area on Windows. The library is
// one per process, so there is one Systray.
type Systray struct {
	mu   sync.Mutex
	quit chan struct{}
	once sync.Once
}

// NewSystray makes the process's tray.
func NewSystray() *Systray { return &Systray{quit: make(chan struct{})} }

// Run shows the icon and returns when Quit is called; ready runs once the
// tray can take an icon and a menu, tapped on a left click on the icon.
func (s *Systray) Run(ready, tapped func()) {
	systray.SetOnTapped(tapped)
	run(func() {
		// Only now: on Windows the tooltip of an icon not made yet is an error.
		systray.SetTitle(app.Name)
		systray.SetTooltip(app.Name)
		ready()
	}, s.quit)
}

// Quit ends Run.
func (s *Systray) Quit() { s.once.Do(func() { close(s.quit) }) }

// SetIcon sets the icon from a PNG.
func (s *Systray) SetIcon(pngData []byte) {
	if runtime.GOOS == "windows" {
		pngData = icoOf(pngData)
	}
	systray.SetIcon(pngData)
}

// SetMenu replaces the menu. An item's clicks are read until the item is
// removed (the library then closes its channel).
func (s *Systray) SetMenu(items []Item, do func(Action)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	systray.ResetMenu()
	for _, it := range items {
		if it.Separator {
			systray.AddSeparator()
			continue
		}
		mi := systray.AddMenuItem(it.Label, "")
		if it.Disabled {
			mi.Disable()
		}
		if a := it.Action; a.Kind != None {
			go func() {
				// The library drops a click that comes while the last
				// one is handled: hand each on at once.
				for range mi.ClickedCh {
					go do(a)
				}
			}()
		}
	}
}

// icoOf wraps a PNG in an ICO container, which Windows' notification area
// wants (an ICO may hold a PNG since Windows Vista).
func icoOf(pngData []byte) []byte {
	cfg, err := png.DecodeConfig(bytes.NewReader(pngData))
	if err != nil {
		return pngData
	}
	side := func(n int) uint8 {
		if n >= 256 {
			return 0 // 0 means 256 in an ICO entry
		}
		return uint8(n)
	}
	var b bytes.Buffer
	// ICONDIR: reserved, type 1 (icon), one image; then its ICONDIRENTRY.
	_ = binary.Write(&b, binary.LittleEndian, [3]uint16{0, 1, 1})
	b.Write([]byte{side(cfg.Width), side(cfg.Height), 0, 0})
	_ = binary.Write(&b, binary.LittleEndian, [2]uint16{1, 32})
	_ = binary.Write(&b, binary.LittleEndian, [2]uint32{uint32(len(pngData)), 6 + 16})
	b.Write(pngData)
	return b.Bytes()
}

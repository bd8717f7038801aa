// Package idle tells how long the display has had no keyboard or mouse
// input, for the kiosk's idle sign-out: people spend their session in the
// browser, so ssotray's own window would see no input at all.
package idle

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/screensaver"
	"github.com/jezek/xgb/xproto"
)

// Source is the idle time of one display.
type Source interface {
	// Idle is the time since the last input anywhere on the display.
	Idle() (time.Duration, error)
	Close()
}

// Open finds the idle time of the desktop getenv describes: the platform's
// own where it has one (Windows); on Wayland, GNOME's Mutter over the
// session bus (Xwayland's MIT-SCREEN-SAVER sees only input to X programs,
// not to a Wayland browser, so it would sign people out as they work); on
// X11, MIT-SCREEN-SAVER. The error says what was tried, for the log.
func Open(getenv func(string) string) (Source, error) {
	if s, err := openNative(); s != nil || err != nil {
		return s, err
	}
	if getenv("WAYLAND_DISPLAY") != "" {
		return OpenMutter()
	}
	if getenv("DISPLAY") != "" {
		return OpenX11("")
	}
	return nil, errors.New("neither a Wayland nor an X display is set")
}

// X11 reads the MIT-SCREEN-SAVER idle time of an X display.
type X11 struct {
	mu   sync.Mutex
	conn *xgb.Conn
	root xproto.Window
}

// OpenX11 connects to display ("" means $DISPLAY) and checks that the
// server has the MIT-SCREEN-SAVER extension.
func OpenX11(display string) (*X11, error) {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to the X display %q for the idle time: %w", display, err)
	}
	if err := screensaver.Init(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("the X server has no MIT-SCREEN-SAVER extension to tell the idle time: %w", err)
	}
	return &X11{conn: conn, root: xproto.Setup(conn).DefaultScreen(conn).Root}, nil
}

// Idle is the time since the last input anywhere on the display.
func (x *X11) Idle() (time.Duration, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	info, err := screensaver.QueryInfo(x.conn, xproto.Drawable(x.root)).Reply()
	if err != nil {
		return 0, fmt.Errorf("reading the X idle time: %w", err)
	}
	return time.Duration(info.MsSinceUserInput) * time.Millisecond, nil
}

// Close disconnects from the display.
func (x *X11) Close() { x.conn.Close() }

//go:build cgo && (linux || freebsd || netbsd || openbsd) && !wayland

package glwarm

/*
#cgo linux LDFLAGS: -lGL -lX11
#cgo freebsd netbsd openbsd pkg-config: x11 gl
#include <X11/Xlib.h>
#include <GL/glx.h>

// loadDriver makes GLX set up display d: asking for its framebuffer
// configurations loads the driver for it.
static void loadDriver(Display *d) {
	int attrs[] = {GLX_RENDER_TYPE, GLX_RGBA_BIT, GLX_DOUBLEBUFFER, True, None};
	int n = 0;
	GLXFBConfig *configs = glXChooseFBConfig(d, DefaultScreen(d), attrs, &n);
	if (configs) XFree(configs);
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// Start loads the driver for GLFW's display on a thread of its own and
// returns at once; wait returns when that is done. GLFW opens its display
// with Fyne's first window (fyne.App.NewWindow), so Start comes after that,
// and wait before the window shows: then GLX is not set up by two threads
// at once (each would do all the work), and GLFW cannot close the display
// under it. GLFW has called XInitThreads, so the display may be used from
// two threads meanwhile. The error says why nothing was loaded (GLFW has
// no display); wait is then a no-op.
func Start() (wait func(), err error) {
	d, err := display()
	if err != nil {
		return func() {}, err
	}
	var done sync.WaitGroup
	done.Add(1)
	go func() {
		defer done.Done()
		C.loadDriver(d)
	}()
	return done.Wait, nil
}

// display is GLFW's X display. GLFW's Go binding panics with any error
// GLFW has pending, such as not being initialised.
func display() (d *C.Display, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("GLFW has no X display: %v", r)
		}
	}()
	d = (*C.Display)(unsafe.Pointer(glfw.GetX11Display()))
	if d == nil {
		return nil, fmt.Errorf("GLFW has no X display")
	}
	return d, nil
}

//go:build (linux || freebsd || netbsd || openbsd) && !wayland

package glwarm

/*
#cgo LDFLAGS: -lGL -lX11
#include <X11/Xlib.h>
#include <GL/glx.h>

// loadDriver makes GLX set up display d: asking for its framebuffer
// configurations loads the driver for it. GLFW has called XInitThreads,
// so d may be used from this thread while the main thread uses it, and
// GLX sets a display up once even when two threads ask at the same time.
static void loadDriver(Display *d) {
	int attrs[] = {GLX_RENDER_TYPE, GLX_RGBA_BIT, GLX_DOUBLEBUFFER, True, None};
	int n = 0;
	GLXFBConfig *configs = glXChooseFBConfig(d, DefaultScreen(d), attrs, &n);
	if (configs) XFree(configs);
}
*/
import "C"

import (
	"unsafe"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// Start loads the driver for GLFW's display on a thread of its own and
// returns at once. GLFW opens its display with Fyne's first window
// (fyne.App.NewWindow), so Start comes after that and before the window is
// shown. Without that display (GLFW could not start) it does nothing.
func Start() {
	d := display()
	if d == nil {
		return
	}
	go C.loadDriver(d)
}

// display is GLFW's X display, or nil. GLFW's Go binding panics with any
// error GLFW has pending, such as not being initialised.
func display() (d *C.Display) {
	defer func() {
		if recover() != nil {
			d = nil
		}
	}()
	return (*C.Display)(unsafe.Pointer(glfw.GetX11Display()))
}

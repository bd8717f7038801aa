//go:build (linux || freebsd || netbsd || openbsd) && !wayland

package glwarm

import (
	"os"
	"runtime"
	"testing"

	"github.com/go-gl/glfw/v3.3/glfw"

	"github.com/ssotray/ssotray/oidc/oidctest"
)

// TestStartWithoutDisplay: before GLFW has opened its display (or when it
// could not) there is nothing to load, and nothing panics.
func TestStartWithoutDisplay(t *testing.T) {
	Start()
}

// TestContextWhileLoading: the window's OpenGL context is created, as
// Fyne creates it, while the driver is being loaded on the other thread
// (the order of a window that is quick to build), and it draws.
func TestContextWhileLoading(t *testing.T) {
	oidctest.NeedMachine(t, os.Getenv("SSOTRAY_TEST_DESKTOP") == "1", "an X display with GLX (make test's desktop session)")
	runtime.LockOSThread() // GLFW's calls come from one thread
	defer runtime.UnlockOSThread()
	if err := glfw.Init(); err != nil {
		t.Fatal(err)
	}
	defer glfw.Terminate()
	for range 3 {
		Start()
		glfw.WindowHint(glfw.Visible, glfw.False)
		w, err := glfw.CreateWindow(64, 64, "glwarm", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.MakeContextCurrent()
		w.SwapBuffers()
		glfw.DetachCurrentContext()
		w.Destroy()
	}
}

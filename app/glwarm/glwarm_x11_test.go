//go:build cgo && (linux || freebsd || netbsd || openbsd) && !wayland

package glwarm

import (
	"os"
	"runtime"
	"testing"

	"github.com/go-gl/glfw/v3.3/glfw"

	"github.com/ssotray/ssotray/oidc/oidctest"
)

// TestStartWithoutDisplay: before GLFW has opened its display (or when it
// could not) there is nothing to load; Start says so and nothing panics.
func TestStartWithoutDisplay(t *testing.T) {
	wait, err := Start()
	if err == nil {
		t.Error("Start found a display before GLFW was initialised")
	}
	wait()
}

// TestContextAfterLoading: the window's OpenGL context is created as Fyne
// creates it once the driver has loaded on the other thread, and it draws;
// GLFW ends only after that thread is done with its display.
func TestContextAfterLoading(t *testing.T) {
	oidctest.NeedMachine(t, os.Getenv("SSOTRAY_TEST_DESKTOP") == "1", "an X display with GLX (make test's desktop session)")
	runtime.LockOSThread() // GLFW's calls come from one thread
	defer runtime.UnlockOSThread()
	if err := glfw.Init(); err != nil {
		t.Fatal(err)
	}
	defer glfw.Terminate()
	for range 3 {
		wait, err := Start()
		if err != nil {
			t.Fatal(err)
		}
		wait()
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

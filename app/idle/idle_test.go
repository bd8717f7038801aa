package idle

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// TestX11IdleResetsOnInput uses the real X server of `make test` (Xvfb) and
// injects input with xdotool, as a person at the kiosk would.
func TestX11IdleResetsOnInput(t *testing.T) {
	if os.Getenv("SSOTRAY_TEST_DESKTOP") == "" {
		t.Skip("needs the Xvfb display of `make test` (SSOTRAY_TEST_DESKTOP=1)")
	}
	x, err := OpenX11("")
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	time.Sleep(1500 * time.Millisecond)
	before, err := x.Idle()
	if err != nil {
		t.Fatal(err)
	}
	if before < time.Second {
		t.Fatalf("idle %v after 1.5 s without input", before)
	}
	if out, err := exec.Command("xdotool", "mousemove_relative", "--", "5", "5").CombinedOutput(); err != nil {
		t.Fatalf("xdotool: %v %s", err, out)
	}
	after, err := x.Idle()
	if err != nil {
		t.Fatal(err)
	}
	if after >= before || after > 500*time.Millisecond {
		t.Errorf("idle %v before input, %v after: input did not reset it", before, after)
	}
}

func TestNoDisplay(t *testing.T) {
	if _, err := OpenX11(":999"); err == nil {
		t.Error("connected to a display that does not exist")
	}
}

// gnomeShell stands in for GNOME Shell's idle monitor on the test's own
// session bus (GNOME Shell cannot run here); the call goes over real D-Bus.
type gnomeShell struct{ ms uint64 }

func (g *gnomeShell) GetIdletime() (uint64, *dbus.Error) { return g.ms, nil }

func TestOpen(t *testing.T) {
	if os.Getenv("SSOTRAY_TEST_DESKTOP") == "" {
		t.Skip("needs the private D-Bus session and Xvfb display of `make test` (SSOTRAY_TEST_DESKTOP=1)")
	}
	env := func(vars ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(vars); i += 2 {
				if vars[i] == k {
					return vars[i+1]
				}
			}
			return ""
		}
	}
	wayland := env("WAYLAND_DISPLAY", "wayland-0", "DISPLAY", ":0")

	// No GNOME on this Wayland desktop: no idle source (Xwayland's would
	// not see the Wayland browser), and the error names what was asked.
	if s, err := Open(wayland); err == nil || !strings.Contains(err.Error(), "GNOME") {
		t.Errorf("Wayland without GNOME's idle monitor: %v, %v", s, err)
	}

	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Export(&gnomeShell{ms: 42_000}, mutterPath, mutterName); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(mutterName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning %s: %v %v", mutterName, reply, err)
	}
	defer conn.ReleaseName(mutterName)

	tests := []struct {
		name string
		env  func(string) string
		want string // the Source's type
	}{
		{"Wayland with GNOME", wayland, "*idle.Mutter"},
		{"X11", env("DISPLAY", os.Getenv("DISPLAY")), "*idle.X11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(tt.env)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := fmt.Sprintf("%T", s); got != tt.want {
				t.Errorf("source %s, want %s", got, tt.want)
			}
			if _, err := s.Idle(); err != nil {
				t.Error(err)
			}
		})
	}
	m, err := OpenMutter()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if d, err := m.Idle(); err != nil || d != 42*time.Second {
		t.Errorf("GNOME says 42000 ms; read %v, %v", d, err)
	}
	if _, err := Open(env()); err == nil {
		t.Error("no display at all, yet an idle source")
	}
}

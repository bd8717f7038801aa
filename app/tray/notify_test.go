//go:build !windows

package tray

import (
	"os"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// notifications stands in for the desktop's notification service.
type notifications struct{ got chan [2]string }

func (n notifications) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	n.got <- [2]string{summary, body}
	return 1, nil
}

// TestNotify: a notification reaches the freedesktop service on the
// session bus, title and text as given.
func TestNotify(t *testing.T) {
	if os.Getenv("SSOTRAY_TEST_DESKTOP") == "" {
		t.Skip("needs the private session bus of `make test` (SSOTRAY_TEST_DESKTOP=1)")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n := notifications{got: make(chan [2]string, 1)}
	if err := conn.Export(n, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot stand in for the notification service on the test bus: %v, %v", reply, err)
	}
	defer conn.ReleaseName("org.freedesktop.Notifications")
	Notify("ssotray", "Signed in as Alice Liddell (alice)")
	select {
	case got := <-n.got:
		if got != [2]string{"ssotray", "Signed in as Alice Liddell (alice)"} {
			t.Errorf("the desktop was told %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification reached the desktop's service")
	}
}

package idle

import (
	"os"
	"os/exec"
	"testing"
	"time"
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

package startup

import (
	"context"
	"slices"
	"testing"
)

// TestTrayHostFollow: the window's close button asks the latest answer;
// the start-up decides once, on the first.
func TestTrayHostFollow(t *testing.T) {
	var h TrayHost
	if h.up.Load() {
		t.Fatal("a host is assumed before the watcher answered: closing would hide the window for good")
	}
	var known []bool
	var seen []bool
	h.Follow(context.Background(), func(_ context.Context, report func(bool)) {
		for _, up := range []bool{false, true, false, true} {
			report(up)
			seen = append(seen, h.up.Load())
		}
	}, func(up bool) { known = append(known, up) })
	if len(known) != 1 || known[0] {
		t.Errorf("known told %v, want once, the first answer (false)", known)
	}
	if want := []bool{false, true, false, true}; !slices.Equal(seen, want) {
		t.Errorf("up followed %v, want %v", seen, want)
	}
}

package startup

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
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

// poll waits a moment for a first true (a taskbar still starting), then
// tells only the changes: Windows' taskbar sends no word when it comes and
// goes.
func TestPoll(t *testing.T) {
	tests := []struct {
		name    string
		wait    time.Duration
		answers []bool
		want    []bool
	}{
		{"a host that comes within the wait", time.Second, []bool{false, false, true, true, false, true, true}, []bool{true, false, true}},
		{"no wait", 0, []bool{false, false, true, true, false, true, true}, []bool{false, true, false, true}},
		{"no host", 50 * time.Millisecond, []bool{false}, []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			asked := 0
			up := func() bool {
				mu.Lock()
				defer mu.Unlock()
				a := tt.answers[min(asked, len(tt.answers)-1)]
				asked++
				return a
			}
			ctx, cancel := context.WithCancel(context.Background())
			var reported []bool
			done := make(chan struct{})
			go func() {
				defer close(done)
				poll(ctx, tt.wait, time.Millisecond, up, func(up bool) {
					reported = append(reported, up)
					if len(reported) == len(tt.want) {
						cancel()
					}
				})
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cancel()
				<-done
			}
			if !slices.Equal(reported, tt.want) {
				t.Errorf("reported %v, want %v", reported, tt.want)
			}
		})
	}
}

package startup

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestLatest: the caller never waits; calls during a run make exactly one
// more; runs never overlap.
func TestLatest(t *testing.T) {
	release := make(chan struct{})
	var runs, inside, overlap atomic.Int32
	kick := Latest(func() {
		if inside.Add(1) > 1 {
			overlap.Add(1)
		}
		runs.Add(1)
		<-release
		inside.Add(-1)
	})
	kick()
	for runs.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	for range 5 {
		kick() // while the first run waits: one more run, later
	}
	if time.Since(start) > time.Second {
		t.Fatal("a kick waited for the run")
	}
	release <- struct{}{}
	release <- struct{}{}
	time.Sleep(50 * time.Millisecond)
	if runs.Load() != 2 || overlap.Load() != 0 {
		t.Errorf("%d runs (want 2), %d overlapping", runs.Load(), overlap.Load())
	}
}

package startup

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ssotray/ssotray/app/instance"
)

// TestOnClaim: what the start does after claiming the single instance.
func TestOnClaim(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want claimResult
		line string
	}{
		{name: "first instance: go on and answer later starts", want: proceed},
		{name: "another instance runs: leave quietly, it shows its window", err: instance.ErrRunning, want: leave,
			line: "ssotray: " + instance.ErrRunning.Error()},
		{name: "wrapped ErrRunning counts too", err: fmt.Errorf("claim: %w", instance.ErrRunning), want: leave,
			line: "ssotray: claim: " + instance.ErrRunning.Error()},
		{name: "the claim fails: go on without the check, with a warning", err: errors.New("no private directory"), want: proceedUnchecked,
			line: "ssotray: warning: running without the check for a second window: no private directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, line := onClaim(tc.err)
			if got != tc.want || line != tc.line {
				t.Errorf("onClaim = %v %q, want %v %q", got, line, tc.want, tc.line)
			}
		})
	}
}

//go:build !windows

package winconsole

import (
	"os"
	"testing"
)

// Elsewhere than on Windows the streams are never touched.
func TestAttachElsewhereDoesNothing(t *testing.T) {
	stdin, stdout, stderr := os.Stdin, os.Stdout, os.Stderr
	for _, verb := range []bool{false, true} {
		if r := Attach(verb); r.Action != NotWindows || r.Reopened != nil || r.Err != nil {
			t.Errorf("Attach(%v) = %+v", verb, r)
		}
	}
	if os.Stdin != stdin || os.Stdout != stdout || os.Stderr != stderr {
		t.Error("Attach changed the standard streams")
	}
}

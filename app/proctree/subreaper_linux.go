package proctree

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// BecomeSubreaper makes this process the child subreaper of everything it
// starts (prctl PR_SET_CHILD_SUBREAPER): an orphan of a browser's tree is
// re-parented here rather than to init, so it stays a descendant that the
// Tracker finds.
func BecomeSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", err)
	}
	return nil
}

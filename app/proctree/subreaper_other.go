//go:build !linux

package proctree

import "errors"

// BecomeSubreaper is Linux only; elsewhere the Tracker follows trees by
// process group and parent alone.
func BecomeSubreaper() error { return errors.New("no child subreaper on this system") }

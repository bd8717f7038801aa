//go:build !windows

package winconsole

// Attach does nothing but on Windows.
func Attach(verb bool) Report { return Report{Action: NotWindows} }

// HandOff does nothing but on Windows.
func HandOff(verb bool, args []string) (bool, error) { return false, nil }

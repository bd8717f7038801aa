//go:build !windows

package winconsole

// Attach does nothing but on Windows.
func Attach(verb bool) Report { return Report{Action: NotWindows} }

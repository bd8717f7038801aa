//go:build !windows

package idle

// openNative: Unix desktops tell their idle time through the display.
func openNative() (Source, error) { return nil, nil }

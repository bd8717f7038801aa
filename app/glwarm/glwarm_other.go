//go:build !((linux || freebsd || netbsd || openbsd) && !wayland)

package glwarm

// Start does nothing where Fyne does not use GLX.
func Start() {}

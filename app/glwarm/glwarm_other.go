//go:build !(cgo && (linux || freebsd || netbsd || openbsd) && !wayland)

package glwarm

// Start does nothing where Fyne does not use GLX.
func Start() (wait func(), err error) { return func() {}, nil }

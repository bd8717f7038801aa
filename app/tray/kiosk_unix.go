//go:build unix

package tray

import (
	"fmt"
	"syscall"

	"github.com/ssotray/ssotray/app/ownenv"
)

// RunKiosk is the real Deps.Kiosk: this process becomes ssotray-window, so
// a kiosk stays one process (its sign-out on SIGTERM, its browsers as its
// children). The window's program takes ssotray's own variables out of
// its environment again at once; the locale is quietened as for any window.
func RunKiosk(own ownenv.Env, args []string) error {
	prog, err := WindowProgram()
	if err != nil {
		return err
	}
	err = syscall.Exec(prog, append([]string{prog}, args...), quietLocale(own.Environ()))
	return fmt.Errorf("starting the kiosk (%s): %w; reinstall ssotray: ssotray-window belongs beside ssotray", prog, err)
}

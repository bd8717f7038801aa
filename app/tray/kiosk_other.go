//go:build !unix

package tray

import (
	"os"

	"github.com/ssotray/ssotray/app/ownenv"
)

// RunKiosk is the real Deps.Kiosk where a process cannot become another:
// ssotray-window runs the kiosk, and this process waits for it.
func RunKiosk(own ownenv.Env, args []string) error {
	p, err := StartWindow(own, os.Stderr, args)()
	if err != nil {
		return err
	}
	return p.Wait()
}

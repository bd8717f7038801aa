package desktop

import (
	"errors"
	"os"

	"github.com/ssotray/ssotray/app/instance"
)

// Instance is the claimed single-instance socket: later starts ask it to
// show the window. *instance.Instance is the real one.
type Instance interface {
	ShowRequests() <-chan struct{}
	Close() error
}

// Claimed is what the start-up does after claiming the instance.
type Claimed int

const (
	// Proceed: this is the first instance; it answers later starts.
	Proceed Claimed = iota
	// ProceedUnchecked: the claim failed; the window matters more than the
	// one-window check, so it starts without it, with a warning.
	ProceedUnchecked
	// Leave: another instance runs and has been asked to show itself.
	Leave
)

// onClaim decides from the claim's error, and gives the line for stderr.
func onClaim(err error) (Claimed, string) {
	switch {
	case err == nil:
		return Proceed, ""
	case errors.Is(err, instance.ErrRunning):
		return Leave, "ssotray: " + err.Error()
	default:
		return ProceedUnchecked, "ssotray: warning: running without the check for a second window: " + err.Error()
	}
}

// ClaimInstance claims the per-user socket in a private directory: the
// real Deps.Claim.
func ClaimInstance() (Instance, error) {
	path, err := instance.SocketPath(os.Getenv)
	if err != nil {
		return nil, err
	}
	in, err := instance.Claim(path)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return in, nil
}

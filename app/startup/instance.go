package startup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/renewlock"

	"github.com/ssotray/ssotray/app/instance"
)

// Instance is the claimed single-instance socket: later starts ask it to
// show the window, verbs say the session changed, and the window's process
// hears what it broadcasts. *instance.Instance is the real one.
type Instance interface {
	Requests() <-chan instance.Message
	Broadcast(instance.Message) int
	// Lend answers `ssotray token` with the tray's token (Lender).
	Lend(instance.Lender)
	Close() error
}

// claimResult is what the start-up does after claiming the instance.
type claimResult int

const (
	// proceed: this is the first instance; it answers later starts.
	proceed claimResult = iota
	// proceedUnchecked: the claim failed; the window matters more than the
	// one-window check, so it starts without it, with a warning.
	proceedUnchecked
	// leave: another instance runs and has been asked to show itself.
	leave
)

// onClaim decides from the claim's error, and gives the line for stderr.
func onClaim(err error) (claimResult, string) {
	switch {
	case err == nil:
		return proceed, ""
	case errors.Is(err, instance.ErrRunning):
		return leave, "ssotray: " + err.Error()
	default:
		return proceedUnchecked, "ssotray: warning: running without the check for a second window: " + err.Error()
	}
}

// ClaimOrLeave claims the single instance with claim, says on stderr what
// came of it, and tells whether to leave (another instance runs and has
// been asked to show itself). inst is nil when the start goes on without
// the one-window check.
func ClaimOrLeave(claim func() (Instance, error), stderr io.Writer) (inst Instance, leaving bool) {
	inst, err := claim()
	claimed, msg := onClaim(err)
	if msg != "" {
		fmt.Fprintln(stderr, msg)
	}
	if claimed != proceed {
		return nil, claimed == leave
	}
	return inst, false
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

// Announce tells the running ssotray, if any, that this process changed
// the stored session or the configuration: the real app.Deps.Announce of
// the verbs and the window.
func Announce() { Tell(instance.Changed) }

// Tell sends m to the running ssotray, if any (none: nobody to tell).
func Tell(m instance.Message) {
	if path, err := instance.SocketPath(os.Getenv); err == nil {
		_ = instance.Tell(path, m)
	}
}

// Lender lends core's tokens to `ssotray token` over the instance socket,
// as JSON (app.Lent).
func Lender(core *app.Core) instance.Lender {
	return func(m instance.Message) (string, bool) {
		l, ok := core.Lend(m == instance.IDToken)
		if !ok {
			return "", false
		}
		b, err := json.Marshal(l)
		return string(b), err == nil
	}
}

// borrowWait bounds the wait for the running tray's token: it answers from
// memory, so one that takes longer is stuck, and the keyring is asked.
const borrowWait = time.Second

// Borrow asks the running ssotray for the token it holds (the ID token with
// id): the real cli.Env.Borrow. ok is false when none runs or it has none
// to lend.
func Borrow(id bool) (l app.Lent, ok bool) {
	path, err := instance.SocketPath(os.Getenv)
	if err != nil {
		return app.Lent{}, false
	}
	m := instance.Token
	if id {
		m = instance.IDToken
	}
	line, err := instance.Borrow(path, m, borrowWait)
	if err != nil || json.Unmarshal([]byte(line), &l) != nil {
		return app.Lent{}, false
	}
	return l, true
}

// WatchInstance connects the window's process to the running tray.
func WatchInstance() (*instance.Watcher, error) {
	path, err := instance.SocketPath(os.Getenv)
	if err != nil {
		return nil, err
	}
	return instance.Watch(path)
}

// Locator is the real configuration lookup; getenv sees the SSOTRAY_*
// variables.
func Locator(getenv func(string) string) config.Locator {
	l := config.DefaultLocator()
	l.Getenv = getenv
	return l
}

// Logger writes debug lines to stderr when SSOTRAY_DEBUG is set, and
// nothing otherwise: both programs' logger.
func Logger(getenv func(string) string) *slog.Logger {
	if getenv("SSOTRAY_DEBUG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// RenewLock is the per-user lock that keeps renewals of the keyring's
// session to one at a time across ssotray processes (the tray, the window
// and any number of `ssotray token`): a file beside the instance socket.
// nil, with a warning in the debug log, when the user has no private
// directory for it: renewals are then one at a time within each process.
func RenewLock(logger *slog.Logger) app.RenewLock {
	l, err := renewlock.Open(os.Getenv)
	if err != nil {
		logger.Warn("session renewals are not coordinated with other ssotray processes", "err", err)
		return nil
	}
	return l
}

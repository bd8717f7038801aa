// Package instance keeps one ssotray window per user: the first start
// listens on a per-user local socket, and a later start asks it to show its
// window instead of opening a second one.
package instance

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/ssotray/ssotray/app/rundir"
)

// ErrRunning means another instance is running and has been asked to show itself.
var ErrRunning = errors.New("ssotray is already running; its window was brought to the front")

// Instance is the running first instance.
type Instance struct {
	l    net.Listener
	show chan struct{}
}

// SocketName is the socket's name in the private directory (app/rundir).
const SocketName = "ssotray.sock"

// SocketPath is the per-user socket in the directory rundir finds: private
// to the user, never a shared one like /tmp, where another user could
// create the socket or its lock first. The error (a *rundir.NoneError) says
// why no directory would do; the caller then runs without the one-window
// check rather than not at all.
func SocketPath(getenv func(string) string) (string, error) {
	dir, err := rundir.Default(getenv).Find()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, SocketName), nil
}

// Claim becomes the first instance at path, or returns ErrRunning after
// asking the running one to show itself.
func Claim(path string) (*Instance, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create %s to keep ssotray to one window: %w", filepath.Dir(path), err)
	}
	// Two starts at the same moment: the lock lets one claim at a time, so
	// the second finds the first listening instead of replacing its socket.
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	defer unlock()
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := fmt.Fprintln(c, "show"); err != nil {
			return nil, fmt.Errorf("another ssotray is running but did not answer (%v); quit it, or remove %s, and start again", err, path)
		}
		_, _ = bufio.NewReader(c).ReadString('\n') // wait for it to take the request
		return nil, ErrRunning
	}
	// Nobody answers: a socket file left by a crash is stale.
	_ = os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("cannot create %s to keep ssotray to one window: %w", path, err)
	}
	_ = os.Chmod(path, 0o600)
	in := &Instance{l: l, show: make(chan struct{}, 1)}
	go in.serve()
	return in, nil
}

func (in *Instance) serve() {
	for {
		c, err := in.l.Accept()
		if err != nil {
			close(in.show)
			return
		}
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		if line, err := bufio.NewReader(c).ReadString('\n'); err == nil && line == "show\n" {
			select {
			case in.show <- struct{}{}:
			default: // one pending request is enough
			}
			fmt.Fprintln(c, "ok")
		}
		c.Close()
	}
}

// ShowRequests delivers a value each time another start asks for the window.
func (in *Instance) ShowRequests() <-chan struct{} { return in.show }

// Close stops listening and removes the socket.
func (in *Instance) Close() error { return in.l.Close() }

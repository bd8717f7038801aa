// Package instance keeps one ssotray per user and lets its processes talk:
// the first start (the tray) listens on a per-user local socket; a later
// start asks it to show its window instead of starting again, a verb that
// signed in or out tells it the stored session changed, and the window's
// process watches it for what to do. One line per message.
package instance

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ssotray/ssotray/app/filelock"
	"github.com/ssotray/ssotray/app/rundir"
)

// ErrRunning means another instance is running and has been asked to show itself.
var ErrRunning = errors.New("ssotray is already running; its window was brought to the front")

// Message is one line on the socket.
type Message string

const (
	// Show asks for the window (a second start of ssotray).
	Show Message = "show"
	// Changed says the stored session or the configuration changed; whoever
	// holds a copy reads it again.
	Changed Message = "changed"
	// Quit asks a watching window to close: the tray quits.
	Quit Message = "quit"
	// Started says the window's process has its window up: the tray does
	// its own start-up work after that, not against the window's.
	Started Message = "started"
	// Token and IDToken ask for the access token or the ID token of the
	// session the instance holds (`ssotray token`); it answers with its
	// Lender's line, or "no" and the asker reads the keyring itself.
	Token   Message = "token"
	IDToken Message = "id-token"
	// watch turns a connection into a Watcher's: the instance keeps it and
	// sends it what it Broadcasts.
	watch Message = "watch"
)

// maxLine is the longest line read: every message is a word.
const maxLine = 64

// maxLent is the longest answer to Token or IDToken read: an ID token with
// many groups is a few KiB.
const maxLent = 64 << 10

// ioWait bounds every exchange on the socket: a peer that does not read or
// answer is dropped, never waited for.
const ioWait = 2 * time.Second

// Instance is the running first instance.
type Instance struct {
	l        net.Listener
	requests chan Message

	mu       sync.Mutex
	watchers map[net.Conn]struct{}
	lender   Lender
}

// Lender answers Token and IDToken with one line (without a newline), or
// ok false when it has nothing to lend.
type Lender func(m Message) (line string, ok bool)

// Lend answers Token and IDToken with f from now on; before, and with nil,
// the answer is "no".
func (in *Instance) Lend(f Lender) {
	in.mu.Lock()
	in.lender = f
	in.mu.Unlock()
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
func Claim(path string) (*Instance, error) { return claim(path, unixSocket()) }

// socket is what Claim does with the socket file; tests put an in-memory
// stand-in in its place.
type socket struct {
	dial   func(path string) (net.Conn, error)
	remove func(path string) error
	listen func(path string) (net.Listener, error)
}

// unixSocket is the real one.
func unixSocket() socket {
	return socket{
		dial:   func(path string) (net.Conn, error) { return net.DialTimeout("unix", path, time.Second) },
		remove: os.Remove,
		listen: func(path string) (net.Listener, error) {
			l, err := net.Listen("unix", path)
			if err == nil {
				_ = os.Chmod(path, 0o600)
			}
			return l, err
		},
	}
}

func claim(path string, s socket) (*Instance, error) {
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
	if c, err := s.dial(path); err == nil {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(ioWait))
		if _, err := fmt.Fprintln(c, Show); err != nil {
			return nil, fmt.Errorf("another ssotray is running but did not answer (%v); quit it, or remove %s, and start again", err, path)
		}
		_, _ = bufio.NewReader(c).ReadString('\n') // wait for it to take the request
		return nil, ErrRunning
	}
	// Nobody answers: a socket file left by a crash is stale.
	_ = s.remove(path)
	l, err := s.listen(path)
	if err != nil {
		return nil, fmt.Errorf("cannot create %s to keep ssotray to one window: %w", path, err)
	}
	in := &Instance{l: l, requests: make(chan Message, 8), watchers: map[net.Conn]struct{}{}}
	go in.serve()
	return in, nil
}

// lockFile holds the exclusive lock on path until the returned func runs.
func lockFile(path string) (func(), error) {
	f, err := filelock.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot create %s to keep ssotray to one window: %w", path, err)
	}
	if err := filelock.Lock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	return func() {
		_ = filelock.Unlock(f)
		f.Close()
	}, nil
}

func (in *Instance) serve() {
	var takers sync.WaitGroup
	defer func() {
		takers.Wait()
		close(in.requests)
	}()
	for {
		c, err := in.l.Accept()
		if errors.Is(err, net.ErrClosed) {
			in.mu.Lock()
			for w := range in.watchers {
				w.Close()
			}
			in.watchers = nil
			in.mu.Unlock()
			return
		}
		if err != nil { // out of file descriptors, say: not the end
			time.Sleep(100 * time.Millisecond)
			continue
		}
		// One at a time would let a peer that says nothing hold up the rest.
		takers.Add(1)
		go func() {
			defer takers.Done()
			in.take(c)
		}()
	}
}

// take reads one message from c and answers it.
func (in *Instance) take(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(ioWait))
	line, err := bufio.NewReader(io.LimitReader(c, maxLine)).ReadString('\n')
	m := Message(strings.TrimSuffix(line, "\n"))
	switch {
	case err != nil:
	case m == watch:
		// A watcher hears every broadcast after its "ok": it is one before.
		in.mu.Lock()
		defer in.mu.Unlock()
		if in.watchers == nil {
			break
		}
		if _, err := fmt.Fprintln(c, "ok"); err == nil {
			in.watchers[c] = struct{}{}
			return
		}
	case m == Token || m == IDToken:
		in.mu.Lock()
		lend := in.lender
		in.mu.Unlock()
		reply := "no"
		// The socket is in the user's private directory; the peer's user
		// is checked as well where the system says who it is.
		if lend != nil && peerIsUs(c) {
			if line, ok := lend(m); ok && !strings.ContainsAny(line, "\r\n") {
				reply = "ok " + line
			}
		}
		fmt.Fprintln(c, reply)
	case m == Show || m == Changed || m == Started:
		in.mu.Lock()
		open := in.watchers != nil
		in.mu.Unlock()
		if open {
			select {
			case in.requests <- m:
			default: // the same requests are pending already: enough
			}
		}
		fmt.Fprintln(c, "ok")
	}
	c.Close()
}

// Requests delivers what other processes ask: Show, Changed or Started. It is
// closed when the instance is.
func (in *Instance) Requests() <-chan Message { return in.requests }

// Broadcast sends m to every watching process and says how many took it;
// one that does not within ioWait is dropped.
func (in *Instance) Broadcast(m Message) int {
	in.mu.Lock()
	watchers := make([]net.Conn, 0, len(in.watchers))
	for c := range in.watchers {
		watchers = append(watchers, c)
	}
	in.mu.Unlock()
	took := 0
	for _, c := range watchers {
		_ = c.SetWriteDeadline(time.Now().Add(ioWait))
		if _, err := fmt.Fprintln(c, m); err != nil {
			c.Close()
			in.mu.Lock()
			delete(in.watchers, c)
			in.mu.Unlock()
			continue
		}
		took++
	}
	return took
}

// Close stops listening, removes the socket and ends every watch.
func (in *Instance) Close() error { return in.l.Close() }

// Tell sends m to the instance at path and waits until it has taken it.
func Tell(path string, m Message) error {
	c, _, err := send(path, m)
	if err != nil {
		return err
	}
	return c.Close()
}

// send connects to the instance at path, sends m and waits for its "ok";
// the connection has no deadline left, and r reads what follows.
func send(path string, m Message) (c net.Conn, r *bufio.Reader, err error) {
	if c, err = net.DialTimeout("unix", path, ioWait); err != nil {
		return nil, nil, err
	}
	_ = c.SetDeadline(time.Now().Add(ioWait))
	r = bufio.NewReader(c)
	if _, err = fmt.Fprintln(c, m); err == nil {
		var line string
		if line, err = r.ReadString('\n'); err == nil && line != "ok\n" {
			err = fmt.Errorf("answered %q", strings.TrimSpace(line))
		}
	}
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("ssotray at %s did not take %q: %w", path, m, err)
	}
	_ = c.SetDeadline(time.Time{})
	return c, r, nil
}

// ErrNothingLent means the instance answered Token or IDToken with "no".
var ErrNothingLent = errors.New("the running ssotray has no token to lend")

// Borrow asks the instance at path for m (Token or IDToken) and returns
// its Lender's line. It fails fast when no instance runs, and after wait
// when one does not answer.
func Borrow(path string, m Message, wait time.Duration) (string, error) {
	c, err := dialBlocking(path, wait)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if _, err := fmt.Fprintln(c, m); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(io.LimitReader(c, maxLent)).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("ssotray at %s did not answer %q: %w", path, m, err)
	}
	lent, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "ok ")
	if !ok {
		return "", ErrNothingLent
	}
	return lent, nil
}

// Watcher receives what the instance broadcasts.
type Watcher struct {
	c        net.Conn
	messages chan Message
	done     chan struct{}
	once     sync.Once
}

// Watch connects to the instance at path as a watcher.
func Watch(path string) (*Watcher, error) {
	c, r, err := send(path, watch)
	if err != nil {
		return nil, err
	}
	w := &Watcher{c: c, messages: make(chan Message, 8), done: make(chan struct{})}
	go func() {
		defer close(w.messages)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			select {
			case w.messages <- Message(strings.TrimSuffix(line, "\n")):
			case <-w.done:
				return
			}
		}
	}()
	return w, nil
}

// Messages delivers the broadcasts; it is closed when the instance ends or
// Close is called.
func (w *Watcher) Messages() <-chan Message { return w.messages }

// Close ends the watch.
func (w *Watcher) Close() error {
	w.once.Do(func() { close(w.done) })
	return w.c.Close()
}

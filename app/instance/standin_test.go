package instance

import (
	"errors"
	"io/fs"
	"net"
	"sync"
	"time"
)

// standIn is Claim's socket in memory, for a race that real sockets make
// rare. As with a socket file, a path answers while a listener is bound
// to it, a second listen there fails, and removing the path leaves its
// listener running but out of reach: the two trays of an unlocked Claim.
type standIn struct {
	mu    sync.Mutex
	bound map[string]*standInListener
}

func newStandIn() *standIn { return &standIn{bound: map[string]*standInListener{}} }

func (s *standIn) socket() socket {
	return socket{dial: s.dial, remove: s.remove, listen: s.listen}
}

func (s *standIn) dial(path string) (net.Conn, error) {
	s.mu.Lock()
	l := s.bound[path]
	s.mu.Unlock()
	if l == nil {
		// A failed dial takes a moment, as a real one does: time enough
		// for the others to get as far, were it not for the lock.
		time.Sleep(time.Millisecond)
		return nil, &net.OpError{Op: "dial", Net: "unix", Err: fs.ErrNotExist}
	}
	c, theirs := net.Pipe()
	select {
	case l.conns <- theirs:
		return c, nil
	case <-l.done:
		c.Close()
		theirs.Close()
		return nil, &net.OpError{Op: "dial", Net: "unix", Err: errors.New("connection refused")}
	}
}

func (s *standIn) remove(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.bound, path)
	return nil
}

func (s *standIn) listen(path string) (net.Listener, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bound[path] != nil {
		return nil, &net.OpError{Op: "listen", Net: "unix", Err: errors.New("address already in use")}
	}
	l := &standInListener{s: s, path: path, conns: make(chan net.Conn), done: make(chan struct{})}
	s.bound[path] = l
	return l, nil
}

type standInListener struct {
	s     *standIn
	path  string
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *standInListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close unbinds the path, as closing a Unix listener removes its socket.
func (l *standInListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.s.mu.Lock()
		if l.s.bound[l.path] == l {
			delete(l.s.bound, l.path)
		}
		l.s.mu.Unlock()
	})
	return nil
}

func (l *standInListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

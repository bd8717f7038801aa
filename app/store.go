package app

import (
	"sync"

	"github.com/ssotray/ssotray/app/tokenstore"
)

// serialStore runs the core's keyring operations one at a time, in the order
// they were asked for, so that a save finishing in the background can never
// land after a later operation (a sign-out's delete, the next person's
// session).
type serialStore struct {
	mu sync.Mutex
	st tokenstore.Store // only ever used with mu held
}

func (s *serialStore) Load() (*tokenstore.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Load()
}

func (s *serialStore) Delete() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Delete()
}

// locked runs f with the store to itself: f's keyring operations and the
// change it makes to the session come with no other keyring operation
// between them (a sign-out's delete cannot fall between a renewal's check
// and its save).
func (s *serialStore) locked(f func(st tokenstore.Store)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.st)
}

// saveInBackgroundIf takes the store to itself, runs first, and only if
// that says so saves x without making the caller wait, telling done the
// outcome; the store stays in line behind the save and done, so Wait
// covers both (a process that exits after Wait has finished them). done
// must not use the store.
func (s *serialStore) saveInBackgroundIf(first func() bool, x *tokenstore.Session, done func(error)) {
	s.mu.Lock()
	if !first() {
		s.mu.Unlock()
		return
	}
	go func() {
		defer s.mu.Unlock()
		done(saveOrForget(s.st, x))
	}()
}

// Wait returns once every operation asked for so far has finished.
func (s *serialStore) Wait() {
	s.mu.Lock()
	// Nothing to do inside: having the lock means the line ahead is done.
	s.mu.Unlock()
}

// saveOrForget saves x; when that fails it removes any older session, so
// that one does not come back at the next start.
func saveOrForget(st tokenstore.Store, x *tokenstore.Session) error {
	err := st.Save(x)
	if err != nil {
		_ = st.Delete()
	}
	return err
}

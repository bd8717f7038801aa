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
	tokenstore.Store
}

func (s *serialStore) Load() (*tokenstore.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Store.Load()
}

func (s *serialStore) Save(x *tokenstore.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return saveOrForget(s.Store, x)
}

func (s *serialStore) Delete() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Store.Delete()
}

// SaveInBackground takes its place in line at once, then saves x without
// making the caller wait, and tells done the outcome.
func (s *serialStore) SaveInBackground(x *tokenstore.Session, done func(error)) {
	s.mu.Lock()
	go func() {
		err := saveOrForget(s.Store, x)
		s.mu.Unlock()
		done(err)
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

// Package tokenstore keeps signed-in sessions: in the operating system's
// keyring, or in memory for a kiosk or when no keyring is available. Never
// in a plain file.
package tokenstore

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Session is the minimum needed to resume a sign-in without asking again.
// It never holds a password.
type Session struct {
	Method string `json:"method"` // "authentik" or "navidrome"
	// Server identifies where the session was made (issuer or server URL), so
	// a session is not used against another server after a config change.
	Server string `json:"server"`

	Subject  string    `json:"sub,omitempty"`
	Username string    `json:"username,omitempty"`
	Name     string    `json:"name,omitempty"`
	Email    string    `json:"email,omitempty"`
	Groups   []string  `json:"groups,omitempty"`
	AuthTime time.Time `json:"auth_time,omitzero"`

	Admin bool `json:"admin,omitempty"` // Navidrome's only role

	// AccessToken is the OAuth access token, or Navidrome's JWT.
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	IDToken      string    `json:"id_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	// SubsonicSalt and SubsonicToken (md5 of password+salt) let a Navidrome
	// session be checked and used without the password.
	SubsonicSalt  string `json:"subsonic_salt,omitempty"`
	SubsonicToken string `json:"subsonic_token,omitempty"`
}

// String prints who the session is for, never its tokens.
func (s Session) String() string {
	return fmt.Sprintf("Session{%s user:%q server:%q expiry:%s tokens:[redacted]}", s.Method, s.Username, s.Server, s.Expiry.Format(time.RFC3339))
}

// GoString keeps %#v redacted too.
func (s Session) GoString() string { return s.String() }

// LogValue keeps slog redacted too.
func (s Session) LogValue() slog.Value { return slog.StringValue(s.String()) }

// ErrNotFound means no session is stored.
var ErrNotFound = errors.New("no stored session")

// Store keeps at most one session: the person signed in on this account.
type Store interface {
	Load() (*Session, error) // ErrNotFound when there is none
	Save(*Session) error
	Delete() error
	// Remembers reports whether sessions outlive the process.
	Remembers() bool
}

// Memory is a Store that forgets everything when the process ends.
type Memory struct {
	mu sync.Mutex
	s  *Session
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{} }

// Load returns the held session.
func (m *Memory) Load() (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s == nil {
		return nil, ErrNotFound
	}
	c := *m.s
	return &c, nil
}

// Save holds a copy of s.
func (m *Memory) Save(s *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := *s
	m.s = &c
	return nil
}

// Delete forgets the session.
func (m *Memory) Delete() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s = nil
	return nil
}

// Remembers is false: memory dies with the process.
func (m *Memory) Remembers() bool { return false }

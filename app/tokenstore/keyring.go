package tokenstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/zalando/go-keyring"
)

// Backend is the keyring API ssotray uses; go-keyring's package functions
// satisfy it through System.
type Backend interface {
	Set(service, user, secret string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// System is the operating system's keyring.
type System struct{}

func (System) Set(service, user, secret string) error { return keyring.Set(service, user, secret) }
func (System) Get(service, user string) (string, error) {
	if secret, ok := quickGet(service, user); ok {
		return secret, nil
	}
	return keyring.Get(service, user)
}
func (System) Delete(service, user string) error { return keyring.Delete(service, user) }

// SmallEntry is the most bytes written to one keyring entry on Windows and
// macOS: Windows refuses secrets over 2560 bytes and macOS about 3000 (after
// go-keyring's base64), so a large session (an ID token with many groups)
// is split into parts there.
const SmallEntry = 1800

// MaxEntryFor is the entry size for the keyring of goos. The Secret Service
// (Linux, BSD) has no such limit, and every part costs a D-Bus round trip
// on each read and several on each write, so the session stays whole there.
func MaxEntryFor(goos string) int {
	switch goos {
	case "windows", "darwin", "ios":
		return SmallEntry
	}
	return 1 << 20
}

// Keyring is a Store in the OS keyring under one service and account.
type Keyring struct {
	Backend  Backend
	Service  string        // Service; tests use names of their own
	Account  string        // whose entry: the session's or doctor's probe
	MaxEntry int           // bytes in one entry before the session is split; 0 means SmallEntry
	Timeout  time.Duration // a locked keyring may prompt and wait; 0 means 30s
	// PendingWait is how long Delete waits for earlier writes that timed
	// out to finish; 0 means 5s. A write that lands later still is
	// followed by the latest Save or Delete again (see landed).
	PendingWait time.Duration

	op      sync.Mutex // one Save or Delete (or follow-up) at a time in this process
	mu      sync.Mutex // guards the fields below
	seq     uint64     // counts Saves and Deletes, in the order they began
	last    *Session   // what the last of them wrote; nil after a Delete
	pending map[*pendingWrite]struct{}
}

// pendingWrite is a keyring write that timed out but may still land: the
// Secret Service goes on waiting at its unlock prompt after ssotray has
// given up, and writes when the person unlocks it.
type pendingWrite struct {
	landed chan struct{} // closed once the write has returned
	seq    uint64        // of the Save it belongs to
}

// Service is the keyring service every entry of ssotray's is filed under,
// so that seahorse or secret-tool show them together.
const Service = "ssotray"

// NewKeyring stores the session in the system keyring.
func NewKeyring() *Keyring { return newSystem("session") }

// NewProbe is an entry beside the session's that doctor may write and
// remove, so that checking the keyring never touches the session.
func NewProbe() *Keyring { return newSystem("doctor-probe") }

func newSystem(account string) *Keyring {
	return &Keyring{Backend: System{}, Service: Service, Account: account, MaxEntry: MaxEntryFor(runtime.GOOS)}
}

// UnavailableError means the keyring could not be used at all.
type UnavailableError struct{ Err error }

func (e *UnavailableError) Error() string {
	why, fix := describeKeyringError(e.Err)
	return "the system keyring is not available (" + why + "); " + fix
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// describeKeyringError says why the keyring failed and what to do.
func describeKeyringError(err error) (why, fix string) {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "org.freedesktop.secrets") || strings.Contains(msg, "not activatable") || strings.Contains(msg, "ServiceUnknown"):
		return "no Secret Service such as gnome-keyring or KWallet is running", "install and start one (gnome-keyring, KWallet) in your desktop session"
	case strings.Contains(msg, "unlock"), strings.Contains(msg, "locked"):
		return "the keyring is locked: " + msg, "unlock it (your desktop asks for its password) and try again"
	case strings.Contains(msg, "DBUS_SESSION_BUS_ADDRESS"), strings.Contains(msg, "dbus"), strings.Contains(msg, "D-Bus"):
		return "no D-Bus session: " + msg, "run ssotray in your desktop session (or with its DBUS_SESSION_BUS_ADDRESS)"
	}
	return msg, "check that the system keyring works (`ssotray doctor`)"
}

// Remembers is true: the keyring outlives the process.
func (k *Keyring) Remembers() bool { return true }

// call bounds a keyring call: a locked collection makes the Secret Service
// show an unlock prompt and wait for the person.
func (k *Keyring) call(f func() error) error { return k.bounded(f, false) }

// write is call for a write, which is remembered as pending when it times
// out, so that a later Delete can make sure it does not land after it.
func (k *Keyring) write(f func() error) error { return k.bounded(f, true) }

func (k *Keyring) bounded(f func() error, write bool) error {
	timeout := k.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	var (
		mu       sync.Mutex
		finished bool
		pw       *pendingWrite // set when the call timed out
	)
	done := make(chan error, 1)
	go func() {
		err := f()
		mu.Lock()
		finished = true
		late := pw
		mu.Unlock()
		if late != nil {
			k.landed(late)
		}
		done <- err
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
	}
	mu.Lock()
	defer mu.Unlock()
	if finished { // it returned just as time ran out
		return <-done
	}
	if write {
		k.mu.Lock()
		pw = &pendingWrite{landed: make(chan struct{}), seq: k.seq}
		if k.pending == nil {
			k.pending = map[*pendingWrite]struct{}{}
		}
		k.pending[pw] = struct{}{}
		k.mu.Unlock()
	}
	return fmt.Errorf("the keyring did not answer within %s (is an unlock prompt waiting?)", timeout)
}

// landed is told that a write that had timed out has returned after all.
// If a Save or Delete began after the one it belongs to, the late write may
// have put back what that later one removed or replaced (a signed-out
// session above all): the latest one is done again, in the background.
func (k *Keyring) landed(pw *pendingWrite) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.pending, pw)
	close(pw.landed)
	if pw.seq == k.seq {
		return
	}
	go func() {
		k.op.Lock()
		defer k.op.Unlock()
		k.mu.Lock()
		last := k.last
		k.mu.Unlock()
		if last == nil {
			_ = k.remove()
		} else {
			_ = k.save(last)
		}
	}()
}

func (k *Keyring) get(account string) (string, error) {
	var v string
	err := k.call(func() (err error) { v, err = k.Backend.Get(k.Service, account); return err })
	return v, err
}

// part names entry i of a slot. A large session alternates between two
// slots, so a new one is written beside the old and the head switches over
// in one write: a reader never sees half of each.
func (k *Keyring) part(slot string, i int) string {
	return k.Account + "." + slot + ".part" + strconv.Itoa(i)
}

var slots = [2]string{"a", "b"}

// The head entry holds either the whole session JSON or "parts:N:SLOT".
const partsPrefix = "parts:"

// parts reads the head's part count and slot; ok is false for a head that
// holds the session itself.
func parts(head string) (n int, slot string, ok bool) {
	rest, found := strings.CutPrefix(head, partsPrefix)
	if !found {
		return 0, "", false
	}
	count, slot, _ := strings.Cut(rest, ":")
	n, err := strconv.Atoi(count)
	return n, slot, err == nil && n > 0 && (slot == slots[0] || slot == slots[1])
}

// Load reads the stored session. A read that overlaps a Save in another
// process can find a slot half rewritten; it is read again.
func (k *Keyring) Load() (*Session, error) {
	var err error
	// Each torn read waits twice as long as the last (up to about half a
	// second in all), so a reader gets between the saves of a busy writer.
	for wait := time.Millisecond; wait <= 256*time.Millisecond; wait *= 2 {
		if err != nil {
			time.Sleep(wait)
		}
		var data string
		if data, err = k.read(); errors.Is(err, errPartMissing) {
			continue
		} else if err != nil {
			return nil, err
		}
		var s Session
		if err = json.Unmarshal([]byte(data), &s); err == nil {
			return &s, nil
		}
		err = fmt.Errorf("the stored session cannot be read (%v); sign in again", err)
	}
	return nil, err
}

var errPartMissing = errors.New("the stored session is incomplete; sign in again")

func (k *Keyring) read() (string, error) {
	head, err := k.get(k.Account)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", &UnavailableError{Err: err}
	}
	n, slot, ok := parts(head)
	if !ok {
		return head, nil
	}
	var b strings.Builder
	for i := 1; i <= n; i++ {
		p, err := k.get(k.part(slot, i))
		if errors.Is(err, keyring.ErrNotFound) {
			return "", fmt.Errorf("%w (part %d of %d is missing)", errPartMissing, i, n)
		}
		if err != nil {
			return "", &UnavailableError{Err: err}
		}
		b.WriteString(p)
	}
	return b.String(), nil
}

// Save writes s, in parts when it is larger than k.MaxEntry.
func (k *Keyring) Save(s *Session) error {
	k.op.Lock()
	defer k.op.Unlock()
	k.mu.Lock()
	k.seq++
	k.last = s
	k.mu.Unlock()
	return k.save(s)
}

func (k *Keyring) save(s *Session) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	oldN, oldSlot := 0, ""
	if head, err := k.get(k.Account); err == nil {
		oldN, oldSlot, _ = parts(head)
	}
	maxEntry := k.MaxEntry
	if maxEntry <= 0 {
		maxEntry = SmallEntry
	}
	pieces := split(string(data), maxEntry)
	head := pieces[0]
	if len(pieces) > 1 {
		slot := slots[0]
		if oldSlot == slots[0] {
			slot = slots[1]
		}
		for i, p := range pieces {
			if err := k.write(func() error { return k.Backend.Set(k.Service, k.part(slot, i+1), p) }); err != nil {
				k.sweep(slot)
				return &UnavailableError{Err: err}
			}
		}
		head = partsPrefix + strconv.Itoa(len(pieces)) + ":" + slot
	}
	if err := k.write(func() error { return k.Backend.Set(k.Service, k.Account, head) }); err != nil {
		return &UnavailableError{Err: err}
	}
	for i := 1; i <= oldN; i++ {
		_ = k.call(func() error { return k.Backend.Delete(k.Service, k.part(oldSlot, i)) })
	}
	return nil
}

// split cuts s into pieces of at most max bytes on UTF-8 boundaries, since
// the Secret Service carries secrets as D-Bus strings.
func split(s string, max int) []string {
	var out []string
	for len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return append(out, s)
}

// sweep deletes a slot's parts until one is missing.
func (k *Keyring) sweep(slot string) {
	for i := 1; ; i++ {
		err := k.call(func() error { return k.Backend.Delete(k.Service, k.part(slot, i)) })
		if err != nil {
			return
		}
	}
}

// Delete removes the session and every part, including parts a crash left
// behind without a head. A write of this Keyring that timed out earlier
// could still land afterwards and bring the session back: Delete first
// waits for such writes (up to PendingWait), and one that lands later
// still is followed by another delete (or by the Save that came after).
func (k *Keyring) Delete() error {
	k.op.Lock()
	defer k.op.Unlock()
	k.waitPending()
	k.mu.Lock()
	k.seq++
	k.last = nil
	k.mu.Unlock()
	return k.remove()
}

// waitPending waits until the writes pending now have landed, or
// PendingWait has passed.
func (k *Keyring) waitPending() {
	k.mu.Lock()
	var waits []chan struct{}
	for pw := range k.pending {
		waits = append(waits, pw.landed)
	}
	k.mu.Unlock()
	if len(waits) == 0 {
		return
	}
	wait := k.PendingWait
	if wait == 0 {
		wait = 5 * time.Second
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for _, w := range waits {
		select {
		case <-w:
		case <-timer.C:
			return
		}
	}
}

// remove deletes the head and both slots' parts.
func (k *Keyring) remove() error {
	err := k.call(func() error { return k.Backend.Delete(k.Service, k.Account) })
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return &UnavailableError{Err: err}
	}
	for _, slot := range slots {
		k.sweep(slot)
	}
	return nil
}

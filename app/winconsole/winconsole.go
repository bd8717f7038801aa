// Package winconsole gives ssotray's verbs a console on Windows.
//
// ssotray.exe is a GUI-subsystem program (-H=windowsgui), so that starting
// it from the Start menu or at sign-in opens no console window. Windows
// then gives it no console and, from cmd.exe or PowerShell without
// redirection, no standard handles either: a verb would print nothing.
// Attach, called before anything prints, attaches a verb to the console of
// the program that started it (AttachConsole(ATTACH_PARENT_PROCESS)) and
// points the standard streams that have no handle at it (CONIN$, CONOUT$).
// Streams that already work (redirected to a pipe or a file, as
// PowerShell's $(...) does) are kept. Without a parent console (the Start
// menu, autostart, Explorer) nothing happens. On other systems Attach does
// nothing.
package winconsole

import (
	"errors"
	"fmt"
	"strings"
)

// Stream is one of the three standard streams.
type Stream int

const (
	Stdin Stream = iota
	Stdout
	Stderr
)

var streamNames = [...]string{"stdin", "stdout", "stderr"}

func (s Stream) String() string {
	if s < 0 || int(s) >= len(streamNames) {
		return fmt.Sprintf("stream(%d)", int(s))
	}
	return streamNames[s]
}

// Action is what Attach did.
type Action string

const (
	// NotWindows: the standard streams are left alone (not Windows).
	NotWindows Action = "none (not Windows)"
	// NotAVerb: the tray or the window was asked for; they want no console.
	NotAVerb Action = "none (not a verb)"
	// Inherited: stdin, stdout and stderr all have working handles.
	Inherited Action = "none (standard handles inherited)"
	// NoConsole: a stream had no handle, and the parent has no console to
	// attach to (the Start menu, autostart, Explorer).
	NoConsole Action = "none (no parent console)"
	// Attached: attached to the parent's console; Reopened lists the
	// streams now pointed at it.
	Attached Action = "attached to the parent's console"
)

// Report says what Attach found and did; main logs it with SSOTRAY_DEBUG.
type Report struct {
	Action Action
	// Valid says which streams had a working handle at start (Windows only).
	Valid [3]bool
	// Reopened are the streams pointed at the attached console.
	Reopened []Stream
	// Err is why there was no console to attach to, or why a stream could
	// not be reopened.
	Err error
}

// LogAttrs are the report as slog key-value pairs.
func (r Report) LogAttrs() []any {
	attrs := []any{"action", string(r.Action)}
	if r.Action != NotWindows {
		var valid []string
		for s, ok := range r.Valid {
			if ok {
				valid = append(valid, Stream(s).String())
			}
		}
		attrs = append(attrs, "valid", strings.Join(valid, ","))
	}
	if len(r.Reopened) > 0 {
		var names []string
		for _, s := range r.Reopened {
			names = append(names, s.String())
		}
		attrs = append(attrs, "reopened", strings.Join(names, ","))
	}
	if r.Err != nil {
		attrs = append(attrs, "err", r.Err.Error())
	}
	return attrs
}

// system is what Attach needs of Windows; tests inject their own.
type system interface {
	// Valid reports whether the stream's standard handle works: a console,
	// a pipe, a file or the NUL device.
	Valid(Stream) bool
	// AttachParent is AttachConsole(ATTACH_PARENT_PROCESS).
	AttachParent() error
	// Reopen points the stream at the attached console: CONIN$ for stdin,
	// CONOUT$ for the others (the standard handle and os.Stdin, os.Stdout
	// or os.Stderr).
	Reopen(Stream) error
}

// attach decides and does: verb says whether the command line asks for a
// verb (or help, or a usage error: anything that prints and exits).
func attach(sys system, verb bool) Report {
	var r Report
	for s := range r.Valid {
		r.Valid[s] = sys.Valid(Stream(s))
	}
	if !verb {
		r.Action = NotAVerb
		return r
	}
	if r.Valid == [3]bool{true, true, true} {
		r.Action = Inherited
		return r
	}
	if err := sys.AttachParent(); err != nil {
		r.Action, r.Err = NoConsole, err
		return r
	}
	r.Action = Attached
	var errs []error
	for s, ok := range r.Valid {
		if ok {
			continue
		}
		if err := sys.Reopen(Stream(s)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", Stream(s), err))
			continue
		}
		r.Reopened = append(r.Reopened, Stream(s))
	}
	r.Err = errors.Join(errs...)
	return r
}

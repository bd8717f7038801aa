package winconsole

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// fakeSystem stands in for Windows: which handles work, whether there is a
// parent console, and which streams fail to reopen; it records the calls.
type fakeSystem struct {
	valid      [3]bool
	attachErr  error
	reopenErrs map[Stream]error
	calls      []string
}

func (f *fakeSystem) Valid(s Stream) bool { return f.valid[s] }

func (f *fakeSystem) AttachParent() error {
	f.calls = append(f.calls, "attach")
	return f.attachErr
}

func (f *fakeSystem) Reopen(s Stream) error {
	f.calls = append(f.calls, "reopen "+s.String())
	return f.reopenErrs[s]
}

// errAccessDenied is what AttachConsole reports when the parent has no
// console (or this process has one already).
var errAccessDenied = errors.New("Access is denied.")

func TestAttachDecides(t *testing.T) {
	none, all := [3]bool{}, [3]bool{true, true, true}
	for _, tc := range []struct {
		name         string
		verb         bool
		sys          fakeSystem
		action       Action
		calls        []string
		reopened     []Stream
		wantErr      string
		wantLogValid string
	}{{
		name: "the tray from the Start menu", verb: false, sys: fakeSystem{valid: none},
		action: NotAVerb,
	}, {
		name: "the tray from a terminal", verb: false, sys: fakeSystem{valid: all},
		action: NotAVerb, wantLogValid: "stdin,stdout,stderr",
	}, {
		name: "a verb with every stream redirected (a script, Wine)", verb: true, sys: fakeSystem{valid: all},
		action: Inherited, wantLogValid: "stdin,stdout,stderr",
	}, {
		name: "a verb typed in cmd.exe", verb: true, sys: fakeSystem{valid: none},
		action: Attached, calls: []string{"attach", "reopen stdin", "reopen stdout", "reopen stderr"},
		reopened: []Stream{Stdin, Stdout, Stderr},
	}, {
		name: "PowerShell's $(ssotray token): stdout is a pipe", verb: true, sys: fakeSystem{valid: [3]bool{false, true, false}},
		action: Attached, calls: []string{"attach", "reopen stdin", "reopen stderr"},
		reopened: []Stream{Stdin, Stderr}, wantLogValid: "stdout",
	}, {
		name: "ssotray token >file in cmd.exe: stdout is a file", verb: true, sys: fakeSystem{valid: [3]bool{true, true, false}},
		action: Attached, calls: []string{"attach", "reopen stderr"},
		reopened: []Stream{Stderr}, wantLogValid: "stdin,stdout",
	}, {
		name: "a verb from a shortcut or a scheduled task: no parent console", verb: true,
		sys:    fakeSystem{valid: none, attachErr: errAccessDenied},
		action: NoConsole, calls: []string{"attach"}, wantErr: "Access is denied.",
	}, {
		name: "a stream that cannot be reopened is reported, the others still are", verb: true,
		sys:    fakeSystem{valid: none, reopenErrs: map[Stream]error{Stdin: errors.New("The handle is invalid.")}},
		action: Attached, calls: []string{"attach", "reopen stdin", "reopen stdout", "reopen stderr"},
		reopened: []Stream{Stdout, Stderr}, wantErr: "stdin: The handle is invalid.",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			sys := tc.sys
			r := attach(&sys, tc.verb)
			if r.Action != tc.action {
				t.Errorf("action %q, want %q", r.Action, tc.action)
			}
			if !slices.Equal(sys.calls, tc.calls) {
				t.Errorf("calls %q, want %q", sys.calls, tc.calls)
			}
			if !slices.Equal(r.Reopened, tc.reopened) {
				t.Errorf("reopened %v, want %v", r.Reopened, tc.reopened)
			}
			if r.Valid != sys.valid {
				t.Errorf("valid %v, want %v", r.Valid, sys.valid)
			}
			gotErr := ""
			if r.Err != nil {
				gotErr = r.Err.Error()
			}
			if gotErr != tc.wantErr {
				t.Errorf("err %q, want %q", gotErr, tc.wantErr)
			}
			log := fmt.Sprint(r.LogAttrs()...)
			if !strings.Contains(log, "action"+string(tc.action)) || !strings.Contains(log, "valid"+tc.wantLogValid) {
				t.Errorf("log attributes %v do not report action %q, valid %q", r.LogAttrs(), tc.action, tc.wantLogValid)
			}
			if tc.wantErr != "" && !strings.Contains(log, tc.wantErr) {
				t.Errorf("log attributes %v do not report %q", r.LogAttrs(), tc.wantErr)
			}
		})
	}
}

func TestStreamNames(t *testing.T) {
	for s, want := range map[Stream]string{Stdin: "stdin", Stdout: "stdout", Stderr: "stderr", 3: "stream(3)", -1: "stream(-1)"} {
		if s.String() != want {
			t.Errorf("Stream(%d) = %q, want %q", int(s), s.String(), want)
		}
	}
}

package winconsole

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/ssotray/ssotray/app/tempdir"
)

// These run the real Windows calls: on Windows, or under Wine (the test
// binary cross-built with GOOS=windows go test -c).

func TestValidHandle(t *testing.T) {
	if validHandle(0) || validHandle(windows.InvalidHandle) {
		t.Error("a NULL or INVALID_HANDLE_VALUE handle counts as valid")
	}
	f, err := os.Create(filepath.Join(tempdir.New(t), "f"))
	if err != nil {
		t.Fatal(err)
	}
	h := windows.Handle(f.Fd())
	if !validHandle(h) {
		t.Error("an open file's handle does not count as valid")
	}
	// The current process's pseudo-handle is a handle, but no stream.
	if validHandle(windows.CurrentProcess()) {
		t.Error("a process handle counts as a valid stream")
	}
	f.Close()
}

// childEnv makes the test binary, started again, run child instead of the
// tests.
const childEnv = "WINCONSOLE_TEST_CHILD"

func TestMain(m *testing.M) {
	if out := os.Getenv(childEnv); out != "" {
		os.Exit(child(out))
	}
	os.Exit(m.Run())
}

// child runs Attach as ssotray.exe's main does, writes the report to the
// file out, then a line to stdout and one to stderr.
func child(out string) int {
	r := Attach(true)
	rep := childReport{Action: r.Action, Valid: r.Valid}
	for _, s := range r.Reopened {
		rep.Reopened = append(rep.Reopened, s.String())
	}
	if r.Err != nil {
		rep.Err = r.Err.Error()
	}
	if _, err := fmt.Fprintln(os.Stdout, "to stdout"); err != nil {
		rep.WriteErr = append(rep.WriteErr, "stdout: "+err.Error())
	}
	if _, err := fmt.Fprintln(os.Stderr, "to stderr"); err != nil {
		rep.WriteErr = append(rep.WriteErr, "stderr: "+err.Error())
	}
	b, _ := json.Marshal(rep)
	if err := os.WriteFile(out, b, 0o600); err != nil {
		return 3
	}
	return 7 // the exit code comes through
}

type childReport struct {
	Action   Action
	Valid    [3]bool
	Reopened []string
	Err      string
	WriteErr []string
}

// runChild starts the test binary as a process without a console of its
// own (DETACHED_PROCESS, as a GUI program is), with the given standard
// handles (0: none, as cmd.exe gives a GUI program), and returns its
// report.
func runChild(t *testing.T, stdin, stdout, stderr syscall.Handle) childReport {
	t.Helper()
	out := filepath.Join(tempdir.New(t), "report.json")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	pid, h, err := syscall.StartProcess(exe, []string{exe}, &syscall.ProcAttr{
		Env:   append(os.Environ(), childEnv+"="+out),
		Files: []uintptr{uintptr(stdin), uintptr(stdout), uintptr(stderr)},
		Sys:   &syscall.SysProcAttr{CreationFlags: windows.DETACHED_PROCESS},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.CloseHandle(syscall.Handle(h))
	if _, err := syscall.WaitForSingleObject(syscall.Handle(h), syscall.INFINITE); err != nil {
		t.Fatal(err)
	}
	var code uint32
	if err := syscall.GetExitCodeProcess(syscall.Handle(h), &code); err != nil {
		t.Fatal(err)
	}
	if code != 7 {
		t.Fatalf("child %d exited with %d, want 7", pid, code)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep childReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	t.Logf("child: %+v", rep)
	return rep
}

// TestAttachWithoutHandles: as from cmd.exe, no standard handle at all.
// When this test has a console (a terminal; Wine run from one), the child
// attaches to it and reopens all three streams, and writing to them works;
// with none, it reports that and changes nothing.
func TestAttachWithoutHandles(t *testing.T) {
	rep := runChild(t, 0, 0, 0)
	if rep.Valid != [3]bool{} {
		t.Errorf("valid %v, want no stream valid", rep.Valid)
	}
	switch rep.Action {
	case Attached:
		if want := []string{"stdin", "stdout", "stderr"}; !slices.Equal(rep.Reopened, want) || rep.Err != "" || len(rep.WriteErr) != 0 {
			t.Errorf("attached, but reopened %v (want %v), err %q, writing: %v", rep.Reopened, want, rep.Err, rep.WriteErr)
		}
	case NoConsole:
		if hasConsole() {
			t.Errorf("no parent console, though this process has one: %s", rep.Err)
		}
		if rep.Err == "" || len(rep.Reopened) != 0 {
			t.Errorf("no console: err %q, reopened %v", rep.Err, rep.Reopened)
		}
	default:
		t.Errorf("action %q", rep.Action)
	}
}

// TestAttachKeepsAPipe: as PowerShell's $(ssotray token), stdout is a pipe:
// it stays the pipe (the line arrives there), only the others may be
// reopened.
func TestAttachKeepsAPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// The child gets a duplicate; this copy is closed so the read ends.
	rep := runChild(t, 0, syscall.Handle(w.Fd()), 0)
	w.Close()
	if rep.Valid != [3]bool{false, true, false} {
		t.Errorf("valid %v, want stdout only", rep.Valid)
	}
	if rep.Action == Attached && slices.Contains(rep.Reopened, "stdout") {
		t.Errorf("stdout, a pipe, was reopened: %v", rep.Reopened)
	}
	if rep.Action != Attached && rep.Action != NoConsole {
		t.Errorf("action %q", rep.Action)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if strings.TrimSpace(line) != "to stdout" {
		t.Errorf("read %q from the pipe (%v), want the child's line", line, err)
	}
}

// hasConsole reports whether this process has a console.
func hasConsole() bool {
	r, _, _ := windows.NewLazySystemDLL("kernel32.dll").NewProc("GetConsoleWindow").Call()
	if r != 0 {
		return true
	}
	var mode uint32
	h, err := windows.CreateFile(windows.StringToUTF16Ptr("CONOUT$"), windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	return windows.GetConsoleMode(h, &mode) == nil
}

// Attach(false), as the tray starts: nothing is touched.
func TestAttachNotAVerb(t *testing.T) {
	stdout := os.Stdout
	if r := Attach(false); r.Action != NotAVerb || r.Reopened != nil {
		t.Errorf("Attach(false) = %+v", r)
	}
	if os.Stdout != stdout {
		t.Error("Attach(false) changed os.Stdout")
	}
}

package instance

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestBorrow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ssotray.sock")
	if _, err := Borrow(path, Token, time.Second); err == nil {
		t.Fatal("borrowed with no instance running")
	}
	in, err := Claim(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if got, err := Borrow(path, Token, time.Second); !errors.Is(err, ErrNothingLent) {
		t.Fatalf("before Lend: %q %v, want ErrNothingLent", got, err)
	}
	long := strings.Repeat("x", 8<<10) // an ID token with many groups
	in.Lend(func(m Message) (string, bool) {
		switch m {
		case Token:
			return `{"token":"at"}`, true
		case IDToken:
			return long, true
		}
		return "", false
	})
	tests := []struct {
		m    Message
		want string
	}{{Token, `{"token":"at"}`}, {IDToken, long}}
	for _, tc := range tests {
		if got, err := Borrow(path, tc.m, time.Second); err != nil || got != tc.want {
			t.Errorf("Borrow(%s) = %.40q %v, want %.40q", tc.m, got, err, tc.want)
		}
	}
	in.Lend(func(Message) (string, bool) { return "two\nlines", true })
	if got, err := Borrow(path, Token, time.Second); !errors.Is(err, ErrNothingLent) {
		t.Errorf("a line with a newline was lent as %q %v", got, err)
	}
	in.Lend(func(Message) (string, bool) { return "", false })
	if got, err := Borrow(path, Token, time.Second); !errors.Is(err, ErrNothingLent) {
		t.Errorf("nothing to lend: %q %v", got, err)
	}
}

// Another user who reaches the socket (a directory opened up by mistake)
// gets "no": the instance asks the kernel who is asking.
func TestBorrowFromAnotherUser(t *testing.T) {
	if os.Getenv("SSOTRAY_TEST_BORROW_AS_OTHER") != "" {
		got, err := Borrow(os.Getenv("SSOTRAY_TEST_BORROW_AS_OTHER"), Token, time.Second)
		fmt.Printf("uid %d borrowed %q %v\n", os.Getuid(), got, err)
		return
	}
	if runtime.GOOS != "linux" || os.Getuid() != 0 {
		t.Skip("needs root to run a client as another user, and SO_PEERCRED (Linux)")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ssotray.sock")
	in, err := Claim(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	in.Lend(func(Message) (string, bool) { return "secret-token", true })
	for _, p := range []string{filepath.Dir(dir), dir, path} {
		if err := os.Chmod(p, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	// The test binary's own directory is closed to the other user.
	bin, err := os.ReadFile(os.Args[0])
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "client"), bin, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(dir, "client"), "-test.run=^TestBorrowFromAnotherUser$")
	cmd.Env = append(os.Environ(), "SSOTRAY_TEST_BORROW_AS_OTHER="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the other user's client: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "uid 65534 borrowed \"\" "+ErrNothingLent.Error()) {
		t.Errorf("the other user's client says:\n%s", out)
	}
	if got, err := Borrow(path, Token, time.Second); err != nil || got != "secret-token" {
		t.Errorf("this user: %q %v", got, err)
	}
}

// A tray that takes the connection but never answers (stopped, say) costs
// `ssotray token` the wait, no more; then it reads the keyring.
func TestBorrowFromASilentInstance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ssotray.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			defer c.Close()
			time.Sleep(5 * time.Second)
		}
	}()
	start := time.Now()
	if got, err := Borrow(path, Token, 200*time.Millisecond); err == nil {
		t.Fatalf("borrowed %q from an instance that said nothing", got)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Borrow took %s with a wait of 200ms", took)
	}
}

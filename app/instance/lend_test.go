package instance

import (
	"errors"
	"net"
	"path/filepath"
	"strings"
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

package doctor

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/tokenstore"
)

// silentServer accepts connections and never answers a byte: a server
// that hangs, or a firewall that swallows the reply.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// stuckStore is a keyring waiting at an unlock prompt nobody answers.
type stuckStore struct {
	tokenstore.Memory
	release chan struct{}
}

func (s *stuckStore) Save(*tokenstore.Session) error { <-s.release; return nil }

// TestRunIsBounded: a server that accepts and never answers, and a keyring
// that never answers, cannot hold doctor longer than its limits, whatever
// HTTP client it is given.
func TestRunIsBounded(t *testing.T) {
	url := silentServer(t)
	cfg := config.Default()
	cfg.Path = "test.yaml"
	cfg.Authentik.ServerURL = url
	cfg.Navidrome = config.Navidrome{Enabled: true, ServerURL: url}
	cfg.Authentik.CallbackPorts = []int{0} // no port probing: only the hanging requests
	stuck := &stuckStore{release: make(chan struct{})}
	t.Cleanup(func() { close(stuck.release) })
	for _, tc := range []struct {
		name string
		deps Deps
		want []string // checks that must fail
	}{
		{"no client: each request is bounded", Deps{RequestTimeout: 200 * time.Millisecond}, []string{"health", "discovery", "navidrome"}},
		{"a client without a timeout gets one", Deps{HTTPClient: &http.Client{}, RequestTimeout: 200 * time.Millisecond}, []string{"health", "discovery", "navidrome"}},
		{"the whole run is bounded", Deps{HTTPClient: &http.Client{}, RequestTimeout: time.Hour, Timeout: 300 * time.Millisecond}, []string{"provider", "navidrome"}},
		{"a keyring that never answers", Deps{RequestTimeout: 100 * time.Millisecond, Timeout: 2 * time.Second, Keyring: stuck}, []string{"keyring"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan []Finding, 1)
			go func() { done <- Run(context.Background(), &cfg, tc.deps) }()
			var fs []Finding
			select {
			case fs = <-done:
			case <-time.After(30 * time.Second): // generous for a busy machine; the limits are far below it
				t.Fatal("doctor still runs after 30 s against a server that never answers")
			}
			for _, check := range tc.want {
				if f := findLevel(fs, check, Fail); f.Level != Fail {
					t.Errorf("no failed %q check:\n%s", check, dump(fs))
				}
			}
			if f := find(fs, "browser"); f.Level < 0 {
				t.Errorf("the run stopped before its last check:\n%s", dump(fs))
			}
			if strings.Contains(dump(fs), "did not finish") != (tc.deps.Timeout > 0) {
				t.Errorf("the run limit is reported only when it was reached:\n%s", dump(fs))
			}
		})
	}
}

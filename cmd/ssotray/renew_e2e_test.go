package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/tokenstore"
)

// Authentik rotates the refresh token on every renewal and refuses a
// rotated one. These tests renew one stored session from many processes at
// once, as scripts calling `ssotray token` in parallel do while the window
// renews in the background: everybody must get a working token, and the
// person must stay signed in.

// TestEightTokensAtOnce: eight `ssotray token` started together on a
// stored session whose access token has expired.
func TestEightTokensAtOnce(t *testing.T) {
	w := newWorld(t, 5*time.Minute)
	w.shareRuntimeDir()
	w.mustRun("login", "--timeout", "90s")
	s := stored(t)
	if s == nil || s.RefreshToken == "" {
		t.Fatalf("keyring holds %v after login", s)
	}
	// The access token is past its expiry as far as ssotray can tell.
	s.Expiry = time.Now().Add(-time.Minute)
	if err := tokenstore.NewKeyring().Save(s); err != nil {
		t.Fatal(err)
	}
	before := len(w.events("token"))

	w.checkTokens(w.runAtOnce(8, "token"), s)

	// Still signed in: the renewed session is in the keyring, and a ninth
	// `token` afterwards works.
	after := stored(t)
	if after == nil || after.Username != "alice" || after.RefreshToken == s.RefreshToken {
		t.Fatalf("after the eight: keyring holds %v, want alice's renewed session", after)
	}
	r := w.mustRun("token")
	if tok := strings.TrimSpace(r.stdout); tok != after.AccessToken || w.userinfo(tok) != http.StatusOK {
		t.Errorf("the ninth token %q does not work or is not the stored one", tok)
	}
	// One renewal served all eight: the others found it done already.
	if n := len(w.events("token")) - before; n != 1 {
		t.Errorf("%d refresh requests for eight processes, want 1 (the rest use the session the first one stored)", n)
	}
}

// TestEightTokensBesideTheWindow: the window renews in the background
// (every access token is due for renewal at once, so it renews every few
// seconds) while rounds of eight `ssotray token` renew too.
func TestEightTokensBesideTheWindow(t *testing.T) {
	w := newWorld(t, 30*time.Second) // always inside the refresh margin
	run := w.shareRuntimeDir()
	w.mustRun("login", "--timeout", "90s")
	s := stored(t)
	if s == nil || s.RefreshToken == "" {
		t.Fatalf("keyring holds %v after login", s)
	}
	// The same runtime directory as the eight: one user's processes.
	g := startGUI(t, w, "XDG_RUNTIME_DIR="+run)
	waitRenewed(t, s.RefreshToken, g) // the window restored and renewed it

	for round := range 3 {
		cur := stored(t)
		if cur == nil {
			t.Fatalf("round %d: signed out; the window's output:\n%s", round+1, g.out)
		}
		w.checkTokens(w.runAtOnce(8, "token"), cur)
		time.Sleep(2 * time.Second) // the window renews every 5 s meanwhile
	}
	r := w.run(nil, "token")
	if tok := strings.TrimSpace(r.stdout); r.code != 0 || w.userinfo(tok) != http.StatusOK {
		t.Fatalf("the ninth token: %+v", r)
	}
	// The window is still signed in: on its own it goes on renewing the
	// session, which a signed-out window would not.
	cur := stored(t)
	if cur == nil || cur.Username != "alice" {
		t.Fatalf("keyring holds %v, want alice's session; the window's output:\n%s", cur, g.out)
	}
	waitRenewed(t, cur.RefreshToken, g)
	if g.cmd.ProcessState != nil {
		t.Fatalf("the window quit: %s", g.out)
	}
	g.screenshot("renewed-beside-eight")
	if refused := w.events("refresh_refused"); len(refused) != 0 {
		t.Errorf("the provider refused %d renewals (Authentik logs each as a suspicious request): %v", len(refused), refused)
	}
}

// shareRuntimeDir gives every ssotray of the test one private
// XDG_RUNTIME_DIR of its own, as one user's processes share theirs.
func (w *world) shareRuntimeDir() string {
	dir := w.t.TempDir()
	w.env = append(w.env, "XDG_RUNTIME_DIR="+dir)
	return dir
}

// runAtOnce starts n ssotray processes with args together and waits for all.
func (w *world) runAtOnce(n int, args ...string) []result {
	w.t.Helper()
	results := make([]result, n)
	cmds := make([]*exec.Cmd, n)
	outs := make([][2]*bytes.Buffer, n)
	for i := range n {
		cmds[i] = exec.Command(bin.ssotray, append([]string{"--config", w.config}, args...)...)
		cmds[i].Env = w.env
		outs[i] = [2]*bytes.Buffer{{}, {}}
		cmds[i].Stdout, cmds[i].Stderr = outs[i][0], outs[i][1]
	}
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			w.t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(2 * time.Minute):
				_ = cmd.Process.Kill()
				err = <-done
			}
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				code = -1
			}
			results[i] = result{outs[i][0].String(), outs[i][1].String(), code}
		}()
	}
	wg.Wait()
	return results
}

// checkTokens: every process printed an access token that the provider
// accepts, and nothing else; no secret of s on stderr.
func (w *world) checkTokens(rs []result, s *tokenstore.Session) {
	w.t.Helper()
	for i, r := range rs {
		tok := strings.TrimSpace(r.stdout)
		if r.code != 0 || tok == "" || strings.Contains(tok, "\n") {
			w.t.Errorf("ssotray token #%d of %d: %+v", i+1, len(rs), r)
			continue
		}
		if code := w.userinfo(tok); code != http.StatusOK {
			w.t.Errorf("ssotray token #%d of %d printed a token the provider refuses (userinfo %d, %s)", i+1, len(rs), code, w.provider.TokenState(tok))
		}
		assertNoSecret(w.t, s, r.stderr)
	}
}

// userinfo is the provider's answer to the token, as an app would ask.
func (w *world) userinfo(token string) int {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.provider.URL()+"/application/o/userinfo/", nil)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitRenewed waits until the keyring holds a session renewed since the one
// with refresh token rt.
func waitRenewed(t *testing.T, rt string, g *gui) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		s := stored(t)
		if s != nil && s.RefreshToken != rt {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the window did not renew the session within 30s (keyring holds %v); its output:\n%s", s, fmt.Sprint(g.out))
		}
	}
}

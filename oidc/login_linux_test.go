package oidc_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/ssotray/ssotray/oidc"

	"github.com/ssotray/ssotray/oidc/oidctest"
)

// TestLoginRefusesAnotherUsersProgram: another user's program that reads
// the start URL from the browser's command line and fetches it before the
// browser does gets 403 and uses nothing up; the person still signs in.
// Root only: the other user's client runs as nobody.
func TestLoginRefusesAnotherUsersProgram(t *testing.T) {
	curl, err := exec.LookPath("curl")
	oidctest.NeedMachine(t, os.Getuid() == 0 && err == nil, "root and curl, to connect as another user")
	p := startProvider(t)
	c := discover(t, config(p))
	alice := newFormBrowser("alice", "alice-pw")
	var status string
	open := func(ctx context.Context, u string) (err error) {
		if status, err = fetchAsNobody(ctx, curl, u); err != nil {
			return err
		}
		return alice.open(ctx, u)
	}
	s, err := c.Login(context.Background(), oidc.LoginOptions{Timeout: 20 * time.Second, OpenBrowser: open})
	if err != nil {
		t.Fatal(err)
	}
	if status != "403" || s.Profile.Username != "alice" {
		t.Errorf("the other user's fetch answered %q (want 403); signed in as %q", status, s.Profile.Username)
	}
}

// TestEndSessionRefusesAnotherUsersProgram: the sign-out address (its
// redirect carries the ID token) gives another user's program nothing, and
// the person's browser still gets there. Root only, as above.
func TestEndSessionRefusesAnotherUsersProgram(t *testing.T) {
	curl, err := exec.LookPath("curl")
	oidctest.NeedMachine(t, os.Getuid() == 0 && err == nil, "root and curl, to connect as another user")
	p := startProvider(t)
	c := discover(t, config(p))
	b := newFormBrowser("alice", "alice-pw")
	s, err := login(t, c, b, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b.lastPage(t)
	var status string
	open := func(ctx context.Context, u string) (err error) {
		if status, err = fetchAsNobody(ctx, curl, u); err != nil {
			return err
		}
		return b.open(ctx, u)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.EndSession(ctx, s.Tokens.IDToken, open); err != nil {
		t.Fatal(err)
	}
	b.lastPage(t)
	if n := len(events(p, "end_session")); status != "403" || n != 1 {
		t.Errorf("the other user's fetch answered %q (want 403); %d end-session requests (want the browser's 1)", status, n)
	}
}

// fetchAsNobody fetches u with curl running as the user nobody (65534): a
// program of another user on this machine. It returns the HTTP status.
func fetchAsNobody(ctx context.Context, curl, u string) (string, error) {
	cmd := exec.CommandContext(ctx, curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", u)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("curl as nobody: %w", err)
	}
	return string(out), nil
}

package oidc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/ssotray/ssotray/oidc/oidctest"
)

// TestLoopbackPeerUID: the system names this process's user as the owner
// of its own loopback connection, and another user's, when root can run a
// client as nobody.
func TestLoopbackPeerUID(t *testing.T) {
	type owner struct {
		uid   int
		known bool
	}
	got := make(chan owner, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uid, known := requestPeerUID(r)
		got <- owner{uid, known}
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if o := <-got; !o.known || o.uid != os.Getuid() {
		t.Errorf("own connection: owner %d (known %v), want %d", o.uid, o.known, os.Getuid())
	}

	curl, err := exec.LookPath("curl")
	oidctest.NeedMachine(t, os.Getuid() == 0 && err == nil, "root and curl, to connect as another user")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, curl, "-s", "-o", "/dev/null", srv.URL)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("curl as nobody: %v %s", err, out)
	}
	if o := <-got; !o.known || o.uid != 65534 {
		t.Errorf("nobody's connection: owner %d (known %v), want 65534", o.uid, o.known)
	}
}

// A client gone from the kernel's table (it reset its connection after
// sending) is refused, not waved through as unknown.
func TestUnlistedPeerIsNobodyToTrust(t *testing.T) {
	local := netip.MustParseAddrPort("127.0.0.1:1")
	remote := netip.MustParseAddrPort("127.0.0.1:2") // no socket pair like this exists
	if uid, known := loopbackPeerUID(local, remote); !known || uid == os.Getuid() {
		t.Errorf("an unlisted connection: owner %d (known %v), want known and not this user", uid, known)
	}
}

package tokenstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/danieljoos/wincred"
	"github.com/zalando/go-keyring"
)

// The Windows Credential Manager refuses a secret over 2560 bytes
// (CRED_MAX_CREDENTIAL_BLOB_SIZE), so a large session is split there. These
// tests run the split against the real wincred backend: on Windows, or in
// the Wine prefix of `make test-windows`, which cross-compiles this package's
// tests and runs them with SSOTRAY_TEST_WINDOWS=1. Without it they skip:
// they write to the Credential Manager of whoever runs them.

const credBlobMax = 2560

func needWindowsCredentials(t *testing.T) {
	t.Helper()
	if os.Getenv("SSOTRAY_TEST_WINDOWS") != "1" {
		t.Skip("writes to this Windows' Credential Manager: needs SSOTRAY_TEST_WINDOWS=1 (make test-windows runs it under Wine)")
	}
}

// stored is every credential of service: target name -> secret.
func stored(t *testing.T, service string) map[string]string {
	t.Helper()
	creds, err := wincred.List()
	if err != nil {
		t.Fatalf("CredEnumerate: %v", err)
	}
	m := map[string]string{}
	for _, c := range creds {
		if strings.HasPrefix(c.TargetName, service+":") {
			m[c.TargetName] = string(c.CredentialBlob)
		}
	}
	return m
}

func TestWindowsCredentialManagerSplitsALargeSession(t *testing.T) {
	needWindowsCredentials(t)
	service := fmt.Sprintf("ssotray-test-%d", os.Getpid())
	k := NewKeyring()
	k.Service = service
	if k.MaxEntry != SmallEntry {
		t.Fatalf("NewKeyring on Windows writes entries of up to %d bytes, want %d", k.MaxEntry, SmallEntry)
	}
	t.Cleanup(func() { _ = k.Delete() })

	// What the split is for: one entry of the whole session is refused.
	in := bigSession(300)
	if err := (System{}).Set(service, "whole", strings.Repeat("x", credBlobMax+1)); !errors.Is(err, keyring.ErrSetDataTooBig) {
		t.Errorf("a %d-byte secret in one credential: %v, want %v", credBlobMax+1, err, keyring.ErrSetDataTooBig)
	}
	_ = (System{}).Delete(service, "whole")

	check := func(in *Session, wantParts int, slot string) {
		t.Helper()
		if err := k.Save(in); err != nil {
			t.Fatalf("Save: %v", err)
		}
		m := stored(t, service)
		if len(m) != wantParts+1 {
			t.Errorf("the session takes %d credentials (%v), want a head and %d parts", len(m), keys(m), wantParts)
		}
		for name, v := range m {
			if len(v) > SmallEntry || len(v) > credBlobMax {
				t.Errorf("%s holds %d bytes, over %d", name, len(v), SmallEntry)
			}
		}
		if head := m[service+":session"]; head != fmt.Sprintf("parts:%d:%s", wantParts, slot) {
			t.Errorf("head credential %q, want parts:%d:%s", head, wantParts, slot)
		}
		out, err := k.Load()
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if out.Name != in.Name || out.IDToken != in.IDToken || out.AccessToken != in.AccessToken ||
			strings.Join(out.Groups, ",") != strings.Join(in.Groups, ",") || !out.Expiry.Equal(in.Expiry) {
			t.Error("the session came back changed from the Credential Manager")
		}
	}
	parts := len(split(mustJSON(t, in), SmallEntry))
	if parts < 2 {
		t.Fatalf("test session of %d bytes fits one entry", len(mustJSON(t, in)))
	}
	check(in, parts, "a")
	// A new large session goes to the other slot, and the old parts go.
	in2 := bigSession(320)
	in2.Name = "Zoë the Second, 名前二"
	check(in2, len(split(mustJSON(t, in2), SmallEntry)), "b")

	// A small one is one credential again.
	small := bigSession(2)
	if err := k.Save(small); err != nil {
		t.Fatal(err)
	}
	if m := stored(t, service); len(m) != 1 || strings.HasPrefix(m[service+":session"], "parts:") {
		t.Errorf("a small session after a large one: credentials %v", keys(m))
	}

	if err := k.Save(in); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete(); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if m := stored(t, service); len(m) != 0 {
		t.Errorf("credentials left after Delete: %v", keys(m))
	}
	if _, err := k.Load(); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load after Delete: %v", err)
	}
}

func mustJSON(t *testing.T, s *Session) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

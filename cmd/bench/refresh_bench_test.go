package main

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc"
)

// The pieces of a silent refresh as Go benchmarks, for profiling
// (go test -bench Refresh -cpuprofile ...) where cmd/bench only gives the
// whole: the token request with its ID-token check, the same request
// bare, and the keyring write that follows it.

// refreshWorld is a provider, a session of ssotray's own making and a bare
// client, all in this process.
func refreshWorld(b *testing.B) (*oidc.Client, *tokenstore.Session, *direct, string) {
	b.Helper()
	ctx := context.Background()
	p, err := startProvider(5 * time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	cfg, err := writeConfig(b.TempDir(), "bench", p.URL(), "/bin/false")
	if err != nil {
		b.Fatal(err)
	}
	s, err := signIn(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	c, err := oidc.Discover(ctx, oidc.Config{ServerURL: p.URL(), Slug: "ssotray", ClientID: clientID})
	if err != nil {
		b.Fatal(err)
	}
	d, err := newDirect(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	t, err := d.signIn(ctx, func(u string) error { return newFormBrowser().open(ctx, u) })
	if err != nil {
		b.Fatal(err)
	}
	return c, s, d, t.RefreshToken
}

func BenchmarkRefresh(b *testing.B) {
	c, s, _, _ := refreshWorld(b)
	ctx := context.Background()
	rt := s.RefreshToken
	for b.Loop() {
		ns, err := c.Refresh(ctx, rt, oidc.Previous{Subject: s.Subject, AuthTime: s.AuthTime, IDToken: s.IDToken})
		if err != nil {
			b.Fatal(err)
		}
		rt = ns.Tokens.RefreshToken
	}
}

func BenchmarkBareRefresh(b *testing.B) {
	_, _, d, rt := refreshWorld(b)
	ctx := context.Background()
	for b.Loop() {
		var err error
		if rt, err = d.refresh(ctx, rt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKeyringSave needs a Secret Service: make bench runs it inside
// the desktop session, which has a fresh gnome-keyring.
func BenchmarkKeyringSave(b *testing.B) {
	if os.Getenv("SSOTRAY_TEST_DESKTOP") == "" {
		b.Skip("needs a Secret Service: run through `make bench`")
	}
	_, s, _, _ := refreshWorld(b)
	k := &tokenstore.Keyring{Backend: tokenstore.System{}, Service: "ssotray-bench", Account: "go-bench", MaxEntry: tokenstore.MaxEntryFor(runtime.GOOS)}
	b.Cleanup(func() { _ = k.Delete() })
	for b.Loop() {
		if err := k.Save(s); err != nil {
			b.Fatal(err)
		}
	}
}

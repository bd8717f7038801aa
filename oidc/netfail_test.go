package oidc_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ssotray/ssotray/oidc"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

// TestNetworkFailures: when the provider gives no answer, the message says
// why in words a person can act on, never the HTTP library's ("context
// deadline exceeded", "EOF", "x509: ..." alone), and TLS problems are not
// reported as an unreachable server.
func TestNetworkFailures(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler()) // its certificate is trusted by nobody
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)           // nor by this test's client: no noise
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-hang }))
	defer slow.Close()
	defer close(hang) // before the server's Close, which waits for the handler
	hangUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close() // no answer at all
		}
	}))
	defer hangUp.Close()
	noDNS := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, &net.DNSError{Err: "no such host", Name: "auth.example.invalid", IsNotFound: true}
	}}}

	for _, tt := range []struct {
		name   string
		server string
		client *http.Client
		tls    bool     // a *oidc.TLSError, else an *oidc.UnreachableError
		want   []string // in the message
	}{
		{name: "untrusted certificate", server: tlsSrv.URL, tls: true,
			want: []string{"the TLS certificate of " + tlsSrv.URL, "is not trusted", "add its CA to this computer's trusted certificates"}},
		{name: "plain HTTP behind https://", server: strings.Replace(plain.URL, "http://", "https://", 1), tls: true,
			want: []string{"answers plain HTTP, not HTTPS", "enable HTTPS on the server"}},
		{name: "no answer in time", server: slow.URL, client: &http.Client{Timeout: 200 * time.Millisecond},
			want: []string{"cannot reach the identity provider at " + slow.URL, "(timed out)", "check the server address"}},
		{name: "the connection closed without an answer", server: hangUp.URL,
			want: []string{"(the connection was closed without an answer)"}},
		{name: "a host name that does not resolve", server: "https://auth.example.invalid", client: noDNS,
			want: []string{"cannot reach the identity provider at https://auth.example.invalid", "(host name auth.example.invalid not found)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := oidc.Config{ServerURL: tt.server, Slug: "ssotray", ClientID: "ssotray", HTTPClient: tt.client}
			_, err := oidc.Discover(context.Background(), cfg)
			var te *oidc.TLSError
			var ue *oidc.UnreachableError
			if got := errors.As(err, &te); got != tt.tls || !tt.tls && !errors.As(err, &ue) {
				t.Fatalf("%T %v, want a TLS error: %v", err, err, tt.tls)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
			for _, noise := range []string{"context deadline exceeded", "Client.Timeout", ": EOF", "dial tcp", "Get \""} {
				if strings.Contains(err.Error(), noise) {
					t.Errorf("%q has the HTTP library's %q", err, noise)
				}
			}
		})
	}
}

// TestTokenEndpointAnswersAPage: a proxy in front of Authentik answers the
// token request with its own page (502 while Authentik is down, an SSO
// gateway's login page with 200). The message says so and what to check,
// not the OAuth library's "cannot parse json: invalid character '<'".
func TestTokenEndpointAnswersAPage(t *testing.T) {
	p := startProvider(t)
	c := discover(t, config(p))
	b := newFormBrowser("alice", "alice-pw")
	s, err := login(t, c, b, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		status int
		want   []string
	}{
		{http.StatusBadGateway, []string{"answered 502 Bad Gateway with a web page instead of OAuth's answer", "check that Authentik, and any proxy in front of it, is running and healthy"}},
		{http.StatusServiceUnavailable, []string{"answered 503 Service Unavailable with a web page"}},
		{http.StatusOK, []string{"answered, but not as an OAuth server does", "check authentik.server_url", "a proxy, an SSO gateway"}},
	} {
		p.SetFaults(oidctest.Faults{TokenEndpointPage: tt.status})
		_, err := c.Refresh(context.Background(), s.Tokens.RefreshToken, previous(s))
		if err == nil {
			t.Fatalf("%d: the refresh went through", tt.status)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%d: %q does not say %q", tt.status, err, w)
			}
		}
		if strings.Contains(err.Error(), "invalid character") || strings.Contains(err.Error(), "<html>") {
			t.Errorf("%d: %q shows the page or the parser", tt.status, err)
		}
		var ue *oidc.UnavailableError
		if down := errors.As(err, &ue); down != (tt.status >= 500) {
			t.Errorf("%d: a server error (worth a retry): %v", tt.status, down)
		}
	}
	p.SetFaults(oidctest.Faults{})
	if _, err := c.Refresh(context.Background(), s.Tokens.RefreshToken, previous(s)); err != nil {
		t.Errorf("once the proxy is back, the same refresh token works: %v", err)
	}
}

// Package netcause says why an HTTP request got no answer, in a few words
// a person can act on ("timed out", "host name auth.example.org not
// found"), and whether TLS is what failed. The identity provider's client
// and Navidrome's both word their errors with it.
package netcause

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// Kind is what went wrong with a request that got no HTTP answer.
type Kind int

const (
	// Unreachable: no connection, or no answer on it (refused, a name
	// that does not resolve, a timeout, a connection cut).
	Unreachable Kind = iota
	// Certificate: the server's TLS certificate is not trusted.
	Certificate
	// PlainHTTP: an https:// address answered in plain HTTP.
	PlainHTTP
	// TLS: another failure of the TLS handshake.
	TLS
	// Cancelled: the caller gave up (Ctrl-C, a closed window).
	Cancelled
)

// Of sorts err, an error from http.Client.Do or from reading its body.
func Of(err error) Kind {
	switch {
	case errors.Is(err, context.Canceled):
		return Cancelled
	case certificate(err):
		return Certificate
	case err != nil && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"): // no type of its own
		return PlainHTTP
	case handshake(err):
		return TLS
	}
	return Unreachable
}

func certificate(err error) bool {
	var (
		verr     *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		roots    x509.SystemRootsError
	)
	return errors.As(err, &verr) || errors.As(err, &unknown) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &roots)
}

func handshake(err error) bool {
	var (
		rec   tls.RecordHeaderError
		alert tls.AlertError
		ech   *tls.ECHRejectionError
		op    *net.OpError
	)
	// crypto/tls wraps an alert (its type unexported) in a *net.OpError
	// with Op "remote error" or "local error".
	return errors.As(err, &rec) || errors.As(err, &alert) || errors.As(err, &ech) ||
		errors.As(err, &op) && (op.Op == "remote error" || op.Op == "local error")
}

// Describe says in a few words why no answer came back.
func Describe(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	var op *net.OpError
	switch {
	case err == nil:
		return "no answer"
	case errors.As(err, &op) && op.Op == "proxyconnect":
		// HTTPS_PROXY, not the server, is what did not answer.
		return "through the proxy " + proxyAddr(op) + ": " + Describe(op.Err)
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "host name " + dnsErr.Name + " not found"
		}
		return "cannot look up host name " + dnsErr.Name
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to host"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the connection was closed without an answer"
	}
	return Strip(err).Error()
}

func proxyAddr(op *net.OpError) string {
	if op.Addr != nil {
		return op.Addr.String()
	}
	return "(HTTPS_PROXY)"
}

// Strip drops the layers of err that repeat the request ("Get URL: dial
// tcp ADDR:"): the message that wraps it names the address already, and a
// request URL may carry what must not be shown (a Subsonic token).
func Strip(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	return err
}

// TLSError means Server (by name, "Authentik") was reached at URL but the
// HTTPS connection to it failed: most often its certificate is not trusted
// (self-signed, a private CA, another host name, expired), sometimes it
// does not speak TLS at all. Key is the setting that holds the address.
type TLSError struct {
	Server, Key, URL string
	Err              error
}

func (e *TLSError) Error() string {
	switch Of(e.Err) {
	case Certificate:
		return fmt.Sprintf("the TLS certificate of %s is not trusted (%s); if %s uses a self-signed or private certificate, add its CA to this computer's trusted certificates, otherwise fix the certificate on the server", e.URL, e.Err, e.Server)
	case PlainHTTP:
		return fmt.Sprintf("%s answers plain HTTP, not HTTPS; enable HTTPS on the server (or its proxy), or write %s with http://", e.URL, e.Key)
	}
	return fmt.Sprintf("the TLS connection to %s failed (%s); check that the server (or its proxy) serves HTTPS at that address", e.URL, e.Err)
}

func (e *TLSError) Unwrap() error { return e.Err }

package navidrome

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// classifyTransportError turns an error from http.Client.Do into one of the
// package's error types. The *url.Error wrapper is dropped on purpose: its
// message repeats the request URL, and the ping URL carries the Subsonic
// salt and token in its query.
func (c *Client) classifyTransportError(ctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if ctxErr := ctx.Err(); errors.Is(ctxErr, context.Canceled) {
		return fmt.Errorf("the request to Navidrome at %s was cancelled: %w", c.URL(), ctxErr)
	}
	if isCertError(err) || isTLSError(err) || isPlainHTTPError(err) {
		return &TLSError{URL: c.URL(), Err: err}
	}
	return &UnreachableError{URL: c.URL(), Err: err}
}

func isCertError(err error) bool {
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

func isTLSError(err error) bool {
	var (
		rec   tls.RecordHeaderError
		alert tls.AlertError
		ech   *tls.ECHRejectionError
	)
	if errors.As(err, &rec) || errors.As(err, &alert) || errors.As(err, &ech) {
		return true
	}
	// Alerts received from the peer ("remote error: tls: handshake failure")
	// have an unexported type; their text is the only sign.
	return err != nil && strings.Contains(err.Error(), "tls: ")
}

// isPlainHTTPError reports net/http's "server gave HTTP response to HTTPS
// client", which has no type of its own.
func isPlainHTTPError(err error) bool {
	return err != nil && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// describeNetError says in a few words why no answer came back.
func describeNetError(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case err == nil:
		return "no answer"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "host name " + dnsErr.Name + " not found"
		}
		return "cannot look up host name " + dnsErr.Name
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to host"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	}
	return err.Error()
}

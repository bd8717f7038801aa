package netcause

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
)

func TestOfAndDescribe(t *testing.T) {
	op := func(err error) error {
		return &url.Error{Op: "Get", URL: "https://auth.example.org/x?t=secret", Err: &net.OpError{Op: "dial", Net: "tcp", Err: err}}
	}
	for _, tt := range []struct {
		name string
		err  error
		kind Kind
		says string
	}{
		{"refused", op(os.NewSyscallError("connect", syscall.ECONNREFUSED)), Unreachable, "connection refused"},
		{"reset", op(os.NewSyscallError("read", syscall.ECONNRESET)), Unreachable, "connection reset"},
		{"no route", op(os.NewSyscallError("connect", syscall.EHOSTUNREACH)), Unreachable, "no route to host"},
		{"name not found", op(&net.DNSError{Name: "auth.example.org", IsNotFound: true}), Unreachable, "host name auth.example.org not found"},
		{"resolver down", op(&net.DNSError{Name: "auth.example.org", IsTemporary: true}), Unreachable, "cannot look up host name auth.example.org"},
		{"deadline", fmt.Errorf("awaiting headers: %w", context.DeadlineExceeded), Unreachable, "timed out"},
		{"closed", &url.Error{Op: "Get", URL: "u", Err: io.EOF}, Unreachable, "the connection was closed without an answer"},
		{"cancelled", &url.Error{Op: "Get", URL: "u", Err: context.Canceled}, Cancelled, "cancelled"},
		{"unknown authority", &url.Error{Op: "Get", URL: "u", Err: x509.UnknownAuthorityError{}}, Certificate, "x509: certificate signed by unknown authority"},
		{"plain HTTP", &url.Error{Op: "Get", URL: "u", Err: errors.New("http: server gave HTTP response to HTTPS client")}, PlainHTTP, "http: server gave HTTP response to HTTPS client"},
		{"a peer's alert", &net.OpError{Op: "remote error", Err: errors.New("tls: handshake failure")}, TLS, "tls: handshake failure"},
		{"a proxy's words with tls in them", errors.New("Bad Gateway: upstream tls: handshake failure"), Unreachable, "Bad Gateway: upstream tls: handshake failure"},
		{"the proxy refused", &url.Error{Op: "Get", URL: "u", Err: &net.OpError{Op: "proxyconnect", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 3128}, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}, Unreachable, "through the proxy 10.0.0.1:3128: connection refused"},
		{"something else", op(errors.New("socket: too many open files")), Unreachable, "socket: too many open files"},
	} {
		if got := Of(tt.err); got != tt.kind {
			t.Errorf("%s: Of = %v, want %v", tt.name, got, tt.kind)
		}
		if got := Describe(tt.err); got != tt.says {
			t.Errorf("%s: Describe = %q, want %q", tt.name, got, tt.says)
		}
	}
}

package oidc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"
)

// CanEndSession reports whether the provider advertises an end-session endpoint.
func (c *Client) CanEndSession() bool { return c.meta.EndSessionEndpoint != "" }

// maxEndSessionWindow bounds how long the loopback sign-out address
// answers when ctx has no deadline.
const maxEndSessionWindow = 2 * time.Minute

// EndSession ends the person's browser session at the provider by opening
// its end-session endpoint with id_token_hint. The browser is sent to a
// loopback address with an unguessable path that redirects there, so the ID
// token never appears in a process's arguments (where other users of the
// machine could read it). It returns once the address was first fetched, or
// with an error when ctx ends first.
//
// The address keeps answering until ctx's deadline (at most
// maxEndSessionWindow), not only its first request: its path is on the
// browser's command line, and another local account that fetched it first
// must not leave the person's browser with a dead address and the provider's
// session alive.
func (c *Client) EndSession(ctx context.Context, idToken string, open func(ctx context.Context, url string) error) error {
	if c.meta.EndSessionEndpoint == "" {
		return nil
	}
	target, err := url.Parse(c.meta.EndSessionEndpoint)
	if err != nil {
		return fmt.Errorf("end-session endpoint %q is not a URL: %w", c.meta.EndSessionEndpoint, err)
	}
	q := target.Query()
	q.Set("client_id", c.cfg.ClientID)
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	target.RawQuery = q.Encode()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("cannot listen on 127.0.0.1 for the sign-out redirect: %w", err)
	}
	path := "/sign-out/" + randomString()
	visited := make(chan struct{})
	var once sync.Once
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		// The redirect carries the ID token: not for other users' programs,
		// where the system says who owns the connection (Linux).
		if uid, known := requestPeerUID(r); known && uid != os.Getuid() {
			refuse(w, http.StatusForbidden, "This sign-out belongs to another user", "ssotray answers only the browser of the user who is signing out.")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		// No body: once the header is out, the answer is whole, and the
		// caller, told at once, may end the process (a `logout`) without
		// cutting it off before the browser has it.
		w.Header().Set("Location", target.String())
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusFound)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		once.Do(func() { close(visited) })
	})}
	go func() { _ = srv.Serve(l) }()
	window := maxEndSessionWindow
	if d, ok := ctx.Deadline(); ok {
		window = min(window, time.Until(d))
	}
	// Detached from ctx: callers cancel it as soon as EndSession returns,
	// which is when the address must go on answering.
	stop := time.AfterFunc(window, func() { _ = srv.Close() })
	closeNow := func() {
		stop.Stop()
		_ = srv.Close()
	}

	local := "http://" + l.Addr().String() + path
	if err := open(ctx, local); err != nil {
		closeNow()
		return &EndSessionError{URL: c.meta.EndSessionEndpoint, Err: err}
	}
	select {
	case <-visited:
		return nil
	case <-ctx.Done():
		closeNow()
		return &EndSessionError{URL: c.meta.EndSessionEndpoint, Err: errors.New("the browser did not open the sign-out page in time")}
	}
}

// EndSessionError means the provider's browser session may still be alive.
type EndSessionError struct {
	URL string
	Err error
}

func (e *EndSessionError) Error() string {
	return fmt.Sprintf("could not end your session at the identity provider (%v); your browser may still be signed in there: open %s to sign out", e.Err, e.URL)
}

func (e *EndSessionError) Unwrap() error { return e.Err }

package navidrome

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/ssotray/ssotray/oidc/netcause"
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
	switch netcause.Of(err) {
	case netcause.Certificate, netcause.PlainHTTP, netcause.TLS:
		return &TLSError{Server: "Navidrome", Key: "navidrome.server_url", URL: c.URL(), Err: err}
	}
	return &UnreachableError{URL: c.URL(), Err: err}
}

package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// ErrRedirectURIRefused means the provider does not accept a redirect URI
// for this client: in the browser, Authentik shows "Redirect URI Error" and
// the sign-in never comes back.
var ErrRedirectURIRefused = errors.New("the provider refuses this redirect URI")

// ErrUnknownClient means the provider knows no client with this client_id.
var ErrUnknownClient = errors.New("the provider knows no client with this client_id")

// CheckRedirectURI asks the authorization endpoint, as a browser would at
// the start of a sign-in but without following it anywhere, whether it
// accepts redirectURI for this client. Authentik answers a mismatch with an
// error page (400) and a good request with a redirect to its login flow.
// Nothing is signed in and no callback is listened for.
func (c *Client) CheckRedirectURI(ctx context.Context, redirectURI string) error {
	cfg := c.oauth
	cfg.RedirectURL = redirectURI
	authURL := cfg.AuthCodeURL("ssotray-doctor", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return err
	}
	// Authentik translates its error pages; the titles below are English.
	req.Header.Set("Accept-Language", "en")
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		return Unreachable(c.meta.AuthURL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 400 {
		return nil
	}
	// The titles of Authentik's error pages; the client is checked first
	// there, and its page may well mention redirects in passing.
	page := strings.ToLower(string(body))
	switch {
	case strings.Contains(page, "client id error"):
		return ErrUnknownClient
	case strings.Contains(page, "redirect uri error"):
		return ErrRedirectURIRefused
	}
	return fmt.Errorf("the authorization endpoint %s answered %s", c.meta.AuthURL, resp.Status)
}

// EncryptsIDTokens reports whether the provider publishes an encryption key
// ("use": "enc") among its keys: Authentik does when the provider has an
// Encryption Key, and then sends every ID token as a JWE.
func (c *Client) EncryptsIDTokens(ctx context.Context) (bool, error) {
	if c.meta.JWKSURL == "" {
		return false, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.meta.JWKSURL, nil)
	if err != nil {
		return false, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return false, Unreachable(c.meta.JWKSURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("the provider's keys at %s answered %s", c.meta.JWKSURL, resp.Status)
	}
	var set struct {
		Keys []struct {
			Use string `json:"use"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return false, fmt.Errorf("the provider's keys at %s cannot be read: %w", c.meta.JWKSURL, err)
	}
	for _, k := range set.Keys {
		if k.Use == "enc" {
			return true, nil
		}
	}
	return false, nil
}

package oidc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Tokens are what the provider issued. They print as a redacted summary so a
// stray log line or %v cannot leak them.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	IDToken      string
	// Expiry of the access token; DefaultAccessTokenLifetime after issue
	// when the provider did not say.
	Expiry time.Time
}

func (t Tokens) String() string {
	return fmt.Sprintf("Tokens{access:%s refresh:%s id:%s expiry:%s}",
		present(t.AccessToken), present(t.RefreshToken), present(t.IDToken), t.Expiry.Format(time.RFC3339))
}

// GoString keeps %#v redacted too.
func (t Tokens) GoString() string { return t.String() }

// LogValue keeps slog redacted too.
func (t Tokens) LogValue() slog.Value { return slog.StringValue(t.String()) }

func present(s string) string {
	if s == "" {
		return "none"
	}
	return "[redacted]"
}

// Profile is who signed in, as the ID token and userinfo describe them.
type Profile struct {
	Subject  string
	Username string
	Name     string
	Email    string
	Groups   []string
	AuthTime time.Time // when the person last entered credentials at the provider
}

// Session is the outcome of a sign-in or a refresh.
type Session struct {
	Tokens  Tokens
	Profile Profile
}

// ErrSessionEnded means the provider no longer accepts the refresh token
// (expired, revoked or rotated out): the person has to sign in again.
var ErrSessionEnded = errors.New("your session has ended at the identity provider; sign in again")

// ErrHS256 means the provider signs ID tokens with a shared secret.
var ErrHS256 = errors.New("the identity provider signs ID tokens with HS256, which ssotray cannot verify: in Authentik this happens when the OAuth2 provider has no signing key. Edit the provider in Authentik, choose a Signing Key (for example \"authentik Self-signed Certificate\"), save, and sign in again")

// ErrEncryptedIDToken means the provider encrypts ID tokens (JWE) to a key
// ssotray does not have.
var ErrEncryptedIDToken = errors.New("the identity provider encrypts ID tokens, which ssotray cannot read: in Authentik this happens when the OAuth2 provider has an Encryption Key. Edit the provider in Authentik, clear Encryption Key (keep the Signing Key), save, and sign in again")

// claims are the ID-token and userinfo claims ssotray reads.
type claims struct {
	Subject           string   `json:"sub"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	Email             string   `json:"email"`
	Groups            []string `json:"groups"`
	AuthTime          int64    `json:"auth_time"`
	AZP               string   `json:"azp"`
}

func (c *Client) verifier() *gooidc.IDTokenVerifier {
	return c.provider.Verifier(&gooidc.Config{ClientID: c.cfg.ClientID, Now: c.cfg.Now})
}

// verifyIDToken checks signature, issuer, audience and expiry with go-oidc
// and turns its errors into something an admin can act on.
func (c *Client) verifyIDToken(ctx context.Context, raw string) (*gooidc.IDToken, error) {
	if raw == "" {
		return nil, fmt.Errorf("the identity provider returned no ID token; make sure the scope \"openid\" is requested and allowed for this application")
	}
	if strings.Count(raw, ".") == 4 {
		return nil, ErrEncryptedIDToken // a JWE has five parts, a JWS three
	}
	idt, err := c.verifier().Verify(c.ctx(ctx), raw)
	if err == nil {
		return idt, c.checkIssued(idt)
	}
	msg := err.Error()
	var expired *gooidc.TokenExpiredError
	switch {
	case c.hmacOnly():
		return nil, ErrHS256
	case strings.Contains(msg, `algorithm "none"`):
		return nil, &RejectedError{What: "ID token", Why: "it is not signed at all (alg none)"}
	case strings.Contains(msg, "unexpected signature algorithm"):
		return nil, &RejectedError{What: "ID token", Why: "it is signed with an algorithm the provider does not advertise (" + strings.Join(c.meta.Algorithms, ", ") + ")"}
	case errors.As(err, &expired):
		return nil, &RejectedError{What: "ID token", Why: fmt.Sprintf("it expired at %s; if this computer's clock is wrong, correct it", expired.Expiry.Format(time.RFC3339))}
	case strings.Contains(msg, "issued by a different provider"):
		return nil, &RejectedError{What: "ID token", Why: "it was issued by a different provider than " + c.meta.IssuerURL}
	case strings.Contains(msg, "expected audience"):
		return nil, &RejectedError{What: "ID token", Why: fmt.Sprintf("it was issued for another client, not %q; check authentik.client_id", c.cfg.ClientID)}
	case strings.Contains(msg, "get keys failed"):
		return nil, &RejectedError{What: "ID token", Why: "the provider's signing keys could not be fetched from " + c.meta.JWKSURL}
	case strings.Contains(msg, "signature") || strings.Contains(msg, "malformed"):
		return nil, &RejectedError{What: "ID token", Why: "its signature does not match the provider's published keys"}
	}
	return nil, &RejectedError{What: "ID token", Why: msg}
}

// iatSkew is how far ahead of this computer's clock the provider's may be
// when an ID token says when it was issued.
const iatSkew = 5 * time.Minute

// checkIssued adds the ID-token checks of OpenID Connect Core 3.1.3.7 that
// go-oidc leaves to the caller, on claims go-oidc has verified: with several
// audiences azp must name this client (and if present it must anyway), and
// the token must not be issued in the future.
func (c *Client) checkIssued(idt *gooidc.IDToken) error {
	var ic claims
	if err := idt.Claims(&ic); err != nil {
		return &RejectedError{What: "ID token", Why: "its claims cannot be read: " + err.Error()}
	}
	switch {
	case len(idt.Audience) > 1 && ic.AZP == "":
		return &RejectedError{What: "ID token", Why: fmt.Sprintf("it is meant for several clients (%s) without naming the one it was issued to (azp)", strings.Join(idt.Audience, ", "))}
	case ic.AZP != "" && ic.AZP != c.cfg.ClientID:
		return &RejectedError{What: "ID token", Why: fmt.Sprintf("it was issued to the client %q (azp), not to %q; check authentik.client_id", ic.AZP, c.cfg.ClientID)}
	case idt.IssuedAt.After(c.cfg.Now().Add(iatSkew)):
		return &RejectedError{What: "ID token", Why: fmt.Sprintf("it says it was issued at %s, in the future; if this computer's clock is wrong, correct it", idt.IssuedAt.Format(time.RFC3339))}
	}
	return nil
}

func (c *Client) hmacOnly() bool {
	if len(c.meta.Algorithms) == 0 {
		return false
	}
	for _, a := range c.meta.Algorithms {
		if !strings.HasPrefix(a, "HS") {
			return false
		}
	}
	return true
}

// RejectedError means the provider answered, but with something ssotray must
// not trust. Nothing from such an answer is kept.
type RejectedError struct {
	What, Why string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("the identity provider's %s was refused: %s. Nothing was stored; sign in again, and if this keeps happening ask your administrator to check the provider", e.What, e.Why)
}

// profile builds the Profile from the verified ID token, filling gaps from
// userinfo when tok is given. Refreshes pass nil: the new ID token carries
// the same claims, and a second request per refresh would only add latency.
func (c *Client) profile(ctx context.Context, idt *gooidc.IDToken, tok *oauth2.Token) (Profile, error) {
	var ic claims
	if err := idt.Claims(&ic); err != nil {
		return Profile{}, &RejectedError{What: "ID token", Why: "its claims cannot be read: " + err.Error()}
	}
	if tok != nil && c.provider.UserInfoEndpoint() != "" {
		ui, err := c.provider.UserInfo(c.ctx(ctx), oauth2.StaticTokenSource(tok))
		if err != nil {
			return Profile{}, fmt.Errorf("fetching your profile from %s: %w", c.provider.UserInfoEndpoint(), err)
		}
		if ui.Subject != idt.Subject {
			return Profile{}, &RejectedError{What: "userinfo answer", Why: "it describes a different user than the ID token"}
		}
		var uc claims
		if err := ui.Claims(&uc); err == nil {
			fill(&ic.Name, uc.Name)
			fill(&ic.PreferredUsername, uc.PreferredUsername)
			fill(&ic.Email, uc.Email)
			if len(ic.Groups) == 0 {
				ic.Groups = uc.Groups
			}
		}
	}
	p := Profile{Subject: idt.Subject, Name: ic.Name, Email: ic.Email, Groups: ic.Groups}
	switch c.cfg.UsernameClaim {
	case "email":
		p.Username = ic.Email
	case "sub":
		p.Username = idt.Subject
	default:
		p.Username = ic.PreferredUsername
	}
	if ic.AuthTime > 0 {
		p.AuthTime = time.Unix(ic.AuthTime, 0)
	}
	return p, nil
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// Previous is the session a refresh continues. A refreshed ID token must
// name the same user, the same authorized party (azp) and the same original
// authentication (auth_time) as it (OpenID Connect Core 12.2): anything else
// is a token for another sign-in.
type Previous struct {
	Subject  string
	AuthTime time.Time // of the session; zero when the provider sent none
	IDToken  string    // the session's ID token, whose azp is compared
}

// Refresh exchanges the refresh token for new tokens. A refused refresh
// returns ErrSessionEnded.
func (c *Client) Refresh(ctx context.Context, refreshToken string, prev Previous) (*Session, error) {
	if refreshToken == "" {
		return nil, ErrSessionEnded
	}
	// An expired token makes the token source refresh straight away.
	src := c.oauth.TokenSource(c.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)})
	tok, err := src.Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "invalid_grant" || re.ErrorCode == "invalid_token") {
			return nil, ErrSessionEnded
		}
		return nil, c.tokenEndpointError("refreshing the session", err)
	}
	// When the response leaves the refresh token out (Authentik does when it
	// does not rotate), x/oauth2 keeps the one sent.
	out := &Session{Tokens: c.tokensOf(tok)}
	if out.Tokens.IDToken != "" {
		idt, err := c.verifyIDToken(ctx, out.Tokens.IDToken)
		if err != nil {
			return nil, err
		}
		if idt.Subject != prev.Subject {
			return nil, &RejectedError{What: "refreshed ID token", Why: "it names a different user than the one signed in"}
		}
		if err := c.sameSignIn(ctx, idt, prev); err != nil {
			return nil, err
		}
		p, err := c.profile(ctx, idt, nil)
		if err != nil {
			return nil, err
		}
		out.Profile = p
	}
	return out, nil
}

// sameSignIn compares a refreshed ID token with the session it renews.
func (c *Client) sameSignIn(ctx context.Context, idt *gooidc.IDToken, prev Previous) error {
	var now claims
	if err := idt.Claims(&now); err != nil {
		return &RejectedError{What: "refreshed ID token", Why: "its claims cannot be read: " + err.Error()}
	}
	if !prev.AuthTime.IsZero() && now.AuthTime != 0 && now.AuthTime != prev.AuthTime.Unix() {
		return &RejectedError{What: "refreshed ID token", Why: fmt.Sprintf("it reports a login at %s, but the session's was at %s (a token from another sign-in)",
			time.Unix(now.AuthTime, 0).Format(time.RFC3339), prev.AuthTime.Format(time.RFC3339))}
	}
	if prev.IDToken == "" {
		return nil
	}
	// The session's ID token was verified when it was stored; go-oidc reads
	// it again (expired by now, which is fine). If the provider has since
	// rotated its keys it cannot be read, and the new token's azp was
	// checked against the client ID already.
	old, err := c.provider.Verifier(&gooidc.Config{ClientID: c.cfg.ClientID, Now: c.cfg.Now, SkipExpiryCheck: true}).Verify(c.ctx(ctx), prev.IDToken)
	if err != nil {
		return nil
	}
	var was claims
	if err := old.Claims(&was); err != nil {
		return nil
	}
	if was.AZP != now.AZP {
		return &RejectedError{What: "refreshed ID token", Why: fmt.Sprintf("it was issued to %q (azp), but the session's to %q (a token from another sign-in)", now.AZP, was.AZP)}
	}
	return nil
}

// DefaultAccessTokenLifetime is assumed for an access token the provider
// issued without expires_in: such a token is renewed (or, without a refresh
// token, given up) this soon, instead of being trusted forever.
const DefaultAccessTokenLifetime = 5 * time.Minute

func (c *Client) tokensOf(tok *oauth2.Token) Tokens {
	id, _ := tok.Extra("id_token").(string)
	expiry := tok.Expiry
	if expiry.IsZero() {
		expiry = c.cfg.Now().Add(DefaultAccessTokenLifetime)
	}
	return Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, IDToken: id, Expiry: expiry}
}

// tokenEndpointError explains a failed token request.
func (c *Client) tokenEndpointError(doing string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		switch re.ErrorCode {
		case "invalid_client":
			return fmt.Errorf("%s: the identity provider refused the client (invalid_client); check that authentik.client_id is the provider's Client ID, that authentik.client_secret is empty when its Client type is Public (or is its Client Secret when Confidential), and that the redirect URI used is in its Redirect URIs/Origins (RegEx)", doing)
		case "":
			what := "no OAuth error"
			if ct, _, _ := mime.ParseMediaType(re.Response.Header.Get("Content-Type")); ct == "text/html" {
				what = "a web page instead of OAuth's answer"
			}
			msg := fmt.Sprintf("the token endpoint %s answered %s with %s; check that Authentik, and any proxy in front of it, is running and healthy (`ssotray doctor`), then try again", c.meta.TokenURL, re.Response.Status, what)
			if re.Response.StatusCode >= 500 {
				return fmt.Errorf("%s: %w", doing, &UnavailableError{msg: msg})
			}
			return fmt.Errorf("%s: %s", doing, msg)
		}
		desc := re.ErrorDescription
		if desc != "" {
			desc = " (" + desc + ")"
		}
		return fmt.Errorf("%s: the identity provider answered %s%s", doing, re.ErrorCode, desc)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", doing, Unreachable(c.meta.TokenURL, err))
	}
	// x/oauth2's words for a success status with no token in it.
	if msg := err.Error(); strings.HasPrefix(msg, "oauth2: cannot parse") || strings.Contains(msg, "missing access_token") {
		return fmt.Errorf("%s: the token endpoint %s answered, but not as an OAuth server does (no token in it); check authentik.server_url, and that nothing in front of Authentik (a proxy, an SSO gateway) answers in its place", doing, c.meta.TokenURL)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// UnavailableError means the provider, or a proxy in front of it, answered
// with a server error (5xx): it is there but not working, for now.
type UnavailableError struct{ msg string }

func (e *UnavailableError) Error() string { return e.msg }

// Revoke asks the provider to forget a token (RFC 7009). hint is
// "refresh_token" or "access_token". Providers without a revocation endpoint
// are not an error: there is nothing more to do.
func (c *Client) Revoke(ctx context.Context, token, hint string) error {
	if c.meta.RevocationEndpoint == "" || token == "" {
		return nil
	}
	form := url.Values{"token": {token}, "token_type_hint": {hint}, "client_id": {c.cfg.ClientID}}
	if c.cfg.ClientSecret != "" {
		form.Set("client_secret", c.cfg.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.meta.RevocationEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("revoking the %s: %w", strings.ReplaceAll(hint, "_", " "), Unreachable(c.meta.RevocationEndpoint, err))
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("revoking the %s: %s answered %s", strings.ReplaceAll(hint, "_", " "), c.meta.RevocationEndpoint, resp.Status)
	}
	return nil
}

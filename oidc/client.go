// Package oidc signs a person in to Authentik (or any OpenID provider) from a
// desktop program: discovery, the loopback Authorization Code + PKCE flow,
// ID-token and userinfo checks, refresh, revocation and end-session.
//
// It imports nothing else of ssotray, so it can be reasoned about (and tested)
// as a plain OpenID client.
package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssotray/ssotray/oidc/netcause"
)

// Config says which provider and client to use.
type Config struct {
	// ServerURL and Slug locate an Authentik application:
	// {ServerURL}/application/o/{Slug}/.well-known/openid-configuration.
	ServerURL string
	Slug      string
	// DiscoveryURL, when set, replaces ServerURL and Slug with any provider's
	// discovery document.
	DiscoveryURL string

	ClientID     string
	ClientSecret string // "" for a public client
	Scopes       []string
	Prompt       string // sent to authorize when set, e.g. "login"
	// UsernameClaim is the claim shown as the username: preferred_username, email or sub.
	UsernameClaim string

	// HTTPClient is used for every request to the provider; nil means a
	// client with sane timeouts.
	HTTPClient *http.Client
	// Now is the clock for token expiry; nil means time.Now.
	Now func() time.Time
}

// String keeps the client secret out of anything that prints a Config.
func (c Config) String() string {
	return fmt.Sprintf("oidc.Config{server:%q slug:%q discovery:%q client:%q secret:%s}", c.ServerURL, c.Slug, c.DiscoveryURL, c.ClientID, present(c.ClientSecret))
}

// GoString keeps %#v redacted too.
func (c Config) GoString() string { return c.String() }

// DiscoveryDocumentURL is where the provider's OpenID configuration is expected.
func (c Config) DiscoveryDocumentURL() string {
	if c.DiscoveryURL != "" {
		return c.DiscoveryURL
	}
	return strings.TrimSuffix(c.ServerURL, "/") + "/application/o/" + c.Slug + "/.well-known/openid-configuration"
}

// ExpectedIssuer is the issuer the discovery document must name. Authentik's
// issuer carries a trailing slash; for a generic discovery URL the slash is
// left to the provider.
func (c Config) ExpectedIssuer() string {
	if c.DiscoveryURL != "" {
		return strings.TrimSuffix(strings.TrimSuffix(c.DiscoveryURL, "/"), "/.well-known/openid-configuration")
	}
	return strings.TrimSuffix(c.ServerURL, "/") + "/application/o/" + c.Slug + "/"
}

// metadata holds what ssotray needs from the discovery document beyond what
// go-oidc keeps.
type metadata struct {
	gooidc.ProviderConfig
	RevocationEndpoint  string   `json:"revocation_endpoint"`
	EndSessionEndpoint  string   `json:"end_session_endpoint"`
	CodeChallengeMethod []string `json:"code_challenge_methods_supported"`
}

// Client talks to one discovered provider.
type Client struct {
	cfg      Config
	meta     metadata
	provider *gooidc.Provider
	oauth    oauth2.Config
	http     *http.Client
}

// Discover fetches and checks the provider's discovery document.
func Discover(ctx context.Context, cfg Config) (*Client, error) {
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	docURL := cfg.DiscoveryDocumentURL()
	meta, err := fetchDiscovery(ctx, hc, docURL)
	if err != nil {
		return nil, err
	}
	want := cfg.ExpectedIssuer()
	if strings.TrimSuffix(meta.IssuerURL, "/") != strings.TrimSuffix(want, "/") ||
		(cfg.DiscoveryURL == "" && meta.IssuerURL != want) {
		if globalIssuer(meta.IssuerURL, cfg) {
			return nil, &GlobalIssuerError{Issuer: meta.IssuerURL, Want: want}
		}
		check := "check authentik.server_url and authentik.app_slug (they must be the address people use to reach Authentik, and the application's slug)"
		if cfg.DiscoveryURL != "" {
			check = "check authentik.discovery_url (it must be the address of the provider's own discovery document, as people reach it)"
		}
		return nil, fmt.Errorf("discovery at %s names the issuer %q, but ssotray expected %q; %s", docURL, meta.IssuerURL, want, check)
	}
	if meta.AuthURL == "" || meta.TokenURL == "" {
		return nil, fmt.Errorf("discovery at %s lists no authorization or token endpoint; it is not a usable OpenID provider", docURL)
	}
	// go-oidc verifies with the published keys; HMAC algorithms would need the
	// client secret as the key, which a public client does not have, so they
	// are left out and reported separately (see errHS256).
	var algs []string
	for _, a := range meta.Algorithms {
		if !strings.HasPrefix(a, "HS") && a != "none" {
			algs = append(algs, a)
		}
	}
	pc := meta.ProviderConfig
	pc.Algorithms = algs
	authStyle := oauth2.AuthStyleInParams
	if cfg.ClientSecret != "" {
		authStyle = oauth2.AuthStyleAutoDetect
	}
	return &Client{
		cfg:      cfg,
		meta:     meta,
		provider: pc.NewProvider(gooidc.ClientContext(ctx, hc)),
		http:     hc,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Scopes:       cfg.Scopes,
			Endpoint:     oauth2.Endpoint{AuthURL: meta.AuthURL, TokenURL: meta.TokenURL, AuthStyle: authStyle},
		},
	}, nil
}

// GlobalIssuerError means the provider's issuer is the server itself: in
// Authentik its Issuer mode is "Same identifier is used for all providers".
type GlobalIssuerError struct{ Issuer, Want string }

func (e *GlobalIssuerError) Error() string {
	return fmt.Sprintf("the provider's issuer is %q, the same for every application, but ssotray expects %q: in Authentik, edit the OAuth2/OpenID provider, and under Advanced protocol settings set Issuer mode to \"%s\"", e.Issuer, e.Want, IssuerModePerProvider)
}

// globalIssuer tells an Authentik issuer in Issuer mode Global: the server
// itself, where an application's own was expected, whether ssotray found
// discovery from server_url or was given an application's discovery_url.
func globalIssuer(issuer string, cfg Config) bool {
	if cfg.DiscoveryURL == "" {
		return strings.TrimSuffix(issuer, "/") == strings.TrimSuffix(cfg.ServerURL, "/")
	}
	doc, err := url.Parse(cfg.DiscoveryURL)
	if err != nil {
		return false
	}
	// Authentik's server is what comes before its application path (a
	// sub-path included).
	i := strings.Index(doc.Path, "/application/o/")
	if i < 0 {
		return false // not Authentik's
	}
	return strings.TrimSuffix(issuer, "/") == doc.Scheme+"://"+doc.Host+doc.Path[:i]
}

// IssuerModePerProvider is the Issuer mode ssotray needs, as Authentik's
// admin interface names it.
const IssuerModePerProvider = "Each provider has a different issuer, based on the application slug"

func fetchDiscovery(ctx context.Context, hc *http.Client, docURL string) (metadata, error) {
	var meta metadata
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, docURL, nil)
	if err != nil {
		return meta, fmt.Errorf("discovery URL %s is not valid: %w", docURL, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return meta, Unreachable(docURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return meta, Unreachable(docURL, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return meta, fmt.Errorf("no OpenID provider at %s (404 Not Found); check authentik.app_slug against the application's slug in Authentik, and that the application has this OAuth2/OpenID provider assigned", docURL)
	case resp.StatusCode != http.StatusOK:
		return meta, fmt.Errorf("discovery at %s answered %s; check that the identity provider is running and healthy", docURL, resp.Status)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" || json.Unmarshal(body, &meta) != nil {
		return meta, fmt.Errorf("discovery at %s did not answer with an OpenID configuration (got %s); check authentik.server_url", docURL, describeContentType(resp.Header.Get("Content-Type")))
	}
	return meta, nil
}

func describeContentType(ct string) string {
	if ct == "" {
		return "no content type"
	}
	return ct
}

// Unreachable is the error for a request to url that got no HTTP answer
// (err from http.Client.Do or from reading the body): a *TLSError when TLS
// failed, else an *UnreachableError; err itself when it was cancelled.
func Unreachable(url string, err error) error {
	switch netcause.Of(err) {
	case netcause.Cancelled:
		return netcause.Strip(err) // the request is not news
	case netcause.Certificate, netcause.PlainHTTP, netcause.TLS:
		return &TLSError{Server: "Authentik", Key: "authentik.server_url", URL: url, Err: netcause.Strip(err)}
	}
	return &UnreachableError{URL: url, Err: err}
}

// UnreachableError means the provider could not be contacted at all.
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the identity provider at %s (%s); check the server address and your network, and that the provider is running", e.URL, netcause.Describe(e.Err))
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// TLSError means the provider was reached but the HTTPS connection to it
// failed (netcause.TLSError).
type TLSError = netcause.TLSError

// Issuer is the provider's issuer identifier.
func (c *Client) Issuer() string { return c.meta.IssuerURL }

// SupportsS256 reports whether the provider advertises PKCE with S256.
func (c *Client) SupportsS256() bool {
	return slices.Contains(c.meta.CodeChallengeMethod, "S256")
}

// SigningAlgorithms are the ID-token algorithms the provider advertises.
func (c *Client) SigningAlgorithms() []string { return c.meta.Algorithms }

// CanRevoke reports whether the provider advertises a revocation endpoint.
func (c *Client) CanRevoke() bool { return c.meta.RevocationEndpoint != "" }

func (c *Client) ctx(ctx context.Context) context.Context {
	return context.WithValue(gooidc.ClientContext(ctx, c.http), oauth2.HTTPClient, c.http)
}

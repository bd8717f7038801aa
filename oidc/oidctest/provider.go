package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Authentik's paths. The global endpoints are shared by all applications;
// only discovery, jwks and end-session carry the application slug.
const (
	pathPrefix    = "/application/o"
	loginPath     = "/if/flow/default-authentication-flow/"
	sessionCookie = "authentik_session"
)

// DefaultAccessTokenLifetime is Authentik's default "Access Token validity"
// (models.py access_token_validity, hours=1). The admin interface's form
// fills in minutes=5 for a new provider: Options.AccessTokenLifetime.
const DefaultAccessTokenLifetime = time.Hour

// User is an account that can log in through the form.
type User struct {
	Username, Password, Name, Email string
	Groups                          []string
	// Avatar is the picture URL the API's users/me reports (an http(s) or
	// data: URL, or a path on the provider); "" gives DefaultAvatarPath.
	Avatar string
}

// Client is an OAuth2/OpenID provider configured in Authentik.
type Client struct {
	ID     string
	Secret string // "" = public client (no secret; PKCE)
	// RedirectURIs are Authentik "strict" entries: exact string match.
	RedirectURIs []string
	// RedirectURIRegexes are Authentik "regex" entries, matched against the
	// whole URI, e.g. `http://127\.0\.0\.1:\d+/callback`.
	RedirectURIRegexes     []string
	PostLogoutRedirectURIs []string
}

// Options configure Start. Zero values get Authentik-like defaults.
type Options struct {
	Addr    string   // listen address, default "127.0.0.1:0"
	Slug    string   // application slug, default "ssotray"
	Users   []User   //
	Clients []Client //
	// AccessTokenLifetime is the provider's "Access Token validity". It
	// defaults to 5 minutes, what the admin interface's provider form fills
	// in (web/src/admin/providers/oauth2/OAuth2ProviderFormForm.ts) and so
	// what a provider made there, as the README tells admins to, has; a
	// provider made by the API or a blueprint gets the model default, 1 hour
	// (access_token_validity in authentik/providers/oauth2/models.py). Access
	// tokens are JWTs, as Authentik's are. The ID token's exp is always the
	// access token's expiry (IDToken.new in id_token.py): it has no lifetime
	// of its own.
	AccessTokenLifetime time.Duration
	// RefreshTokenLifetime defaults to 30 days, Authentik's default.
	RefreshTokenLifetime time.Duration
	// PublicURL, if set, replaces the listener address in the issuer and in
	// every advertised URL, for a provider reached through a proxy or a
	// container port mapping. Without a trailing slash, e.g. "http://idp:9000".
	PublicURL string
	// Applications are listed by the API (/api/v3/core/applications/) to
	// the users allowed to open them.
	Applications []Application
	// GroupParents maps a group to its parent group. The API's users/me
	// lists inherited groups as Authentik does; the groups claim does not.
	GroupParents map[string]string
	Now          func() time.Time // optional clock, called concurrently; default time.Now
	Logger       *slog.Logger     // optional

	// Quirks are the Authentik behaviours reproduced; nil means
	// RealAuthentik(). A test opts out of one with a modified copy.
	Quirks *Quirks
	// IssuerMode is the provider's issuer mode; the zero value is
	// Authentik's default, one issuer per provider.
	IssuerMode IssuerMode
	// InvalidationFlow is what end-session runs; the zero value is
	// Authentik's default-provider-invalidation-flow, which keeps the
	// browser session.
	InvalidationFlow InvalidationFlow
	// EncryptionKey is an Encryption Key selected on the provider: ID and
	// access tokens are then JWEs (RSA-OAEP-256, A256CBC-HS512) encrypted to
	// a key the client does not have.
	EncryptionKey bool
}

// Event is one step of the conversation as the provider saw it. Details
// never contain passwords or whole tokens.
type Event struct {
	Kind   string
	User   string
	Detail map[string]string
	At     time.Time
}

// TokenState is what the provider thinks of a token it issued.
type TokenState int

const (
	TokenUnknown TokenState = iota // never issued here (or not a token at all)
	TokenActive
	TokenRevoked
	TokenRotated // a refresh token that has already been exchanged
	TokenExpired
	// TokenDeleted is an access token that went with the browser session it
	// was issued from (Quirks.AccessTokensDieWithSession): Authentik deletes
	// the row, so to a client it is as unknown as a token never issued.
	TokenDeleted
)

func (s TokenState) String() string {
	switch s {
	case TokenActive:
		return "active"
	case TokenRevoked:
		return "revoked"
	case TokenRotated:
		return "rotated"
	case TokenExpired:
		return "expired"
	case TokenDeleted:
		return "deleted"
	default:
		return "unknown"
	}
}

// Provider is a running fake Authentik. All methods are safe for
// concurrent use.
type Provider struct {
	cfg         *settings
	store       *store
	op          *op.Provider
	srv         *http.Server
	ln          net.Listener
	baseURL     string
	logger      *slog.Logger
	customClock bool
	api         *apiData

	mu     sync.Mutex
	faults Faults
	events []Event

	otherKeyOnce sync.Once
	otherKey     *rsa.PrivateKey
	otherKeyErr  error

	closeOnce sync.Once
	closeErr  error
}

var slugPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Start listens on opts.Addr and serves in the background until Close.
func Start(opts Options) (*Provider, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Slug == "" {
		opts.Slug = "ssotray"
	}
	if !slugPattern.MatchString(opts.Slug) {
		return nil, fmt.Errorf("oidctest: slug %q: use letters, digits, '-' and '_' only, as Authentik does", opts.Slug)
	}
	if opts.AccessTokenLifetime <= 0 {
		opts.AccessTokenLifetime = DefaultAccessTokenLifetime
	}
	if opts.RefreshTokenLifetime <= 0 {
		opts.RefreshTokenLifetime = 30 * 24 * time.Hour
	}
	customClock := opts.Now != nil
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	quirks := RealAuthentik()
	if opts.Quirks != nil {
		quirks = *opts.Quirks
	}
	if quirks.APIPageSize <= 0 {
		quirks.APIPageSize = authentikPageSize
	}
	if opts.IssuerMode != IssuerPerProvider && opts.IssuerMode != IssuerGlobal {
		return nil, fmt.Errorf("oidctest: unknown issuer mode %d", opts.IssuerMode)
	}
	if opts.InvalidationFlow != DefaultProviderInvalidation && opts.InvalidationFlow != UserLogoutInvalidation {
		return nil, fmt.Errorf("oidctest: unknown invalidation flow %d", opts.InvalidationFlow)
	}
	clients, err := compileClients(opts.Clients)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, u := range opts.Users {
		if u.Username == "" {
			return nil, errors.New("oidctest: a user has an empty username")
		}
		if seen[u.Username] {
			return nil, fmt.Errorf("oidctest: user %q is listed twice", u.Username)
		}
		seen[u.Username] = true
	}
	api, err := newAPIData(opts)
	if err != nil {
		return nil, err
	}

	keys, err := newKeyring(opts.EncryptionKey)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("oidctest: listening on %s: %w", opts.Addr, err)
	}
	baseURL := strings.TrimSuffix(opts.PublicURL, "/")
	if baseURL == "" {
		baseURL = "http://" + dialableAddr(ln.Addr())
	}

	p := &Provider{baseURL: baseURL, ln: ln, logger: opts.Logger, customClock: customClock, api: api}
	slugPath := pathPrefix + "/" + opts.Slug + "/"
	issuer := baseURL + slugPath
	if opts.IssuerMode == IssuerGlobal {
		issuer = baseURL + "/"
	}
	p.cfg = &settings{
		slug:                 opts.Slug,
		issuer:               issuer,
		slugURL:              baseURL + slugPath,
		quirks:               quirks,
		invalidation:         opts.InvalidationFlow,
		slugClient:           slugClient(opts),
		appName:              appName(opts),
		now:                  opts.Now,
		accessTokenLifetime:  opts.AccessTokenLifetime,
		refreshTokenLifetime: opts.RefreshTokenLifetime,
		keys:                 keys,
		faults:               p.faultsFor,
	}
	p.store = newStore(p.cfg, opts.Users, clients)

	var cryptoKey [32]byte
	_, _ = rand.Read(cryptoKey[:])
	endpoint := func(path string) *op.Endpoint { return op.NewEndpointWithURL(path, baseURL+path) }
	p.op, err = op.NewProvider(&op.Config{
		CryptoKey:             cryptoKey,
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		SupportedScopes:       []string{oidc.ScopeOpenID, oidc.ScopeEmail, oidc.ScopeProfile, oidc.ScopeOfflineAccess, ScopeAuthentikAPI},
		SupportedClaims: []string{
			"sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "azp",
			"name", "given_name", "preferred_username", "nickname", "groups", "email", "email_verified",
		},
	}, p.store, op.StaticIssuer(p.cfg.issuer),
		op.WithAllowInsecure(),
		op.WithCustomEndpoints(
			endpoint(pathPrefix+"/authorize/"),
			endpoint(pathPrefix+"/token/"),
			endpoint(pathPrefix+"/userinfo/"),
			endpoint(pathPrefix+"/revoke/"),
			endpoint(slugPath+"end-session/"),
			endpoint(slugPath+"jwks/"),
		),
		op.WithCustomIntrospectionEndpoint(endpoint(pathPrefix+"/introspect/")),
	)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("oidctest: creating the OpenID provider: %w", err)
	}

	p.srv = &http.Server{
		Handler:           p.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelDebug),
	}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// slugClient is the client ID of the OAuth2 provider behind the
// application whose slug the provider serves, if an Application says so;
// end-session checks an id_token_hint's audience against it.
func slugClient(opts Options) string {
	for _, a := range opts.Applications {
		if a.Slug == opts.Slug {
			return a.Provider
		}
	}
	return ""
}

// appName is the name of the application whose slug the provider serves,
// as end-session's page shows it; the slug when no Application is listed.
func appName(opts Options) string {
	for _, a := range opts.Applications {
		if a.Slug == opts.Slug {
			return a.Name
		}
	}
	return opts.Slug
}

func compileClients(in []Client) ([]*clientConfig, error) {
	out := make([]*clientConfig, 0, len(in))
	seen := map[string]bool{}
	for _, c := range in {
		if c.ID == "" {
			return nil, errors.New("oidctest: a client has an empty ID")
		}
		if seen[c.ID] {
			return nil, fmt.Errorf("oidctest: client %q is listed twice", c.ID)
		}
		seen[c.ID] = true
		cc := &clientConfig{Client: c}
		for _, expr := range c.RedirectURIRegexes {
			// Authentik uses re.fullmatch; anchoring here gives the same result
			// for any expression, anchored by its author or not.
			re, err := regexp.Compile(`^(?:` + expr + `)$`)
			if err != nil {
				return nil, fmt.Errorf("oidctest: client %q: redirect URI regex %q: %w", c.ID, expr, err)
			}
			cc.regexes = append(cc.regexes, re)
		}
		out = append(out, cc)
	}
	return out, nil
}

// dialableAddr turns a wildcard listen address into one a client can dial.
func dialableAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if ip.To4() != nil {
			host = "127.0.0.1"
		} else {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}

// URL is what a user enters as the Authentik server URL.
func (p *Provider) URL() string { return p.baseURL }

// Issuer has the trailing slash, exactly like Authentik's. In IssuerGlobal
// mode it is "{URL()}/" and no longer the discovery document's prefix.
func (p *Provider) Issuer() string { return p.cfg.issuer }

// DiscoveryURL is the application's OpenID configuration document, which
// stays under /application/o/<slug>/ whatever the issuer mode.
func (p *Provider) DiscoveryURL() string { return p.cfg.slugURL + ".well-known/openid-configuration" }

// RedirectURIs is the client's current redirect URI list, including an
// entry saved by SaveFirstRedirectURI; both are nil for an unknown client.
func (p *Provider) RedirectURIs(clientID string) (strict []string, regexes []string) {
	return p.store.redirectURIs(clientID)
}

// Close stops listening and drops open connections, so later requests see
// "connection refused" just like a provider that is down.
func (p *Provider) Close() error {
	p.closeOnce.Do(func() {
		p.closeErr = p.srv.Close()
		if errors.Is(p.closeErr, http.ErrServerClosed) {
			p.closeErr = nil
		}
		// The server only knows the listener once Serve has started; right
		// after Start it may not have, and the socket would keep accepting
		// connections only to reset them. Closing it here makes "down" mean
		// refused at once.
		if err := p.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) && p.closeErr == nil {
			p.closeErr = err
		}
	})
	return p.closeErr
}

// SetFaults replaces the active faults; requests already being served keep
// the set they started with.
func (p *Provider) SetFaults(f Faults) {
	p.mu.Lock()
	p.faults = f
	p.mu.Unlock()
}

func (p *Provider) currentFaults() Faults {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults
}

type faultsKey struct{}

// faultsFor gives the set captured when the request arrived, so one token
// response cannot mix two generations of faults.
func (p *Provider) faultsFor(ctx context.Context) Faults {
	if f, ok := ctx.Value(faultsKey{}).(Faults); ok {
		return f
	}
	return p.currentFaults()
}

// Events returns a copy of everything recorded so far, oldest first.
func (p *Provider) Events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Event, len(p.events))
	for i, e := range p.events {
		e.Detail = maps.Clone(e.Detail)
		out[i] = e
	}
	return out
}

func (p *Provider) record(kind, user string, detail map[string]string) {
	if detail == nil {
		detail = map[string]string{}
	}
	e := Event{Kind: kind, User: user, Detail: detail, At: p.cfg.now()}
	p.mu.Lock()
	p.events = append(p.events, e)
	p.mu.Unlock()
	p.logger.Debug("oidctest event", "kind", kind, "user", user, "detail", detail)
}

// RefreshTokensOf are the refresh tokens ever issued to username, whatever
// their state: a test can check that none of a person's survives sign-out
// even where the client kept them in memory only.
func (p *Provider) RefreshTokensOf(username string) []string {
	return p.store.refreshTokensOf(username)
}

// EndBrowserSessions ends every Authentik session of username, in every
// browser, as their expiry or an admin deleting them under Directory >
// Users > Sessions does; it returns how many there were. With
// Quirks.AccessTokensDieWithSession the access tokens issued from them go
// too; refresh tokens stay valid. The browsers' next request finds no
// session.
func (p *Provider) EndBrowserSessions(username string) int {
	n, deleted := p.store.endSessionsOf(username)
	p.record("browser_sessions_ended", username, map[string]string{
		"sessions":              strconv.Itoa(n),
		"access_tokens_deleted": strconv.Itoa(deleted),
	})
	return n
}

// TokenState reports on an access or refresh token this provider issued.
func (p *Provider) TokenState(token string) TokenState {
	if token == "" {
		return TokenUnknown
	}
	if st, ok := p.store.refreshState(token); ok {
		return st
	}
	st, _ := p.accessToken(token)
	return st
}

// accessToken resolves an access token as Authentik does, by its value:
// whatever its form (JWT, re-signed, encrypted), the token endpoint bound
// the exact string it handed out to the stored record.
func (p *Provider) accessToken(token string) (TokenState, *tokenRecord) {
	return p.store.accessByValue(token)
}

func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	slugPath := pathPrefix + "/" + p.cfg.slug + "/"
	mux.HandleFunc(pathPrefix+"/authorize/{$}", p.handleAuthorize)
	mux.HandleFunc("POST "+pathPrefix+"/token/{$}", p.handleToken)
	mux.HandleFunc(pathPrefix+"/userinfo/{$}", p.handleUserinfo)
	mux.HandleFunc("POST "+pathPrefix+"/revoke/{$}", p.handleRevoke)
	mux.HandleFunc("POST "+pathPrefix+"/introspect/{$}", p.handleIntrospect)
	mux.HandleFunc("GET "+slugPath+".well-known/openid-configuration", p.handleDiscovery)
	mux.HandleFunc("GET "+slugPath+"jwks/{$}", p.handleJWKS)
	mux.HandleFunc(slugPath+"end-session/{$}", p.handleEndSession)
	mux.HandleFunc(loginPath+"{$}", p.handleLogin)
	mux.HandleFunc(authentikLogoutPath+"{$}", p.handleAuthentikLogout)
	mux.HandleFunc("GET /-/health/live/{$}", handleHealth)
	mux.HandleFunc("GET /-/health/ready/{$}", handleHealth)
	p.apiRoutes(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := op.ContextWithIssuer(r.Context(), p.cfg.issuer)
		ctx = context.WithValue(ctx, faultsKey{}, p.currentFaults())
		mux.ServeHTTP(w, r.WithContext(ctx))
	})
}

func handleHealth(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusOK)
}

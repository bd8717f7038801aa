package oidctest

// Quirks are Authentik behaviours (bugs included) that a client must survive.
// RealAuthentik() has them all on; Options.Quirks nil means RealAuthentik(). A test that
// wants a kinder provider starts from RealAuthentik() and turns one off, so
// that every other quirk stays real.
type Quirks struct {
	// PromptLoginTwice: Authentik issue #18507. With prompt=login and NO
	// Authentik session in the browser, after the person logs in, Authentik
	// sends the browser back to the same authorize URL, still carrying
	// prompt=login, and shows the login form a second time; only the second
	// login completes. After such a re-login Authentik leaves a marker in the
	// browser session, so the NEXT prompt=login in the same browser session
	// may show no form at all and silently reuse the session (auth_time stays
	// the old one). Off: prompt=login shows the form once per authorization
	// request, as the spec wants.
	PromptLoginTwice bool
	// IgnoreMaxAgeZero: max_age=N (N>0) is honoured against the time of the
	// browser session's last login (older -> the login form); max_age=0 is
	// ignored because 0 is falsy in Authentik's check. max_age>0 is honoured
	// in all cases; this flag only says whether 0 is ignored (true, real) or
	// forces a login (false, per spec).
	IgnoreMaxAgeZero bool
	// SaveFirstRedirectURI: when a client's redirect URI list is EMPTY, the
	// first redirect_uri that reaches the authorize endpoint (even an
	// anonymous GET that never logs in) is saved as the only strict entry.
	// Off = the later release (goauthentik PR #21746) where an empty list
	// refuses every redirect_uri ("Redirect URI Error").
	SaveFirstRedirectURI bool
	// CheckIDTokenHint: end-session verifies id_token_hint (signature with
	// the current signing key, aud = the provider's client ID, iss; exp and
	// azp not looked at) and answers HTTP 400 when it fails. Off: a hint
	// that does not verify is ignored.
	CheckIDTokenHint bool
	// LaunchURLFromRedirectURI: an Application with no Launch URL whose
	// provider is an OAuth2 provider reports as launch_url the provider's
	// FIRST redirect URI entry with its path removed, e.g.
	// "http://127.0.0.1:38917"; for a regex entry the regex text itself, e.g.
	// `http://127\.0\.0\.1:\d+`. Off: such an application has no launch URL.
	LaunchURLFromRedirectURI bool
	// APIPageSize is the REST API's default page_size (Authentik: 20); a
	// page_size query parameter is honoured up to 100 (Authentik's
	// max_page_size). Pages are cut BEFORE the per-user access filter, so a
	// page can hold fewer results than its size. 0 means 20.
	APIPageSize int
	// RotateRefreshTokens (authentik/providers/oauth2/views/token.py): every
	// refresh issues a new refresh token and the one used is spent, so using
	// it again gets invalid_grant (event "refresh_refused"); two clients
	// that refresh at once with the same token: one wins. Off: a refresh
	// token stays the same and valid until it expires or is revoked.
	RotateRefreshTokens bool
	// EmailVerifiedFalse (the default "email" scope mapping): the claim
	// email_verified is sent, always false, as Authentik does not track
	// verification. Off: the claim is left out.
	EmailVerifiedFalse bool
	// IDTokenWithoutAZP (authentik/providers/oauth2/id_token.py): Authentik's
	// ID tokens carry no azp claim (nor client_id); only its JWT access
	// tokens name the client in azp (IDToken.to_access_token). A client that
	// compares a refreshed ID token's azp with the first one's therefore
	// compares nothing. Off: the ID token has azp and client_id, as
	// zitadel's library writes them.
	IDTokenWithoutAZP bool
	// AccessTokensDieWithSession (BaseGrantModel.session in
	// authentik/providers/oauth2/models.py, on_delete=CASCADE for access
	// tokens; EndSessionView.get in views/end_session.py): an access token
	// belongs to the browser session it was issued from, and goes when that
	// session ends (a User Logout stage, the "Log out of authentik" link,
	// Provider.EndBrowserSessions) -- userinfo answers 401, the API 403 and
	// introspection inactive; TokenState says TokenDeleted. End-session in a
	// browser that has a session deletes that person's access tokens for the
	// provider from that session even when the invalidation flow keeps the
	// session (the default). Refresh tokens survive (their session becomes
	// null), and an access token made by a refresh belongs to the refresh
	// token's session, if it still has one. Off: access tokens live until they
	// expire or are revoked.
	AccessTokensDieWithSession bool
	// EndSessionLoginFirst: end-session in a browser with no Authentik
	// session sends it to the login page first -- before the id_token_hint
	// is looked at -- and back to end-session after the login. Off (Authentik's
	// main branch since goauthentik PR #23773, July 2026):
	// EndSessionView.handle_no_permission runs the view anyway, so the hint
	// is checked (400 when bad) and the invalidation flow shows "You've
	// logged out of <app>." (or follows a registered
	// post_logout_redirect_uri) with no login.
	EndSessionLoginFirst bool
}

// Authentik's REST pagination (authentik/api/pagination.py and the
// REST_FRAMEWORK PAGE_SIZE setting).
const (
	authentikPageSize    = 20
	authentikMaxPageSize = 100
)

// RealAuthentik is what Authentik 2026.x does: every quirk on.
func RealAuthentik() Quirks {
	return Quirks{
		PromptLoginTwice:           true,
		IgnoreMaxAgeZero:           true,
		SaveFirstRedirectURI:       true,
		CheckIDTokenHint:           true,
		LaunchURLFromRedirectURI:   true,
		APIPageSize:                authentikPageSize,
		RotateRefreshTokens:        true,
		EmailVerifiedFalse:         true,
		IDTokenWithoutAZP:          true,
		AccessTokensDieWithSession: true,
		EndSessionLoginFirst:       true,
	}
}

// IssuerMode is the provider's "Issuer mode" setting.
type IssuerMode int

const (
	// IssuerPerProvider (Authentik's default): the issuer is
	// {base}/application/o/{slug}/.
	IssuerPerProvider IssuerMode = iota
	// IssuerGlobal: the issuer is "{base}/" for every provider; discovery
	// stays at the per-slug path, and every token's iss is "{base}/".
	IssuerGlobal
)

// InvalidationFlow is the flow the provider's end-session runs.
type InvalidationFlow int

const (
	// DefaultProviderInvalidation is default-provider-invalidation-flow
	// (Authentik's default for new providers): it has no stages, so the
	// browser session STAYS. The page says "You've logged out of <app>." and
	// offers a link that logs out of authentik itself.
	DefaultProviderInvalidation InvalidationFlow = iota
	// UserLogoutInvalidation is a flow with a User Logout stage, such as
	// default-invalidation-flow: the browser session ENDS.
	UserLogoutInvalidation
)

func (f InvalidationFlow) String() string {
	switch f {
	case DefaultProviderInvalidation:
		return "default-provider-invalidation-flow"
	case UserLogoutInvalidation:
		return "default-invalidation-flow"
	default:
		return "unknown"
	}
}

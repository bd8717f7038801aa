// Package oidctest runs an in-process OpenID provider that behaves like
// Authentik, for tests and for the local demo IdP.
//
// The protocol work (authorization requests, codes, PKCE, token and refresh
// grants, userinfo, revocation, introspection, discovery, JWKS) is done by
// zitadel's certified OP library, github.com/zitadel/oidc/v3/pkg/op, over an
// in-memory storage. Around it this package reproduces what a client of a
// real Authentik sees, because the product's client is tested here and must
// then work unchanged against Authentik:
//
//   - Authentik's URL layout: discovery and issuer under
//     /application/o/<slug>/ (with the trailing slash), global
//     authorize/token/userinfo/revoke/introspect endpoints, per-application
//     jwks and end-session, and the /-/health/ probes;
//   - redirect URIs matched "strict" (string equality) or "regex" (full
//     match), with no any-port rule for loopback, and a 400 "Redirect URI
//     Error" page instead of a redirect when they do not match;
//   - a redirect_uri that is missing or different at the token endpoint
//     answered with invalid_client;
//   - PKCE defaulting to plain when code_challenge_method is left out;
//   - refresh tokens only for offline_access, rotated on every use;
//   - Authentik's default claims (groups, nickname, preferred_username, ...)
//     in the ID token and in userinfo, and a hashed, opaque subject;
//   - an HTML login form and a browser session cookie, honouring
//     prompt=login, prompt=none and max_age the way Authentik does;
//   - HS256 ID tokens keyed with the client secret and an empty JWKS, which
//     is what Authentik does when no signing key is selected (see Faults);
//   - for tokens with the goauthentik.io/api scope, the two API calls a
//     desktop client makes: /api/v3/core/users/me/ (avatar, inherited
//     groups) and /api/v3/core/applications/ (the apps a person may open).
//
// The real Authentik is the default: Options.Quirks nil means
// RealAuthentik(), and each quirk can be turned off alone. Each follows
// Authentik 2026.x source or a known issue:
//
//   - PromptLoginTwice (authentik/providers/oauth2/views/authorize.py,
//     SESSION_KEY_LAST_LOGIN_UID; issue #18507): prompt=login stores the
//     session's current login in the session and asks to log in while the
//     stored value is unset or still equal to the current login. A browser
//     without a session therefore sees the form twice; afterwards the value
//     stays, so every later prompt=login in that browser passes silently
//     (auth_time of the last real login). Logging in again, even as another
//     user, keeps the value; only ending the session drops it.
//   - IgnoreMaxAgeZero (authorize.py, "if self.params.max_age"): max_age is
//     compared with the session's last login; 0 is falsy and ignored.
//   - SaveFirstRedirectURI (authorize.py check_redirect_uri; changed by
//     goauthentik PR #21746): an empty list takes the first redirect_uri as
//     its only strict entry, before any login (event "redirect_uri_saved").
//   - CheckIDTokenHint (authentik/providers/oauth2/views/end_session.py):
//     id_token_hint must verify with the current signing key (or HS256 with
//     the client secret), with aud (the provider's client ID) and iss
//     right; exp and azp are not looked at; else 400. An encrypted ID token
//     is no JWS, so as a hint it always fails.
//   - LaunchURLFromRedirectURI (Application.get_launch_url in
//     authentik/core/models.py, OAuth2Provider.launch_url in
//     authentik/providers/oauth2/models.py): no Launch URL means the
//     provider's first redirect URI with its path removed, regex text
//     included; a Launch URL "blank://blank" is reported as it is (only
//     Authentik's own library page hides it).
//   - APIPageSize (authentik/api/pagination.py, PAGE_SIZE 20,
//     max_page_size 100): pages are cut before the per-user access filter
//     (ApplicationViewSet.list in authentik/core/api/applications.py).
//   - RotateRefreshTokens (authentik/providers/oauth2/views/token.py): a
//     new refresh token at every refresh; the one used gets invalid_grant
//     afterwards (event "refresh_refused").
//   - EmailVerifiedFalse (the default "email" scope mapping): email_verified
//     is sent and always false.
//   - IDTokenWithoutAZP (authentik/providers/oauth2/id_token.py): ID tokens,
//     first and refreshed, have no azp (and no client_id); only the JWT
//     access tokens carry azp (IDToken.to_access_token). Off: zitadel's
//     azp and client_id stay in the ID token.
//   - AccessTokensDieWithSession (BaseGrantModel.session in
//     authentik/providers/oauth2/models.py: CASCADE for access tokens,
//     SET_DEFAULT to null for refresh tokens; EndSessionView.get): an access
//     token belongs to the browser session it was issued from. End-session
//     in a browser with a session deletes that person's access tokens for
//     the provider from that session, even with the default flow that keeps
//     the session; a session that ends (a User Logout stage, the "Log out
//     of authentik" link, Provider.EndBrowserSessions) takes all its access
//     tokens along. Userinfo then answers 401, the API 403, introspection
//     inactive, and TokenState says TokenDeleted. Refresh tokens survive;
//     the access token a refresh makes belongs to the refresh token's
//     session while that lasts, to none after. A new login in a browser
//     that has a session keeps its tokens (not checked against Authentik).
//   - EndSessionLoginFirst (PolicyAccessView in end_session.py): end-session
//     in a browser with no session goes to the login page first, before the
//     id_token_hint is looked at, and comes back to end-session after the
//     login. Off, as Authentik's main branch does since goauthentik PR
//     #23773 (July 2026; EndSessionView.handle_no_permission calls get): the
//     hint is checked (400 when bad) and the invalidation flow runs with no
//     login, ending on "You've logged out of <app>." or a registered
//     post_logout_redirect_uri.
//
// Provider settings, zero value = Authentik's default: IssuerMode
// (OAuth2Provider.get_issuer: per provider, or "{base}/" for Global, with
// discovery still per slug), InvalidationFlow (end_session.py with
// blueprints/default/flow-default-provider-invalidation.yaml, a flow with
// no stages: the session stays and the page offers "Log out of authentik";
// a User Logout stage ends it; a browser with no session: see
// EndSessionLoginFirst) and EncryptionKey (OAuth2Provider.encrypt in models.py:
// ID and access tokens become RSA-OAEP-256/A256CBC-HS512 JWEs; discovery
// is unchanged and the JWKS lists the key with use "enc", as
// authentik/providers/oauth2/views/jwks.py does). RotateSigningKey stands
// for selecting another signing key.
//
// Always as Authentik, with no option (the protocol work around them
// depends on them): access tokens are JWTs signed like the ID token, with
// azp naming the client; they are valid 1 hour by default
// (DefaultAccessTokenLifetime, models.py access_token_validity; the admin
// interface's provider form fills in 5 minutes instead,
// OAuth2ProviderFormForm.ts: Options.AccessTokenLifetime sets it); the ID token
// has no lifetime of its own: its exp is the expiry of the access token
// issued with it (id_token.py IDToken.new, token.py), at the code exchange
// and at every refresh; the refreshed ID token has no nonce and the
// original auth_time; unknown clients and bad redirect URIs get the HTML
// 400 pages "Client ID Error" (checked first) and "Redirect URI Error".
//
// Faults switch on the ways a misconfigured or misbehaving Authentik can let
// a client down, and Events records what the provider saw so tests can
// assert on the conversation without ever storing passwords or tokens:
// "login_form" each time the form is shown, "session_reused" when a session
// signs a request in silently, "end_session" with the flow, "status",
// "outcome", "session_ended" and "access_tokens_deleted",
// "authentik_logout" and "browser_sessions_ended" (both with
// "access_tokens_deleted"), "redirect_uri_saved", "refresh_refused".
package oidctest

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
//     prompt=login and prompt=none;
//   - HS256 ID tokens keyed with the client secret and an empty JWKS, which
//     is what Authentik does when no signing key is selected (see Faults);
//   - for tokens with the goauthentik.io/api scope, the two API calls a
//     desktop client makes: /api/v3/core/users/me/ (avatar, inherited
//     groups) and /api/v3/core/applications/ (the apps a person may open).
//
// Faults switch on the ways a misconfigured or misbehaving Authentik can let
// a client down, and Events records what the provider saw so tests can
// assert on the conversation without ever storing passwords or tokens.
package oidctest

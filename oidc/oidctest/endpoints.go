package oidctest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// authorizer lets the library run its own authorization-request checks,
// except the redirect URI rule, which must be Authentik's.
type authorizer struct {
	*op.Provider
	store *store
}

func (a authorizer) ValidateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ op.Storage, verifier *op.IDTokenHintVerifier) (string, error) {
	if !a.store.redirectAllowed(req.ClientID, req.RedirectURI) {
		return "", oidc.ErrInvalidRequestRedirectURI()
	}
	client, err := a.store.GetClientByClientID(ctx, req.ClientID)
	if err != nil {
		return "", oidc.ErrInvalidRequestRedirectURI()
	}
	return op.ValidateAuthRequestClient(ctx, req, vettedClient{Client: client, uri: req.RedirectURI}, verifier)
}

func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, http.StatusBadRequest, "Request Error", "The authorization request could not be read.")
		return
	}
	q := r.Form
	clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")
	p.record("authorize", "", map[string]string{
		"client_id":             clientID,
		"redirect_uri":          redirectURI,
		"scope":                 q.Get("scope"),
		"prompt":                q.Get("prompt"),
		"max_age":               q.Get("max_age"),
		"code_challenge_method": q.Get("code_challenge_method"),
		"nonce_present":         strconv.FormatBool(q.Get("nonce") != ""),
		"state_present":         strconv.FormatBool(q.Get("state") != ""),
	})
	if _, ok := p.store.client(clientID); !ok {
		p.errorPage(w, http.StatusBadRequest, "Client ID Error",
			"The client identifier (client_id) is missing or invalid.")
		return
	}
	allowed, saved := p.store.checkAuthorizeRedirect(clientID, redirectURI, p.cfg.quirks.SaveFirstRedirectURI)
	if saved {
		p.record("redirect_uri_saved", "", map[string]string{"client_id": clientID, "redirect_uri": redirectURI})
	}
	// Like Authentik, never redirect to a URI that is not registered: the
	// browser stays on an error page and the application hears nothing.
	if !allowed {
		p.errorPage(w, http.StatusBadRequest, "Redirect URI Error",
			"The request fails due to a missing, invalid, or mismatching redirection URI (redirect_uri).")
		return
	}
	if e := p.faultsFor(r.Context()).AuthorizeError; e != "" {
		http.Redirect(w, r, withQuery(redirectURI, url.Values{
			"error":             {e},
			"error_description": {"Authorization refused by an injected fault (oidctest)."},
			"state":             {q.Get("state")},
		}), http.StatusFound)
		return
	}
	var maxAge *uint
	if n, err := strconv.ParseUint(q.Get("max_age"), 10, 32); err == nil {
		v := uint(n)
		maxAge = &v
	}
	r = r.WithContext(withRawMaxAge(r.Context(), maxAge))
	op.Authorize(w, r, authorizer{Provider: p.op, store: p.store})
}

func withQuery(raw string, add url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k, vs := range add {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// clientIDOf names the client of a back-channel request, whichever way it
// authenticated.
func clientIDOf(r *http.Request) string {
	if id, _, ok := r.BasicAuth(); ok {
		if u, err := url.QueryUnescape(id); err == nil {
			return u
		}
		return id
	}
	return r.Form.Get("client_id")
}

// writeOAuthError answers like Authentik's token view: JSON, status 400 even
// for invalid_client.
func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The request body could not be read.")
		return
	}
	ctx := r.Context()
	f := p.faultsFor(ctx)
	grant := r.Form.Get("grant_type")
	clientID := clientIDOf(r)
	redirectURI := r.Form.Get("redirect_uri")

	var user string
	var codeReq *authRequest
	switch grant {
	case string(oidc.GrantTypeCode):
		if ar, err := p.store.authRequestByCode(r.Form.Get("code")); err == nil {
			codeReq = ar
			user = p.store.usernameOf(ar.subject)
		}
	case string(oidc.GrantTypeRefreshToken):
		user = p.store.usernameOf(p.store.refreshSubject(r.Form.Get("refresh_token")))
	}
	p.record("token", user, map[string]string{
		"grant_type":   grant,
		"redirect_uri": redirectURI,
		"client_id":    clientID,
	})
	if code := f.TokenEndpointPage; code != 0 {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(code)
		fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><center><h1>%[1]d %[2]s</h1></center><hr><center>nginx</center></body></html>\n", code, http.StatusText(code))
		return
	}

	switch grant {
	case string(oidc.GrantTypeCode):
		// Authentik checks redirect_uri before anything else and calls a bad
		// one invalid_client; the library would say invalid_grant.
		if redirectURI == "" {
			writeOAuthError(w, http.StatusBadRequest, "invalid_client", "redirect_uri is missing from the token request.")
			return
		}
		if codeReq != nil && codeReq.redirectURI != redirectURI {
			writeOAuthError(w, http.StatusBadRequest, "invalid_client", "redirect_uri does not match the authorization request.")
			return
		}
		if _, ok := p.store.client(clientID); codeReq == nil && ok && !p.store.redirectAllowed(clientID, redirectURI) {
			writeOAuthError(w, http.StatusBadRequest, "invalid_client", "redirect_uri is not registered for this client.")
			return
		}
	case string(oidc.GrantTypeRefreshToken):
		if f.RefuseRefresh {
			p.record("refresh_refused", user, map[string]string{"client_id": clientID, "reason": "fault"})
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "The refresh token is invalid or expired (injected fault).")
			return
		}
	}

	rec := newRecorder()
	op.Exchange(rec, r, p.op)
	if rec.status != http.StatusOK {
		if grant == string(oidc.GrantTypeRefreshToken) {
			var e struct {
				Error string `json:"error"`
			}
			_ = json.Unmarshal(rec.body.Bytes(), &e)
			p.record("refresh_refused", user, map[string]string{"client_id": clientID, "reason": e.Error})
		}
		rec.copyTo(w)
		return
	}

	body := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(rec.body.Bytes()))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		rec.copyTo(w)
		return
	}
	if err := p.finishTokens(body, f); err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "oidctest could not finish the tokens: "+err.Error())
		return
	}
	if grant == string(oidc.GrantTypeRefreshToken) && f.OmitRefreshToken {
		delete(body, "refresh_token")
	}
	// The library counts down from the moment the token was stored; Authentik
	// reports the configured validity.
	body["expires_in"] = int64(p.cfg.accessTokenLifetime.Seconds())
	if f.OmitExpiresIn {
		delete(body, "expires_in")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(body)
}

// handleUserinfo answers from the stored grant. The library's own
// userinfo cannot be used: it would verify the JWT access token against the
// JWKS, which is empty in HS256 mode and useless for an encrypted token.
func (p *Provider) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	token, err := op.ParseUserinfoRequest(r, p.op.Decoder())
	st, rec := TokenUnknown, (*tokenRecord)(nil)
	if err == nil && token != "" {
		st, rec = p.accessToken(token)
	}
	if st != TokenActive {
		p.record("userinfo", "", map[string]string{"status": "401", "token_state": st.String()})
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", "The access token is missing, unknown, expired or revoked.")
		return
	}
	info := new(oidc.UserInfo)
	if err := p.store.fillUserinfo(info, rec.subject, rec.scopes); err != nil {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", "The access token's user no longer exists.")
		return
	}
	if sub := p.faultsFor(r.Context()).UserinfoSubject; sub != "" {
		info.Subject = sub
	}
	p.record("userinfo", p.store.usernameOf(rec.subject), map[string]string{"status": "200", "client_id": rec.clientID})
	writeJSON(w, http.StatusOK, info)
}

// handleRevoke follows RFC 7009 as Authentik does: the client proves who it
// is (a public client by its ID alone), then the answer is 200 whatever the
// token was.
func (p *Provider) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if d := p.faultsFor(r.Context()).RevokeDelay; d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The request body could not be read.")
		return
	}
	p.record("revoke", "", map[string]string{
		"token_type_hint": r.Form.Get("token_type_hint"),
		"client_id":       clientIDOf(r),
	})
	token, _, clientID, err := op.ParseTokenRevocationRequest(r, p.op)
	if err != nil {
		op.RevocationRequestError(w, r, err)
		return
	}
	p.store.revoke(token, clientID)
	w.WriteHeader(http.StatusOK)
}

// handleIntrospect needs an authenticated client, like the library's, and
// reports on access tokens by value.
func (p *Provider) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	token, _, err := op.ParseTokenIntrospectionRequest(r, p.op)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	resp := new(oidc.IntrospectionResponse)
	if st, t := p.accessToken(token); st == TokenActive {
		info := new(oidc.UserInfo)
		if err := p.store.fillUserinfo(info, t.subject, t.scopes); err == nil {
			t.introspect(resp, info, p.cfg.issuer)
			resp.Active = true
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (p *Provider) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	cfg := op.CreateDiscoveryConfig(ctx, p.op, p.store)
	// Trim what the library advertises to what this provider and Authentik
	// actually do, and add plain PKCE, which Authentik accepts.
	cfg.DeviceAuthorizationEndpoint = ""
	cfg.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodPlain, oidc.CodeChallengeMethodS256}
	cfg.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	cfg.ResponseModesSupported = []string{"query", "form_post"}
	cfg.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	// An Encryption Key changes nothing here: Authentik advertises only the
	// signing algorithm and lists the encryption key in the JWKS.
	if p.faultsFor(ctx).WrongIssuer {
		cfg.Issuer = "https://evil.example" + pathPrefix + "/" + p.cfg.slug + "/"
	}
	op.Discover(w, cfg)
}

func (p *Provider) handleJWKS(w http.ResponseWriter, r *http.Request) {
	keys, err := p.jwks(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

// recorder holds a library response so the token endpoint can rewrite it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, status: http.StatusOK} }

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }

func (r *recorder) copyTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}

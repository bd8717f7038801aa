package oidctest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	jose "github.com/go-jose/go-jose/v4"
)

// authentikLogoutPath is the brand's invalidation flow, which the "Log out
// of authentik" link on the provider's logged-out page leads to.
const authentikLogoutPath = "/flows/-/default/invalidation/"

// handleEndSession is Authentik's EndSessionView
// (authentik/providers/oauth2/views/end_session.py). In order: with
// Quirks.EndSessionLoginFirst (older Authentik) a browser without a session
// is sent to log in first, coming back here afterwards; a bad id_token_hint
// is a 400 (CheckIDTokenHint); in a browser with a session the person's
// access tokens for the provider from that session are deleted
// (AccessTokensDieWithSession); then the provider's invalidation flow runs,
// which ends the session only if it has a User Logout stage; finally a
// registered post_logout_redirect_uri is followed, or the "You've logged out
// of <app>." page is shown -- also, in current Authentik, to a browser
// without a session.
func (p *Provider) handleEndSession(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, http.StatusBadRequest, "Request Error", "The logout request could not be read.")
		return
	}
	q := p.cfg.quirks
	hint := r.Form.Get("id_token_hint")
	postLogout := r.Form.Get("post_logout_redirect_uri")
	clientID := r.Form.Get("client_id")
	bs, hasSession := p.browserSession(r)
	detail := map[string]string{
		"id_token_hint_present":    strconv.FormatBool(hint != ""),
		"post_logout_redirect_uri": postLogout,
		"flow":                     p.cfg.invalidation.String(),
		"session_ended":            "false",
		"access_tokens_deleted":    "0",
	}
	done := func(status int, outcome string) {
		detail["status"] = strconv.Itoa(status)
		detail["outcome"] = outcome
		detail["client_id"] = clientID
		p.record("end_session", bs.username, detail)
	}

	if !hasSession && q.EndSessionLoginFirst {
		// Older Authentik: the access check runs before the view, so no
		// session means the login flow, with this request as the place to
		// return to, whatever the hint.
		back := r.URL.Path
		if len(r.Form) > 0 {
			back += "?" + r.Form.Encode()
		}
		done(http.StatusFound, "login_page")
		http.Redirect(w, r, loginPath+"?next="+url.QueryEscape(back), http.StatusFound)
		return
	}
	if hint != "" {
		client, ok := p.hintClient(hint)
		switch {
		case ok:
			clientID = client
		case q.CheckIDTokenHint:
			done(http.StatusBadRequest, "id_token_hint_invalid")
			p.errorPage(w, http.StatusBadRequest, "Bad Request", "The request is otherwise malformed")
			return
		}
	}
	if hasSession {
		deleted := 0
		if q.AccessTokensDieWithSession {
			deleted = p.store.deleteAccessTokens(bs.id, bs.username, p.providerClients(clientID))
		}
		if p.cfg.invalidation == UserLogoutInvalidation {
			_, n := p.store.endSession(bs.id)
			deleted += n
			http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1})
			detail["session_ended"] = "true"
		}
		detail["access_tokens_deleted"] = strconv.Itoa(deleted)
	}
	if c, ok := p.store.client(clientID); ok && postLogout != "" && slices.Contains(c.PostLogoutRedirectURIs, postLogout) {
		target := postLogout
		if st := r.Form.Get("state"); st != "" {
			target = withQuery(postLogout, url.Values{"state": {st}})
		}
		done(http.StatusFound, "post_logout_redirect")
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	done(http.StatusOK, "logged_out_page")
	render(w, http.StatusOK, "loggedout", map[string]string{"App": p.cfg.appName, "LogoutURL": authentikLogoutPath})
}

// providerClients are the clients whose access tokens end-session deletes:
// the provider of the slug's application. When no Application names it,
// every client stands for it (as for the id_token_hint check), narrowed to
// the one the hint or client_id named, if any; nil means all.
func (p *Provider) providerClients(named string) []string {
	switch {
	case p.cfg.slugClient != "":
		return []string{p.cfg.slugClient}
	case named != "":
		return []string{named}
	default:
		return nil
	}
}

// handleAuthentikLogout is the brand's default invalidation flow: it ends
// the browser's Authentik session and lands on the login page.
func (p *Provider) handleAuthentikLogout(w http.ResponseWriter, r *http.Request) {
	var user string
	var deleted int
	if bs, ok := p.browserSession(r); ok {
		user, deleted = p.store.endSession(bs.id)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1})
	p.record("authentik_logout", user, map[string]string{
		"session_ended":         strconv.FormatBool(user != ""),
		"access_tokens_deleted": strconv.Itoa(deleted),
	})
	http.Redirect(w, r, loginPath, http.StatusFound)
}

// hintClient checks an id_token_hint as Authentik does -- signature with
// the current signing key (or HS256 with the client secret when the HS256
// fault stands for "no signing key"), audience (the provider's client ID),
// issuer; exp is ignored, and so is azp, which Authentik's ID tokens do not
// have -- and returns the client it was issued to. An encrypted ID token is
// not a JWS and never passes, as in Authentik.
//
// The provider is the one of the Application whose slug this provider
// serves; when no Application names it, any client of ours in aud stands
// for it.
func (p *Provider) hintClient(hint string) (string, bool) {
	jws, err := jose.ParseSigned(hint, []jose.SignatureAlgorithm{jose.RS256, jose.HS256})
	if err != nil || len(jws.Signatures) != 1 {
		return "", false
	}
	var unverified struct {
		Audience audience `json:"aud"`
	}
	if json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &unverified) != nil {
		return "", false
	}
	candidates := []string{p.cfg.slugClient}
	if p.cfg.slugClient == "" {
		candidates = unverified.Audience
	}
	for _, want := range candidates {
		if _, ok := p.store.client(want); !ok {
			continue
		}
		var payload []byte
		switch jose.SignatureAlgorithm(jws.Signatures[0].Header.Algorithm) {
		case jose.RS256:
			key, _ := p.cfg.keys.signing()
			payload, err = jws.Verify(&key.PublicKey)
		case jose.HS256:
			payload, err = verifyHS256(hint, p.hmacKey(want))
		default:
			return "", false
		}
		if err != nil {
			continue
		}
		var claims struct {
			Issuer   string   `json:"iss"`
			Audience audience `json:"aud"`
		}
		if json.Unmarshal(payload, &claims) != nil || claims.Issuer != p.cfg.issuer || !slices.Contains(claims.Audience, want) {
			continue
		}
		return want, true
	}
	return "", false
}

// audience reads "aud" as a string or a list of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

package oidctest

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} - authentik</title></head>
<body>{{end}}

{{define "login"}}{{template "head" "Log in"}}
<main>
<h1>Welcome to authentik!</h1>
<p>Log in to continue to {{.App}}.</p>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<label for="username">Username or Email</label>
<input id="username" name="username" type="text" autocomplete="username" value="{{.Username}}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="submit" type="submit">Log in</button>
</form>
</main>
</body></html>{{end}}

{{define "message"}}{{template "head" .Title}}
<main>
<h1 id="title">{{.Title}}</h1>
<p id="message">{{.Message}}</p>
</main>
</body></html>{{end}}
`))

func render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (p *Provider) errorPage(w http.ResponseWriter, status int, title, message string) {
	render(w, status, "message", map[string]string{"Title": title, "Message": message})
}

func (p *Provider) showLogin(w http.ResponseWriter, ar *authRequest, username, errMsg string) {
	if errMsg == "" {
		p.record("login_form", "", map[string]string{"client_id": ar.clientID, "prompt": strings.Join(ar.prompt, " ")})
	}
	render(w, http.StatusOK, "login", map[string]string{
		"App":      ar.clientID,
		"Action":   loginPath + "?id=" + url.QueryEscape(ar.id),
		"Username": username,
		"Error":    errMsg,
	})
}

func (p *Provider) browserSession(r *http.Request) (browserSession, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return browserSession{}, false
	}
	return p.store.session(c.Value)
}

// handleLogin is the login "flow": the library redirects every authorization
// request here, and this page either satisfies it from the browser session
// or asks for the password.
func (p *Provider) handleLogin(w http.ResponseWriter, r *http.Request) {
	ar, err := p.store.authRequestByID(r.URL.Query().Get("id"))
	if err != nil || ar.done {
		p.errorPage(w, http.StatusBadRequest, "Flow Error",
			"This login request is unknown or already finished. Start the sign-in again from the application.")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if !ar.promptLogin() {
			if bs, ok := p.browserSession(r); ok {
				p.record("session_reused", bs.username, map[string]string{"client_id": ar.clientID})
				p.finishLogin(w, r, ar.id, bs.username, bs.authTime)
				return
			}
			if ar.promptNone() {
				p.record("login_required", "", map[string]string{"client_id": ar.clientID})
				op.AuthRequestError(w, r, ar, oidc.ErrLoginRequired(), p.op)
				return
			}
		}
		p.showLogin(w, ar, "", "")
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			p.errorPage(w, http.StatusBadRequest, "Request Error", "The login form could not be read.")
			return
		}
		login := r.PostForm.Get("username")
		u, ok := p.store.checkPassword(login, r.PostForm.Get("password"))
		if !ok {
			p.record("login_failed", login, map[string]string{"client_id": ar.clientID})
			p.showLogin(w, ar, login, "Invalid username or password")
			return
		}
		if old, ok := p.browserSession(r); ok {
			p.store.endSession(old.id)
		}
		bs := p.store.newSession(u.Username)
		http.SetCookie(w, &http.Cookie{
			Name:     sessionCookie,
			Value:    bs.id,
			Path:     "/",
			HttpOnly: true,
			SameSite: http.SameSiteLaxMode,
		})
		p.record("login_ok", u.Username, map[string]string{"client_id": ar.clientID})
		p.finishLogin(w, r, ar.id, u.Username, bs.authTime)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// finishLogin hands the now authenticated request back to the library, which
// issues the code and redirects to the client.
func (p *Provider) finishLogin(w http.ResponseWriter, r *http.Request, id, username string, authTime time.Time) {
	ar, err := p.store.completeAuthRequest(id, username, authTime)
	if err != nil {
		p.errorPage(w, http.StatusBadRequest, "Flow Error", "This login request is unknown or already finished.")
		return
	}
	op.AuthResponse(ar, p.op, w, r)
}

// handleEndSession is Authentik 2026.5's end-session: it logs the browser
// out and honours post_logout_redirect_uri only when it is registered for
// the client named by id_token_hint or client_id.
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
	hint := r.Form.Get("id_token_hint")
	postLogout := r.Form.Get("post_logout_redirect_uri")
	clientID := r.Form.Get("client_id")

	var user string
	if bs, ok := p.browserSession(r); ok {
		user = p.store.endSession(bs.id)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1})
	if hint != "" {
		if azp, ok := p.hintClient(hint); ok {
			clientID = azp
		}
	}
	p.record("end_session", user, map[string]string{
		"id_token_hint_present":    strconv.FormatBool(hint != ""),
		"post_logout_redirect_uri": postLogout,
		"client_id":                clientID,
	})
	if c, ok := p.store.client(clientID); ok && postLogout != "" && slices.Contains(c.PostLogoutRedirectURIs, postLogout) {
		target := postLogout
		if st := r.Form.Get("state"); st != "" {
			target = withQuery(postLogout, url.Values{"state": {st}})
		}
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	p.errorPage(w, http.StatusOK, "You have been logged out",
		"You have been logged out of authentik. You can close this window.")
}

// hintClient returns the client an ID token hint was issued to, if the hint
// is one of ours. Expired hints count, as the spec allows.
func (p *Provider) hintClient(hint string) (string, bool) {
	jws, err := jose.ParseSigned(hint, []jose.SignatureAlgorithm{jose.RS256, jose.HS256})
	if err != nil || len(jws.Signatures) != 1 {
		return "", false
	}
	var payload []byte
	switch jose.SignatureAlgorithm(jws.Signatures[0].Header.Algorithm) {
	case jose.RS256:
		payload, err = jws.Verify(&p.cfg.key.PublicKey)
		if err != nil {
			return "", false
		}
	case jose.HS256:
		var claimed struct {
			AZP string `json:"azp"`
		}
		if json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &claimed) != nil {
			return "", false
		}
		payload, err = verifyHS256(hint, p.hmacKey(claimed.AZP))
		if err != nil {
			return "", false
		}
	default:
		return "", false
	}
	var claims struct {
		Issuer string `json:"iss"`
		AZP    string `json:"azp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Issuer != p.cfg.issuer || claims.AZP == "" {
		return "", false
	}
	return claims.AZP, true
}

package oidctest

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// loginForm is one showing of the login page.
type loginForm struct {
	action, app, clientID, prompt string
}

func (p *Provider) showLogin(w http.ResponseWriter, f loginForm, username, errMsg string) {
	if errMsg == "" {
		p.record("login_form", "", map[string]string{"client_id": f.clientID, "prompt": f.prompt})
	}
	render(w, http.StatusOK, "login", map[string]string{
		"App":      f.app,
		"Action":   f.action,
		"Username": username,
		"Error":    errMsg,
	})
}

func formFor(ar *authRequest) loginForm {
	return loginForm{
		action:   loginPath + "?id=" + url.QueryEscape(ar.id),
		app:      ar.clientID,
		clientID: ar.clientID,
		prompt:   strings.Join(ar.prompt, " "),
	}
}

func (p *Provider) browserSession(r *http.Request) (browserSession, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return browserSession{}, false
	}
	return p.store.session(c.Value)
}

// handleLogin is the login "flow". With ?id= it serves an authorization
// request the library redirected here; without, it is a plain log in to
// authentik that returns to ?next= (where end-session sends a browser that
// has no session).
func (p *Provider) handleLogin(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if id == "" {
		p.handlePlainLogin(w, r)
		return
	}
	ar, err := p.store.authRequestByID(id)
	if err != nil || ar.done {
		p.errorPage(w, http.StatusBadRequest, "Flow Error",
			"This login request is unknown or already finished. Start the sign-in again from the application.")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		var bs *browserSession
		if s, ok := p.browserSession(r); ok {
			bs = &s
		}
		p.resumeAuthorize(w, r, ar, bs)
	case http.MethodPost:
		u, ok := p.checkLoginForm(w, r, formFor(ar))
		if !ok {
			return
		}
		bs := p.logIn(w, r, u, ar.clientID)
		p.store.markLoggedIn(ar.id)
		ar.loggedIn = true
		// Authentik now sends the browser back to the authorize URL it came
		// from, which decides afresh; deciding here is the same but for the
		// extra round trip.
		p.resumeAuthorize(w, r, ar, bs)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// resumeAuthorize is Authentik's AuthorizationFlowInitView for a browser
// with (bs) or without an Authentik session: log in, or hand the request
// back to the library for the code.
func (p *Provider) resumeAuthorize(w http.ResponseWriter, r *http.Request, ar *authRequest, bs *browserSession) {
	q := p.cfg.quirks
	if bs == nil {
		if ar.promptNone() {
			p.record("login_required", "", map[string]string{"client_id": ar.clientID})
			op.AuthRequestError(w, r, ar, oidc.ErrLoginRequired(), p.op)
			return
		}
		p.showLogin(w, formFor(ar), "", "")
		return
	}
	// max_age is measured from the session's last login. Authentik tests
	// it with "if max_age:", so 0 is no limit at all (IgnoreMaxAgeZero);
	// per spec 0 asks for a login within this very request.
	if ar.maxAge != nil && (*ar.maxAge > 0 || !q.IgnoreMaxAgeZero) {
		stale := p.cfg.now().Sub(bs.authTime) > time.Duration(*ar.maxAge)*time.Second
		if *ar.maxAge == 0 {
			stale = !ar.loggedIn
		}
		if stale {
			// Authentik leaves the prompt=login marker here too, so that a
			// request with both max_age and prompt=login asks once.
			p.store.markReauthentication(bs.id, bs.loginID)
			p.showLogin(w, formFor(ar), "", "")
			return
		}
	}
	if ar.promptLogin() {
		if q.PromptLoginTwice {
			// Issue #18507: the marker is compared with the session's current
			// login. Unset, or equal (no new login since it was set), means
			// "log in again" -- also right after the first login of a
			// browser that had no session. Once a later login differs from
			// it, prompt=login passes without a form, for good.
			if bs.lastLoginUID == "" || bs.lastLoginUID == bs.loginID {
				p.store.markReauthentication(bs.id, bs.loginID)
				p.showLogin(w, formFor(ar), "", "")
				return
			}
		} else if !ar.loggedIn {
			p.showLogin(w, formFor(ar), "", "")
			return
		}
	}
	if !ar.loggedIn {
		p.record("session_reused", bs.username, map[string]string{"client_id": ar.clientID, "prompt": strings.Join(ar.prompt, " ")})
	}
	p.finishLogin(w, r, ar.id, bs)
}

// checkLoginForm reads a posted form; on a wrong password it shows the form
// again with Authentik's message.
func (p *Provider) checkLoginForm(w http.ResponseWriter, r *http.Request, f loginForm) (*User, bool) {
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, http.StatusBadRequest, "Request Error", "The login form could not be read.")
		return nil, false
	}
	login := r.PostForm.Get("username")
	u, ok := p.store.checkPassword(login, r.PostForm.Get("password"))
	if !ok {
		p.record("login_failed", login, map[string]string{"client_id": f.clientID})
		p.showLogin(w, f, login, "Invalid username or password")
		return nil, false
	}
	return u, true
}

// logIn starts a new session in this browser, keeping what the old one
// held (see store.newSession).
func (p *Provider) logIn(w http.ResponseWriter, r *http.Request, u *User, clientID string) *browserSession {
	var previous string
	if old, ok := p.browserSession(r); ok {
		previous = old.id
	}
	bs := p.store.newSession(u.Username, previous)
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    bs.id,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
	p.record("login_ok", u.Username, map[string]string{"client_id": clientID})
	return bs
}

// finishLogin hands the now authenticated request back to the library, which
// issues the code and redirects to the client.
func (p *Provider) finishLogin(w http.ResponseWriter, r *http.Request, id string, bs *browserSession) {
	ar, err := p.store.completeAuthRequest(id, bs.username, bs.id, bs.authTime)
	if err != nil {
		p.errorPage(w, http.StatusBadRequest, "Flow Error", "This login request is unknown or already finished.")
		return
	}
	op.AuthResponse(ar, p.op, w, r)
}

// handlePlainLogin logs in to authentik itself and then follows ?next=,
// which must be a path on this provider.
func (p *Provider) handlePlainLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		next = ""
	}
	f := loginForm{action: loginPath, app: "authentik"}
	if next != "" {
		f.action += "?next=" + url.QueryEscape(next)
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		p.showLogin(w, f, "", "")
	case http.MethodPost:
		u, ok := p.checkLoginForm(w, r, f)
		if !ok {
			return
		}
		p.logIn(w, r, u, "")
		if next != "" {
			http.Redirect(w, r, next, http.StatusFound)
			return
		}
		p.errorPage(w, http.StatusOK, "Welcome, "+u.Name, "You are logged in to authentik.")
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

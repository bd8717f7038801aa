package oidctest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Authentik's defaults for the claims it puts in every token it issues.
const (
	authentikACR = "goauthentik.io/providers/oauth2/default"
	// Authentik keeps authorization codes for one minute by default.
	codeLifetime = time.Minute
)

var errNotFound = errors.New("oidctest: not found")

// store is the op.Storage behind the provider. One mutex guards everything:
// the data is tiny and the tests care about correctness under -race, not
// throughput.
type store struct {
	cfg *settings

	mu       sync.Mutex
	users    map[string]*User // by username
	bySub    map[string]*User
	clients  map[string]*clientConfig
	authReqs map[string]*authRequest
	codes    map[string]string // code -> auth request id
	access   map[string]*tokenRecord
	// accessByHash binds the exact access token string handed out (by its
	// SHA-256) to the record, whatever form the string took.
	accessByHash map[string]string
	refresh      map[string]*tokenRecord // by the token value itself
	sessions     map[string]*browserSession
}

// settings are fixed at Start; faults are the only thing that changes later
// and they are read through faultsFor so a request sees one consistent set.
type settings struct {
	slug                 string
	issuer               string
	slugURL              string // {base}/application/o/{slug}/, whatever the issuer mode
	slugClient           string // client ID of the slug's application's provider, if known
	appName              string // name of the slug's application
	quirks               Quirks
	invalidation         InvalidationFlow
	now                  func() time.Time
	accessTokenLifetime  time.Duration
	refreshTokenLifetime time.Duration
	keys                 *keyring
	faults               func(context.Context) Faults
}

type clientConfig struct {
	Client
	regexes []*regexp.Regexp
}

// redirectAllowedLocked follows Authentik: strict entries compare as
// strings, regex entries must match the whole URI. There is deliberately no
// RFC 8252 any-port rule for loopback addresses. The caller holds store.mu,
// because SaveFirstRedirectURI can change the strict list.
func (c *clientConfig) redirectAllowedLocked(uri string) bool {
	if uri == "" {
		return false
	}
	if slices.Contains(c.RedirectURIs, uri) {
		return true
	}
	for _, re := range c.regexes {
		if re.MatchString(uri) {
			return true
		}
	}
	return false
}

// redirectAllowed checks uri against the client's current list.
func (s *store) redirectAllowed(clientID, uri string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[clientID]
	return ok && c.redirectAllowedLocked(uri)
}

// checkAuthorizeRedirect is the authorize endpoint's redirect_uri check.
// With saveFirst, an empty list first takes uri as its only strict entry,
// as Authentik's check_redirect_uri does before it compares anything.
func (s *store) checkAuthorizeRedirect(clientID, uri string, saveFirst bool) (allowed, saved bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[clientID]
	if !ok || uri == "" {
		return false, false
	}
	if saveFirst && len(c.RedirectURIs) == 0 && len(c.regexes) == 0 {
		c.RedirectURIs = []string{uri}
		saved = true
	}
	return c.redirectAllowedLocked(uri), saved
}

func (s *store) redirectURIs(clientID string) (strict, regexes []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[clientID]
	if !ok {
		return nil, nil
	}
	return slices.Clone(c.RedirectURIs), slices.Clone(c.RedirectURIRegexes)
}

func (c *clientConfig) public() bool { return c.Secret == "" }

// browserSession is Authentik's session in one browser.
type browserSession struct {
	id       string
	username string
	authTime time.Time
	// loginID names the login that made the session what it is, like the
	// login event Authentik finds with get_login_event.
	loginID string
	// lastLoginUID is the value Authentik keeps under
	// SESSION_KEY_LAST_LOGIN_UID: the loginID that prompt=login (or
	// max_age) last asked to replace. It is never cleared, only
	// overwritten, and survives a new login in the same browser.
	lastLoginUID string
}

type tokenRecord struct {
	id       string
	subject  string
	clientID string
	scopes   []string
	authTime time.Time
	issued   time.Time
	expires  time.Time
	revoked  bool
	rotated  bool
	// session is the browser session the token was issued from ("" = none,
	// or, for a refresh token, one that has ended since), Authentik's
	// BaseGrantModel.session.
	session string
	// deleted: an access token that went with its browser session
	// (Quirks.AccessTokensDieWithSession).
	deleted bool
}

func (t *tokenRecord) state(now time.Time) TokenState {
	// A revoked token is gone already in Authentik (revocation deletes it):
	// what ended it was the revocation, whatever happened to its session.
	switch {
	case t.revoked:
		return TokenRevoked
	case t.deleted:
		return TokenDeleted
	case t.rotated:
		return TokenRotated
	case !now.Before(t.expires):
		return TokenExpired
	default:
		return TokenActive
	}
}

// subjectOf mimics Authentik's default "hashed user ID" subject mode: stable,
// opaque, and not the username.
func subjectOf(username string) string {
	sum := sha256.Sum256([]byte(username))
	return hex.EncodeToString(sum[:])
}

func newStore(cfg *settings, users []User, clients []*clientConfig) *store {
	s := &store{
		cfg:          cfg,
		users:        map[string]*User{},
		bySub:        map[string]*User{},
		clients:      map[string]*clientConfig{},
		authReqs:     map[string]*authRequest{},
		codes:        map[string]string{},
		access:       map[string]*tokenRecord{},
		accessByHash: map[string]string{},
		refresh:      map[string]*tokenRecord{},
		sessions:     map[string]*browserSession{},
	}
	for i := range users {
		u := users[i]
		u.Groups = slices.Clone(u.Groups)
		s.users[u.Username] = &u
		s.bySub[subjectOf(u.Username)] = &u
	}
	for _, c := range clients {
		s.clients[c.ID] = c
	}
	return s
}

func (s *store) client(id string) (*clientConfig, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	return c, ok
}

// checkPassword accepts the username or the email, as Authentik's default
// identification stage does.
func (s *store) checkPassword(login, password string) (*User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[login]
	if !ok {
		for _, cand := range s.users {
			if cand.Email != "" && cand.Email == login {
				u, ok = cand, true
				break
			}
		}
	}
	if !ok || subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) != 1 {
		return nil, false
	}
	return u, true
}

func (s *store) usernameOf(sub string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.bySub[sub]; ok {
		return u.Username
	}
	return ""
}

// --- browser sessions ---

// newSession logs username in. The session data of the browser's previous
// session (the prompt=login marker) is carried over: Authentik's login
// keeps the session's contents and only changes its key.
func (s *store) newSession(username, previousID string) *browserSession {
	bs := &browserSession{id: randomID(), username: username, authTime: s.cfg.now(), loginID: randomID()}
	s.mu.Lock()
	if old, ok := s.sessions[previousID]; ok {
		bs.lastLoginUID = old.lastLoginUID
		delete(s.sessions, previousID)
		// The tokens issued from the old session stay with the browser: a
		// login in a browser that has a session does not end it here.
		s.rebindLocked(previousID, bs.id)
	}
	s.sessions[bs.id] = bs
	s.mu.Unlock()
	return bs
}

// rebindLocked moves the tokens of browser session from to session to.
func (s *store) rebindLocked(from, to string) {
	for _, m := range []map[string]*tokenRecord{s.access, s.refresh} {
		for _, t := range m {
			if t.session == from {
				t.session = to
			}
		}
	}
}

// markReauthentication stores the prompt=login marker in the session.
func (s *store) markReauthentication(sessionID, loginID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if bs, ok := s.sessions[sessionID]; ok {
		bs.lastLoginUID = loginID
	}
}

func (s *store) session(id string) (browserSession, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bs, ok := s.sessions[id]
	if !ok {
		return browserSession{}, false
	}
	return *bs, true
}

// endSession ends browser session id: see endSessionLocked.
func (s *store) endSession(id string) (username string, accessDeleted int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endSessionLocked(id)
}

// endSessionsOf ends every browser session of username.
func (s *store) endSessionsOf(username string) (sessions, accessDeleted int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, bs := range s.sessions {
		if bs.username == username {
			_, n := s.endSessionLocked(id)
			sessions++
			accessDeleted += n
		}
	}
	return sessions, accessDeleted
}

// endSessionLocked deletes the session as Authentik deletes its
// AuthenticatedSession: the refresh tokens issued from it lose their
// session (SET_DEFAULT, null) and, with AccessTokensDieWithSession, its
// access tokens are deleted with it (CASCADE).
func (s *store) endSessionLocked(id string) (username string, accessDeleted int) {
	bs, ok := s.sessions[id]
	if !ok {
		return "", 0
	}
	delete(s.sessions, id)
	for _, t := range s.refresh {
		if t.session == id {
			t.session = ""
		}
	}
	for _, t := range s.access {
		if t.session != id {
			continue
		}
		if s.cfg.quirks.AccessTokensDieWithSession && !t.deleted && !t.revoked {
			t.deleted = true
			accessDeleted++
		}
		t.session = ""
	}
	return bs.username, accessDeleted
}

// deleteAccessTokens is end-session's clean-up (EndSessionView.get): the
// access tokens of username issued from browser session id to one of
// clients (nil = any client) are deleted. Revoked ones are gone already and
// not counted.
func (s *store) deleteAccessTokens(id, username string, clients []string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.access {
		if t.session != id || t.deleted || t.revoked || t.subject != subjectOf(username) {
			continue
		}
		if clients != nil && !slices.Contains(clients, t.clientID) {
			continue
		}
		t.deleted = true
		n++
	}
	return n
}

// --- auth requests ---

// authRequest is stored by pointer but always handed out as a copy, so the
// library never reads a struct that a concurrent login is writing.
type authRequest struct {
	id           string
	clientID     string
	redirectURI  string
	scopes       []string
	state        string
	nonce        string
	prompt       []string
	challenge    *oidc.CodeChallenge
	responseType oidc.ResponseType
	responseMode oidc.ResponseMode

	// maxAge is max_age as the client sent it; the library rewrites its
	// copy to 0 for prompt=login, which Authentik does not.
	maxAge *uint
	// loggedIn: a login form was completed for this very request.
	loggedIn bool

	subject     string
	authTime    time.Time
	session     string // the browser session that completed the request
	done        bool
	codeExpires time.Time
}

func (a *authRequest) GetID() string         { return a.id }
func (a *authRequest) GetACR() string        { return authentikACR }
func (a *authRequest) GetAMR() []string      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time {
	return a.authTime
}
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

func (a *authRequest) promptLogin() bool { return slices.Contains(a.prompt, oidc.PromptLogin) }
func (a *authRequest) promptNone() bool  { return slices.Contains(a.prompt, oidc.PromptNone) }

func (a *authRequest) clone() *authRequest {
	c := *a
	c.scopes = slices.Clone(a.scopes)
	c.prompt = slices.Clone(a.prompt)
	if a.challenge != nil {
		ch := *a.challenge
		c.challenge = &ch
	}
	return &c
}

type rawMaxAgeKey struct{}

// withRawMaxAge carries the client's max_age past the library's rewrite.
func withRawMaxAge(ctx context.Context, maxAge *uint) context.Context {
	return context.WithValue(ctx, rawMaxAgeKey{}, maxAge)
}

func (s *store) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	maxAge, _ := ctx.Value(rawMaxAgeKey{}).(*uint)
	ar := &authRequest{
		maxAge:       maxAge,
		id:           randomID(),
		clientID:     req.ClientID,
		redirectURI:  req.RedirectURI,
		scopes:       slices.Clone([]string(req.Scopes)),
		state:        req.State,
		nonce:        req.Nonce,
		prompt:       slices.Clone([]string(req.Prompt)),
		responseType: req.ResponseType,
		responseMode: req.ResponseMode,
	}
	if req.CodeChallenge != "" {
		method := req.CodeChallengeMethod
		if method == "" {
			// Authentik assumes plain when the method is left out.
			method = oidc.CodeChallengeMethodPlain
		}
		ar.challenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: method}
	}
	s.mu.Lock()
	s.authReqs[ar.id] = ar
	s.mu.Unlock()
	return ar.clone(), nil
}

func (s *store) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	ar, err := s.authRequestByID(id)
	if err != nil {
		return nil, err
	}
	return ar, nil
}

func (s *store) authRequestByID(id string) (*authRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authReqs[id]
	if !ok {
		return nil, errNotFound
	}
	return ar.clone(), nil
}

func (s *store) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	ar, err := s.authRequestByCode(code)
	if err != nil {
		return nil, err
	}
	return ar, nil
}

func (s *store) authRequestByCode(code string) (*authRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.codes[code]
	if !ok {
		return nil, errNotFound
	}
	ar, ok := s.authReqs[id]
	if !ok || !ar.done {
		return nil, errNotFound
	}
	if !s.cfg.now().Before(ar.codeExpires) {
		return nil, errors.New("oidctest: authorization code expired")
	}
	return ar.clone(), nil
}

func (s *store) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authReqs[id]
	if !ok {
		return errNotFound
	}
	s.codes[code] = id
	ar.codeExpires = s.cfg.now().Add(codeLifetime)
	return nil
}

func (s *store) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.authReqs, id)
	for code, reqID := range s.codes {
		if reqID == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// markLoggedIn records that the form was completed for this request.
func (s *store) markLoggedIn(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ar, ok := s.authReqs[id]; ok {
		ar.loggedIn = true
	}
}

// completeAuthRequest records who logged in, in which browser session; the
// library then issues the code.
func (s *store) completeAuthRequest(id, username, session string, authTime time.Time) (*authRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authReqs[id]
	if !ok {
		return nil, errNotFound
	}
	ar.subject = subjectOf(username)
	ar.authTime = authTime
	ar.session = session
	ar.done = true
	return ar.clone(), nil
}

// --- tokens ---

// refreshRequest is what a refresh token stands for: the grant of the
// original login, with auth_time preserved and no nonce.
type refreshRequest struct {
	subject  string
	clientID string
	scopes   []string
	authTime time.Time
	session  string
}

func (r *refreshRequest) GetAMR() []string             { return []string{"pwd"} }
func (r *refreshRequest) GetAudience() []string        { return []string{r.clientID} }
func (r *refreshRequest) GetAuthTime() time.Time       { return r.authTime }
func (r *refreshRequest) GetClientID() string          { return r.clientID }
func (r *refreshRequest) GetScopes() []string          { return r.scopes }
func (r *refreshRequest) GetSubject() string           { return r.subject }
func (r *refreshRequest) SetCurrentScopes(sc []string) { r.scopes = slices.Clone(sc) }

// grantOfLocked is what a token request continues: the client, the original
// login and the browser session the new tokens belong to. A session that
// has ended in the meantime is none.
func (s *store) grantOfLocked(req op.TokenRequest) (clientID string, authTime time.Time, session string) {
	switch r := req.(type) {
	case *authRequest:
		clientID, authTime, session = r.clientID, r.authTime, r.session
	case *refreshRequest:
		clientID, authTime, session = r.clientID, r.authTime, r.session
	case interface{ GetClientID() string }:
		clientID = r.GetClientID()
	}
	if _, ok := s.sessions[session]; !ok {
		session = ""
	}
	return clientID, authTime, session
}

func (s *store) newAccessLocked(req op.TokenRequest) *tokenRecord {
	now := s.cfg.now()
	clientID, authTime, session := s.grantOfLocked(req)
	t := &tokenRecord{
		id:       randomID(),
		subject:  req.GetSubject(),
		clientID: clientID,
		scopes:   slices.Clone(req.GetScopes()),
		authTime: authTime,
		issued:   now,
		expires:  now.Add(s.cfg.accessTokenLifetime),
		session:  session,
	}
	s.access[t.id] = t
	return t
}

func (s *store) newRefreshLocked(req op.TokenRequest) *tokenRecord {
	now := s.cfg.now()
	clientID, authTime, session := s.grantOfLocked(req)
	t := &tokenRecord{
		id:       randomToken(),
		subject:  req.GetSubject(),
		clientID: clientID,
		scopes:   slices.Clone(req.GetScopes()),
		authTime: authTime,
		issued:   now,
		expires:  now.Add(s.cfg.refreshTokenLifetime),
		session:  session,
	}
	s.refresh[t.id] = t
	return t
}

func (s *store) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.newAccessLocked(req)
	return t.id, t.expires, nil
}

func (s *store) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := current
	if current != "" {
		old, ok := s.refresh[current]
		// Checked again under the lock: two parallel refreshes with the same
		// token must not both win.
		if !ok || old.state(s.cfg.now()) != TokenActive {
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token is no longer valid")
		}
		// The new tokens belong to the refresh token's session as it is now
		// (none once that has ended), not as it was when the request began.
		if r, ok := req.(*refreshRequest); ok {
			r.session = old.session
		}
		if !s.cfg.faults(ctx).OmitRefreshToken && s.cfg.quirks.RotateRefreshTokens {
			old.rotated = true
			next = s.newRefreshLocked(req).id
		}
	} else {
		next = s.newRefreshLocked(req).id
	}
	t := s.newAccessLocked(req)
	return t.id, next, t.expires, nil
}

func (s *store) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refresh[token]
	if !ok || t.state(s.cfg.now()) != TokenActive {
		return nil, errors.New("oidctest: refresh token unknown, revoked, rotated or expired")
	}
	return &refreshRequest{subject: t.subject, clientID: t.clientID, scopes: slices.Clone(t.scopes), authTime: t.authTime, session: t.session}, nil
}

func (s *store) TerminateSession(context.Context, string, string) error { return nil }

func (s *store) GetRefreshTokenInfo(_ context.Context, _ string, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refresh[token]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.subject, t.id, nil
}

// RevokeToken never fails: RFC 7009 (and Authentik) answer 200 even for
// unknown tokens or tokens of another client, which are left alone.
func (s *store) RevokeToken(_ context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.refresh[tokenOrID]; ok && t.clientID == clientID {
		t.revoked = true
		return nil
	}
	if t, ok := s.access[tokenOrID]; ok && t.clientID == clientID {
		t.revoked = true
	}
	return nil
}

func accessHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// bindAccessToken remembers the exact string handed out for record id.
func (s *store) bindAccessToken(token, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessByHash[accessHash(token)] = id
}

// accessByValue looks an access token up by the string itself, as
// Authentik looks up AccessToken.token.
func (s *store) accessByValue(token string) (TokenState, *tokenRecord) {
	if token == "" {
		return TokenUnknown, nil
	}
	s.mu.Lock()
	id, ok := s.accessByHash[accessHash(token)]
	s.mu.Unlock()
	if !ok {
		return TokenUnknown, nil
	}
	return s.accessState(id)
}

// revoke revokes a refresh or access token of clientID; tokens of other
// clients and unknown tokens are left alone.
func (s *store) revoke(token, clientID string) (kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.refresh[token]; ok && t.clientID == clientID {
		t.revoked = true
		return "refresh_token"
	}
	if id, ok := s.accessByHash[accessHash(token)]; ok {
		if t, ok := s.access[id]; ok && t.clientID == clientID {
			t.revoked = true
			return "access_token"
		}
	}
	return ""
}

func (s *store) accessState(id string) (TokenState, *tokenRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.access[id]
	if !ok {
		return TokenUnknown, nil
	}
	c := *t
	return t.state(s.cfg.now()), &c
}

func (s *store) refreshState(token string) (TokenState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refresh[token]
	if !ok {
		return TokenUnknown, false
	}
	return t.state(s.cfg.now()), true
}

// refreshTokensOf are the refresh tokens ever issued to username, in any state.
func (s *store) refreshTokensOf(username string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for token, t := range s.refresh {
		if t.subject == subjectOf(username) {
			out = append(out, token)
		}
	}
	return out
}

func (s *store) refreshSubject(token string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.refresh[token]; ok {
		return t.subject
	}
	return ""
}

// --- clients ---

func (s *store) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, ok := s.client(id)
	if !ok {
		return nil, errNotFound
	}
	return &opClient{c: c, s: s}, nil
}

func (s *store) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := s.client(id)
	if !ok {
		return errors.New("oidctest: invalid client credentials")
	}
	// A public client has nothing to prove: Authentik accepts it by ID, also
	// when an HTTP library sends it as Basic auth with an empty password.
	if c.public() {
		if secret != "" {
			return errors.New("oidctest: a public client has no secret")
		}
		return nil
	}
	if subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return errors.New("oidctest: invalid client credentials")
	}
	return nil
}

// --- claims ---

// SetUserinfoFromScopes is left empty as the library asks; claims come from
// SetUserinfoFromRequest.
func (s *store) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

func (s *store) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	return s.fillUserinfo(info, req.GetSubject(), scopes)
}

func (s *store) fillUserinfo(info *oidc.UserInfo, sub string, scopes []string) error {
	s.mu.Lock()
	u, ok := s.bySub[sub]
	s.mu.Unlock()
	if !ok {
		return errors.New("oidctest: unknown user")
	}
	// The library copies Subject from here into the ID token, so it must be set.
	info.Subject = sub
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
		info.GivenName = u.Name
		info.PreferredUsername = u.Username
		info.Nickname = u.Username
		groups := slices.Clone(u.Groups)
		if groups == nil {
			groups = []string{}
		}
		info.AppendClaims("groups", groups)
	}
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = u.Email
		// The library's field leaves a false out, so the claim is added by
		// name (Quirks.EmailVerifiedFalse).
		if s.cfg.quirks.EmailVerifiedFalse {
			info.AppendClaims("email_verified", false)
		}
	}
	return nil
}

func (s *store) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	state, t := s.accessState(tokenID)
	if state != TokenActive || t.subject != subject {
		return errors.New("oidctest: access token not active")
	}
	if err := s.fillUserinfo(info, subject, t.scopes); err != nil {
		return err
	}
	if sub := s.cfg.faults(ctx).UserinfoSubject; sub != "" {
		info.Subject = sub
	}
	return nil
}

func (s *store) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, _ string) error {
	state, t := s.accessState(tokenID)
	if state != TokenActive || t.subject != subject {
		return errors.New("oidctest: access token not active")
	}
	info := new(oidc.UserInfo)
	if err := s.fillUserinfo(info, subject, t.scopes); err != nil {
		return err
	}
	t.introspect(resp, info, s.cfg.issuer)
	return nil
}

// introspect describes the access token t of the person info describes.
func (t *tokenRecord) introspect(resp *oidc.IntrospectionResponse, info *oidc.UserInfo, issuer string) {
	resp.SetUserInfo(info)
	resp.Scope = t.scopes
	resp.ClientID = t.clientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(t.expires)
	resp.IssuedAt = oidc.FromTime(t.issued)
	resp.AuthTime = oidc.FromTime(t.authTime)
	resp.Audience = []string{t.clientID}
	resp.Issuer = issuer
}

// GetPrivateClaimsFromScopes adds to the JWT access token what Authentik's
// IDToken.to_access_token adds: azp, the client it was issued to. (The ID
// token has none with Quirks.IDTokenWithoutAZP.)
func (s *store) GetPrivateClaimsFromScopes(_ context.Context, _, clientID string, _ []string) (map[string]any, error) {
	return map[string]any{"azp": clientID}, nil
}

func (s *store) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("oidctest: private_key_jwt is not supported")
}

func (s *store) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("oidctest: JWT profile grant is not supported")
}

func (s *store) Health(context.Context) error { return nil }

// opClient presents a configured Client to the library.
type opClient struct {
	c *clientConfig
	s *store
}

func (o *opClient) GetID() string { return o.c.ID }
func (o *opClient) RedirectURIs() []string {
	strict, _ := o.s.redirectURIs(o.c.ID)
	return strict
}
func (o *opClient) PostLogoutRedirectURIs() []string { return slices.Clone(o.c.PostLogoutRedirectURIs) }

// ApplicationType is web even for public clients: the library's native type
// would accept any loopback port, which Authentik does not.
func (o *opClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (o *opClient) AuthMethod() oidc.AuthMethod {
	if o.c.public() {
		return oidc.AuthMethodNone
	}
	// Basic also admits client_secret_post: the library reads the secret from
	// either place before comparing.
	return oidc.AuthMethodBasic
}
func (o *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (o *opClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
func (o *opClient) LoginURL(id string) string           { return loginPath + "?id=" + id }
func (o *opClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }

// IDTokenLifetime: Authentik's ID token expires with the access token issued
// alongside (the token endpoint sets exp to that token's expiry exactly).
func (o *opClient) IDTokenLifetime() time.Duration       { return o.s.cfg.accessTokenLifetime }
func (o *opClient) DevMode() bool                        { return false }
func (o *opClient) IsScopeAllowed(s string) bool         { return s == ScopeAuthentikAPI }
func (o *opClient) IDTokenUserinfoClaimsAssertion() bool { return true }
func (o *opClient) ClockSkew() time.Duration             { return 0 }
func (o *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (o *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// vettedClient stands in for a client whose redirect URI has already passed
// Authentik's strict/regex check, so the library's own URI rules (exact
// match only) agree with it.
type vettedClient struct {
	op.Client
	uri string
}

func (v vettedClient) RedirectURIs() []string { return []string{v.uri} }

package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc"
)

// authentikMethod signs in through Authentik with OpenID Connect.
type authentikMethod struct {
	cfg   oidc.Config
	ports []int
	open  func(ctx context.Context, url string) error
	now   func() time.Time
	kiosk bool

	// client is discovered on first use and kept: discovery is the slowest
	// step and never needed for a session that is still fresh.
	mu     sync.Mutex
	client *oidc.Client
}

func newAuthentikMethod(d Deps) *authentikMethod {
	a := d.Config.Authentik
	return &authentikMethod{
		cfg: oidc.Config{
			ServerURL: a.ServerURL, Slug: a.AppSlug, DiscoveryURL: a.DiscoveryURL,
			ClientID: a.ClientID, ClientSecret: string(a.ClientSecret),
			Scopes: a.Scopes, Prompt: a.Prompt, UsernameClaim: a.UsernameField,
			HTTPClient: d.HTTPClient, Now: d.Now,
		},
		ports: a.CallbackPorts,
		open:  d.Browser,
		now:   d.Now,
		kiosk: d.Kiosk,
	}
}

func (m *authentikMethod) server() string { return m.cfg.ExpectedIssuer() }

func (m *authentikMethod) discover(ctx context.Context) (*oidc.Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.client != nil {
		return m.client, nil
	}
	c, err := oidc.Discover(ctx, m.cfg)
	if err != nil {
		return nil, err
	}
	m.client = c
	return c, nil
}

func (m *authentikMethod) signIn(ctx context.Context, opts SignInOptions) (*tokenstore.Session, error) {
	c, err := m.discover(ctx)
	if err != nil {
		return nil, err
	}
	lo := oidc.LoginOptions{Ports: m.ports, Timeout: opts.Timeout, OpenBrowser: m.open, ShowURL: opts.ShowURL, BrowserFailed: opts.BrowserFailed,
		FreshLogin: m.kiosk}
	s, err := c.Login(ctx, lo)
	if err != nil {
		return nil, err
	}
	return m.session(s), nil
}

func (m *authentikMethod) session(s *oidc.Session) *tokenstore.Session {
	p := s.Profile
	return &tokenstore.Session{
		Method: string(Authentik), Server: m.server(),
		Subject: p.Subject, Username: p.Username, Name: p.Name, Email: p.Email, Groups: p.Groups, AuthTime: p.AuthTime,
		AccessToken: s.Tokens.AccessToken, RefreshToken: s.Tokens.RefreshToken, IDToken: s.Tokens.IDToken, Expiry: s.Tokens.Expiry,
	}
}

// resume needs no network while the access token is fresh.
func (m *authentikMethod) resume(ctx context.Context, s *tokenstore.Session) (*tokenstore.Session, error) {
	if fresh(s, m.now()) {
		return s, nil
	}
	return m.refresh(ctx, s)
}

// errNoRefreshToken explains why a session without a refresh token ends.
var errNoRefreshToken = errors.New("the identity provider issued no refresh token, so the session ends when the access token expires; add offline_access to authentik.scopes and select the offline_access scope mapping on the provider in Authentik")

func (m *authentikMethod) refresh(ctx context.Context, old *tokenstore.Session) (*tokenstore.Session, error) {
	if old.RefreshToken == "" {
		return nil, fmt.Errorf("%w (%v)", errSessionEnded, errNoRefreshToken)
	}
	c, err := m.discover(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.Refresh(ctx, old.RefreshToken, oidc.Previous{Subject: old.Subject, AuthTime: old.AuthTime, IDToken: old.IDToken})
	if errors.Is(err, oidc.ErrSessionEnded) {
		return nil, fmt.Errorf("%w (the identity provider refused to renew it)", errSessionEnded)
	}
	if err != nil {
		return nil, err
	}
	ns := *old
	ns.AccessToken, ns.RefreshToken, ns.Expiry = r.Tokens.AccessToken, r.Tokens.RefreshToken, r.Tokens.Expiry
	if r.Tokens.IDToken != "" {
		// The profile follows the newest ID token, so group changes show up.
		// Claims it leaves out (a provider that puts them only in userinfo)
		// keep their values from the sign-in, and so does auth_time.
		p := r.Profile
		ns.IDToken = r.Tokens.IDToken
		ns.Name = cmp.Or(p.Name, old.Name)
		ns.Username = cmp.Or(p.Username, old.Username)
		ns.Email = cmp.Or(p.Email, old.Email)
		if p.Groups != nil {
			ns.Groups = p.Groups
		}
	}
	return &ns, nil
}

// endSessionWait bounds how long sign-out waits for the browser to fetch the
// provider's end-session page.
const endSessionWait = 30 * time.Second

func (m *authentikMethod) signOut(ctx context.Context, s *tokenstore.Session, local bool) (SignOutReport, []error) {
	var r SignOutReport
	c, err := m.discover(ctx)
	if err != nil {
		return r, []error{fmt.Errorf("the session could not be revoked at the identity provider: %w", err)}
	}
	var problems []error
	// The refresh token first: it is the long-lived one.
	for _, t := range []struct{ token, hint string }{{s.RefreshToken, "refresh_token"}, {s.AccessToken, "access_token"}} {
		if err := c.Revoke(ctx, t.token, t.hint); err != nil {
			problems = append(problems, err)
		}
	}
	r.Revoked = len(problems) == 0 && c.CanRevoke()
	if !local && c.CanEndSession() {
		ectx, cancel := context.WithTimeout(ctx, endSessionWait)
		defer cancel()
		if err := c.EndSession(ectx, s.IDToken, m.open); err != nil {
			problems = append(problems, err)
		} else {
			r.PageOpened = true
		}
	}
	return r, problems
}

package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ssotray/ssotray/app/navidrome"
	"github.com/ssotray/ssotray/app/tokenstore"
)

// navidromeMethod signs in with a Navidrome username and password. The
// password is sent once and forgotten: the JWT and the Subsonic salt/token
// pair are what is kept.
type navidromeMethod struct {
	client *navidrome.Client
	err    error // a server_url New refused; reported when the method is used
}

func newNavidromeMethod(d Deps) *navidromeMethod {
	c, err := navidrome.New(d.Config.Navidrome.ServerURL, d.HTTPClient)
	return &navidromeMethod{client: c, err: err}
}

func (m *navidromeMethod) server() string {
	if m.err != nil {
		return ""
	}
	return m.client.URL()
}

func (m *navidromeMethod) signIn(ctx context.Context, opts SignInOptions) (*tokenstore.Session, error) {
	if m.err != nil {
		return nil, m.err
	}
	if strings.TrimSpace(opts.Username) == "" || opts.Password == "" {
		return nil, errors.New("enter your Navidrome username and password")
	}
	s, err := m.client.Login(ctx, opts.Username, opts.Password)
	if err != nil {
		return nil, err
	}
	return &tokenstore.Session{
		Method: string(Navidrome), Server: m.client.URL(),
		Subject: s.ID, Username: s.Username, Name: s.Name, Admin: s.IsAdmin,
		AccessToken: s.JWT, Expiry: s.JWTExpiry,
		SubsonicSalt: s.SubsonicSalt, SubsonicToken: s.SubsonicToken,
	}, nil
}

// resume checks a stored session with one ping: the JWT may have expired,
// but the salt/token pair keeps working until the password changes.
func (m *navidromeMethod) resume(ctx context.Context, s *tokenstore.Session) (*tokenstore.Session, error) {
	if m.err != nil {
		return nil, m.err
	}
	err := m.client.Ping(ctx, s.Username, s.SubsonicSalt, s.SubsonicToken)
	if errors.Is(err, navidrome.ErrBadCredentials) {
		return nil, fmt.Errorf("%w (Navidrome no longer accepts it: was the password changed?)", errSessionEnded)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// refresh renews Navidrome's JWT before it expires, as its web interface
// does while it plays, once a ping has shown that the password still
// holds (the JWT knows nothing of a changed password). An expired JWT
// cannot be renewed: only the password makes a new one, and the session
// is kept for what needs no JWT (the launcher).
func (m *navidromeMethod) refresh(ctx context.Context, s *tokenstore.Session) (*tokenstore.Session, error) {
	if _, err := m.resume(ctx, s); err != nil {
		return nil, err
	}
	token, expiry, err := m.client.Keepalive(ctx, s.AccessToken)
	if errors.Is(err, navidrome.ErrSessionExpired) {
		return nil, errCannotRenew
	}
	if err != nil {
		return nil, err
	}
	renewed := *s
	renewed.AccessToken, renewed.Expiry = token, expiry
	return &renewed, nil
}

// errCannotRenew: the session holds (the ping said so) but its token
// cannot be renewed; trying again soon would not change that.
var errCannotRenew = errors.New("Navidrome no longer takes the session's token (it expired, or the server's secret changed) and cannot renew it without your password; sign in again with `ssotray login --method navidrome` for a new one")

// signOut has nothing to revoke: Navidrome keeps no server-side session.
func (m *navidromeMethod) signOut(context.Context, *tokenstore.Session, bool) (SignOutReport, []error) {
	return SignOutReport{}, nil
}

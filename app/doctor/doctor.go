// Package doctor checks a configuration against the world: the identity
// provider, Navidrome, the callback ports, the keyring and the browser. Each
// finding says what was checked, what was found, and the fix. The first-run
// setup's "Test connection" runs the Authentik part of it.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/navidrome"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc"
)

// Level is how bad a finding is.
type Level int

const (
	OK Level = iota
	Warn
	Fail
)

func (l Level) String() string { return [...]string{"OK", "WARN", "FAIL"}[l] }

// Finding is the outcome of one check.
type Finding struct {
	Level  Level
	Check  string // what was checked, e.g. "discovery"
	Detail string // what was found
	Fix    string // what to do, for Warn and Fail
}

func (f Finding) String() string {
	s := fmt.Sprintf("%-4s %s: %s", f.Level, f.Check, f.Detail)
	if f.Fix != "" {
		s += " — " + f.Fix
	}
	return s
}

// Failed reports whether any finding is a failure.
func Failed(fs []Finding) bool {
	for _, f := range fs {
		if f.Level == Fail {
			return true
		}
	}
	return false
}

// Deps are the machine facts the checks touch.
type Deps struct {
	HTTPClient *http.Client
	// Keyring is probed with a throwaway entry; nil skips the check.
	Keyring tokenstore.Store
	// LookPath finds programs (exec.LookPath).
	LookPath func(string) (string, error)
}

// Run checks the whole configuration.
func Run(ctx context.Context, cfg *config.Config, d Deps) []Finding {
	fs := []Finding{{Level: OK, Check: "configuration", Detail: "read " + cfg.Path}}
	if cfg.Authentik.Enabled {
		fs = append(fs, Authentik(ctx, cfg.Authentik, d.HTTPClient)...)
	}
	if cfg.Navidrome.Enabled {
		fs = append(fs, Navidrome(ctx, cfg.Navidrome.ServerURL, d.HTTPClient))
	}
	if d.Keyring != nil {
		fs = append(fs, Keyring(d.Keyring))
	}
	return append(fs, Browser(cfg.BrowserCommand, d.LookPath))
}

// Authentik checks the provider: health, discovery and issuer, signing
// algorithm, PKCE, the callback ports, and names the redirect URIs to register.
func Authentik(ctx context.Context, a config.Authentik, hc *http.Client) []Finding {
	if hc == nil {
		hc = http.DefaultClient
	}
	var fs []Finding
	if a.DiscoveryURL == "" {
		fs = append(fs, health(ctx, hc, strings.TrimSuffix(a.ServerURL, "/")+"/-/health/ready/"))
	}
	c, err := oidc.Discover(ctx, oidc.Config{ServerURL: a.ServerURL, Slug: a.AppSlug, DiscoveryURL: a.DiscoveryURL, ClientID: a.ClientID, Scopes: a.Scopes, HTTPClient: hc})
	if err != nil {
		fs = append(fs, Finding{Level: Fail, Check: "discovery", Detail: err.Error()})
	} else {
		fs = append(fs, Finding{Level: OK, Check: "discovery", Detail: "issuer " + c.Issuer()})
		fs = append(fs, signing(c.SigningAlgorithms()))
		if c.SupportsS256() {
			fs = append(fs, Finding{Level: OK, Check: "PKCE", Detail: "the provider supports S256"})
		} else {
			fs = append(fs, Finding{Level: Warn, Check: "PKCE", Detail: "the provider does not advertise S256", Fix: "ssotray sends S256 anyway; if sign-in fails at the token step, enable PKCE on the provider"})
		}
	}
	fs = append(fs, callbackPorts(a.CallbackPorts))
	fs = append(fs, Finding{Level: OK, Check: "redirect URIs", Detail: "register on the provider in Authentik: " + strings.Join(RedirectURIs(a.CallbackPorts), " ")})
	if c != nil {
		fs = append(fs, redirectAccepted(ctx, c, a)...)
	}
	return fs
}

// anyPortProbe stands for "any port" when the regex is in use: a port no
// strict URI would name by chance.
const anyPortProbe = 49_381

// redirectAccepted asks the provider whether it takes each redirect URI
// ssotray would send: a mismatch otherwise shows only in the browser, as
// Authentik's "Redirect URI Error", and the sign-in times out.
func redirectAccepted(ctx context.Context, c *oidc.Client, a config.Authentik) []Finding {
	var fs []Finding
	register := "in Authentik, edit the OAuth2/OpenID provider of this application and add to Redirect URIs: " + strings.Join(RedirectURIs(a.CallbackPorts), " ")
	for _, p := range a.CallbackPorts {
		probe := p
		if p == 0 {
			probe = anyPortProbe
		}
		uri := oidc.RedirectURI(probe)
		switch err := c.CheckRedirectURI(ctx, uri); {
		case err == nil:
			fs = append(fs, Finding{Level: OK, Check: "redirect URI", Detail: "the provider accepts " + uri})
		case errors.Is(err, oidc.ErrRedirectURIRefused):
			fs = append(fs, Finding{Level: Fail, Check: "redirect URI", Detail: "the provider refuses " + uri + " (the browser would show \"Redirect URI Error\")", Fix: register})
		case errors.Is(err, oidc.ErrUnknownClient):
			return append(fs, Finding{Level: Fail, Check: "client", Detail: fmt.Sprintf("the provider knows no client %q", a.ClientID), Fix: "set authentik.client_id to the Client ID shown on the provider in Authentik"})
		default:
			fs = append(fs, Finding{Level: Warn, Check: "redirect URI", Detail: err.Error(), Fix: "try `ssotray login`; if the browser shows \"Redirect URI Error\", " + register})
		}
		if p == 0 {
			break // one probe tells whether the regex is there
		}
	}
	return fs
}

// RedirectURIs are the exact redirect URIs an admin must register: one
// strict URI per fixed port, or the regex when any port may be used.
func RedirectURIs(ports []int) []string {
	var out []string
	for _, p := range ports {
		if p == 0 {
			return []string{oidc.RedirectURIRegex + " (as a regex)"}
		}
		out = append(out, oidc.RedirectURI(p))
	}
	return out
}

func health(ctx context.Context, hc *http.Client, url string) Finding {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Finding{Level: Fail, Check: "health", Detail: err.Error(), Fix: "check authentik.server_url"}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Finding{Level: Fail, Check: "health", Detail: (&oidc.UnreachableError{URL: url, Err: err}).Error()}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Finding{Level: Warn, Check: "health", Detail: url + " answered " + resp.Status, Fix: "Authentik may be starting or unhealthy, or server_url points at something else"}
	}
	return Finding{Level: OK, Check: "health", Detail: "Authentik is ready"}
}

func signing(algs []string) Finding {
	hmac := len(algs) > 0
	for _, a := range algs {
		hmac = hmac && strings.HasPrefix(a, "HS")
	}
	if hmac {
		return Finding{Level: Fail, Check: "signing key", Detail: oidc.ErrHS256.Error()}
	}
	return Finding{Level: OK, Check: "signing key", Detail: "ID tokens are signed with " + strings.Join(algs, ", ")}
}

func callbackPorts(ports []int) Finding {
	var busy []string
	for _, p := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			busy = append(busy, strconv.Itoa(p))
			continue
		}
		l.Close()
		return Finding{Level: OK, Check: "callback port", Detail: "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port) + " is free"}
	}
	return Finding{Level: Fail, Check: "callback port", Detail: "ports " + strings.Join(busy, ", ") + " on 127.0.0.1 are all in use",
		Fix: "close the program using them, or change authentik.callback_ports and register the new redirect URIs"}
}

// Navidrome checks that a Navidrome server answers at url.
func Navidrome(ctx context.Context, url string, hc *http.Client) Finding {
	c, err := navidrome.New(url, hc)
	if err != nil {
		return Finding{Level: Fail, Check: "navidrome", Detail: err.Error()}
	}
	// A ping without credentials is refused by Navidrome itself, which is
	// enough to know it is there.
	err = c.Ping(ctx, "ssotray-doctor", "x", "x")
	var se *navidrome.SubsonicError
	if err == nil || errors.Is(err, navidrome.ErrBadCredentials) || errors.As(err, &se) {
		return Finding{Level: OK, Check: "navidrome", Detail: "Navidrome answers at " + c.URL()}
	}
	return Finding{Level: Fail, Check: "navidrome", Detail: err.Error()}
}

// probeSession is written to and removed from the keyring to prove it works.
var probeSession = tokenstore.Session{Method: "doctor", Server: "probe"}

// Keyring checks that sessions can be stored.
func Keyring(store tokenstore.Store) Finding {
	if err := store.Save(&probeSession); err != nil {
		return Finding{Level: Fail, Check: "keyring", Detail: err.Error(), Fix: "start gnome-keyring or KWallet (and unlock it); without a keyring sessions are not remembered"}
	}
	_, err := store.Load()
	if derr := store.Delete(); err == nil {
		err = derr
	}
	if err != nil {
		return Finding{Level: Fail, Check: "keyring", Detail: err.Error(), Fix: "check the keyring with seahorse or secret-tool"}
	}
	return Finding{Level: OK, Check: "keyring", Detail: "sessions can be stored"}
}

// Browser checks that the browser command (or the desktop's opener) exists.
func Browser(command []string, lookPath func(string) (string, error)) Finding {
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	if len(command) > 0 {
		if _, err := lookPath(command[0]); err != nil {
			return Finding{Level: Fail, Check: "browser", Detail: fmt.Sprintf("browser_command %q is not found", command[0]), Fix: "install it or correct browser_command"}
		}
		return Finding{Level: OK, Check: "browser", Detail: "browser_command " + command[0] + " is installed"}
	}
	for _, p := range []string{"xdg-open", "x-www-browser", "www-browser"} {
		if _, err := lookPath(p); err == nil {
			return Finding{Level: OK, Check: "browser", Detail: "the system browser opens through " + p}
		}
	}
	return Finding{Level: Warn, Check: "browser", Detail: "no xdg-open, x-www-browser or www-browser",
		Fix: "install xdg-utils or set browser_command; otherwise open the sign-in address ssotray prints by hand"}
}

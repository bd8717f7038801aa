// Package doctor checks a configuration against the world: the identity
// provider, Navidrome, the callback ports, the keyring and the browser. Each
// finding says what was checked, what was found, and the fix. The first-run
// setup's "Test connection" runs the Authentik part of it.
package doctor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/launch"
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
	// Register are the entries to add to the provider's Redirect URIs, on
	// the findings that name them (for a copy button, not to be parsed
	// out of Detail or Fix).
	Register []RedirectEntry
}

func (f Finding) String() string {
	s := fmt.Sprintf("%-4s %s: %s", f.Level, f.Check, f.Detail)
	if len(f.Register) > 0 {
		s += ": " + entries(f.Register)
	}
	if f.Fix != "" {
		s += " — " + f.Fix
	}
	return s
}

// The names of checks that views single out.
const (
	CheckRedirectURIs = "redirect URIs" // the entries to register
	CheckRedirectURI  = "redirect URI"  // whether the provider accepts one
)

// RedirectEntry is one entry of the provider's "Redirect URIs/Origins
// (RegEx)" list in Authentik.
type RedirectEntry struct {
	URL   string
	Regex bool // matching mode Regex; false is Strict
}

func (e RedirectEntry) String() string {
	if e.Regex {
		return e.URL + " (Regex)"
	}
	return e.URL + " (Strict)"
}

func entries(es []RedirectEntry) string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.String()
	}
	return strings.Join(out, ", ")
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
	// HTTPClient makes every request; nil: a client whose requests each
	// end after RequestTimeout. A client without a timeout of its own gets
	// RequestTimeout too: a server that accepts and never answers must not
	// hold doctor forever.
	HTTPClient *http.Client
	// RequestTimeout bounds each request; 0 means 15 s.
	RequestTimeout time.Duration
	// Timeout bounds the whole run; 0 means 2 minutes. Checks still under
	// way then are reported as failed, naming the timeout.
	Timeout time.Duration
	// Keyring is probed with a throwaway entry; nil skips the check.
	Keyring tokenstore.Store
	// LookPath finds programs (exec.LookPath).
	LookPath func(string) (string, error)
}

// runTimeout bounds a whole Run when Deps.Timeout is 0: a provider and a
// Navidrome that each take every request to its limit, and a keyring that
// waits at an unlock prompt, still end in time to read the findings.
const runTimeout = 2 * time.Minute

// Run checks the whole configuration, within d.Timeout.
func Run(ctx context.Context, cfg *config.Config, d Deps) []Finding {
	limit := cmp.Or(d.Timeout, runTimeout)
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	hc := boundedClient(d.HTTPClient, cmp.Or(d.RequestTimeout, probeTimeout))
	fs := []Finding{{Level: OK, Check: "configuration", Detail: "read " + cfg.Path}}
	if cfg.Authentik.Enabled {
		fs = append(fs, within(ctx, limit, "provider", func() []Finding { return Authentik(ctx, cfg.Authentik, hc) })...)
	}
	if cfg.Navidrome.Enabled {
		fs = append(fs, within(ctx, limit, "navidrome", func() []Finding { return []Finding{Navidrome(ctx, cfg.Navidrome.ServerURL, hc)} })...)
	}
	if d.Keyring != nil {
		// The keyring takes no context: a locked one waits at its prompt.
		fs = append(fs, within(ctx, limit, "keyring", func() []Finding { return []Finding{Keyring(d.Keyring)} })...)
	}
	var notKiosk *launch.KioskBrowserError
	if cfg.Kiosk.Enabled && errors.As(launch.KioskBrowser(cfg.BrowserCommand), &notKiosk) {
		// The desktop's opener would do for a person's own machine, not for
		// a shared one (see launch.KioskBrowser).
		return append(fs, Finding{Level: Fail, Check: "browser", Detail: notKiosk.Problem, Fix: notKiosk.Fix})
	}
	f := Browser(cfg.BrowserCommand, d.LookPath)
	if cfg.Kiosk.Enabled && f.Level == OK && !launch.UsesProfile(cfg.BrowserCommand) {
		f = Finding{Level: Warn, Check: "browser", Detail: launch.KioskProfileProblem, Fix: launch.KioskProfileFix}
	}
	return append(fs, f)
}

// boundedClient is hc with a timeout on each request: hc itself when it has
// one, a copy with timeout when it has none, a new client when it is nil.
func boundedClient(hc *http.Client, timeout time.Duration) *http.Client {
	if hc == nil {
		return &http.Client{Timeout: timeout}
	}
	if hc.Timeout > 0 {
		return hc
	}
	own := *hc
	own.Timeout = timeout
	return &own
}

// within runs check and returns its findings, or, once ctx ends first, one
// failure that says the check did not finish in time. The check's goroutine
// is left to end on its own (requests end with ctx; a keyring call within
// its own timeout).
func within(ctx context.Context, limit time.Duration, name string, check func() []Finding) []Finding {
	done := make(chan []Finding, 1)
	go func() { done <- check() }()
	select {
	case fs := <-done:
		return fs
	case <-ctx.Done():
		return []Finding{{Level: Fail, Check: name,
			Detail: fmt.Sprintf("the check did not finish within doctor's %s limit (%v)", limit, context.Cause(ctx)),
			Fix:    "something is not answering: run `ssotray doctor` again, and check the server URLs, the network and whether the keyring is waiting at an unlock prompt"}}
	}
}

// Authentik checks the provider: health, discovery and issuer, signing
// and encryption keys, PKCE, the callback ports, and names the redirect URIs
// to register.
func Authentik(ctx context.Context, a config.Authentik, hc *http.Client) []Finding {
	if hc == nil {
		hc = &http.Client{Timeout: probeTimeout}
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
		fs = append(fs, signing(c.SigningAlgorithms()), encryption(ctx, c))
		if c.SupportsS256() {
			fs = append(fs, Finding{Level: OK, Check: "PKCE", Detail: "the provider supports S256"})
		} else {
			fs = append(fs, Finding{Level: Warn, Check: "PKCE", Detail: "the provider does not advertise S256", Fix: "ssotray sends S256 anyway; if sign-in fails at the token step, enable PKCE on the provider"})
		}
	}
	fs = append(fs, callbackPorts(a.CallbackPorts))
	register := RedirectURIs(a.CallbackPorts)
	fs = append(fs, Finding{Level: OK, Check: CheckRedirectURIs, Register: register,
		Detail: "register in Authentik, under the provider's Redirect URIs/Origins (RegEx)"})
	if c != nil {
		fs = append(fs, redirectAccepted(ctx, c, a)...)
	}
	return fs
}

// probeTimeout bounds each request doctor makes when the caller gives no
// client of its own.
const probeTimeout = 15 * time.Second

// redirectAccepted asks the provider whether it takes the redirect URIs
// ssotray would send: a mismatch otherwise shows only in the browser, as
// Authentik's "Redirect URI Error", and the sign-in times out.
//
// Authentik saves the first redirect_uri that reaches its authorize
// endpoint into an empty Redirect URIs list, even from a request that never
// signs in. So a probe may only send what a real sign-in would send first:
// the ports in their order of use, and nothing at all for "any port" (a
// made-up port saved there would refuse every real sign-in).
func redirectAccepted(ctx context.Context, c *oidc.Client, a config.Authentik) []Finding {
	// Without a redirect_uri Authentik checks the client, then refuses the
	// request before it could save anything.
	if err := c.CheckRedirectURI(ctx, ""); errors.Is(err, oidc.ErrUnknownClient) {
		return []Finding{{Level: Fail, Check: "client", Detail: fmt.Sprintf("the provider knows no client %q", a.ClientID), Fix: "set authentik.client_id to the Client ID shown on the provider in Authentik"}}
	}
	register := RedirectURIs(a.CallbackPorts)
	fix := "in Authentik, edit the OAuth2/OpenID provider of this application and add to Redirect URIs/Origins (RegEx): " + entries(register)
	if slices.Contains(a.CallbackPorts, 0) {
		return []Finding{{Level: Warn, Check: CheckRedirectURI, Register: register,
			Detail: "not asked: with callback_ports [0] each sign-in uses a new port, and Authentik would save a probe's made-up port as the only entry of an empty Redirect URIs list, refusing every real sign-in after it. Register",
			Fix:    "make sure the provider's Redirect URIs/Origins (RegEx) in Authentik holds that entry, of type Authorization, then run `ssotray login` to try it; never leave the list empty"}}
	}
	var fs []Finding
	var probed, accepted []string
	refused := 0
	for _, p := range a.CallbackPorts {
		uri := oidc.RedirectURI(p)
		if !portFree(p) {
			// A sign-in now would skip it too, and send the next port first.
			fs = append(fs, Finding{Level: Warn, Check: CheckRedirectURI, Detail: "not asked about " + uri + ": the port is in use now",
				Fix: "run `ssotray doctor` again once the program holding the port has ended"})
			continue
		}
		probed = append(probed, uri)
		switch err := c.CheckRedirectURI(ctx, uri); {
		case err == nil:
			accepted = append(accepted, uri)
			fs = append(fs, Finding{Level: OK, Check: CheckRedirectURI, Detail: "the provider accepts " + uri})
		case errors.Is(err, oidc.ErrRedirectURIRefused):
			refused++
			fs = append(fs, Finding{Level: Fail, Check: CheckRedirectURI,
				Detail: "the provider refuses " + uri + " (the browser would show \"Redirect URI Error\")", Fix: fix})
		default:
			fs = append(fs, Finding{Level: Warn, Check: CheckRedirectURI, Detail: err.Error(), Fix: "try `ssotray login`; if the browser shows \"Redirect URI Error\", " + fix})
		}
	}
	// Only the first accepted and the rest refused is what an empty list
	// looks like once Authentik has filled it with the first URI it saw.
	if len(accepted) == 1 && accepted[0] == probed[0] && refused == len(probed)-1 && refused > 0 {
		fs = append(fs, Finding{Level: Warn, Check: CheckRedirectURIs, Register: register,
			Detail: "only " + accepted[0] + " is accepted: the list may have been empty, and Authentik fills an empty list with the first redirect URI it sees; register every entry",
			Fix:    "never leave Redirect URIs empty"})
	}
	return fs
}

// RedirectURIs are the entries an admin must register: one strict URI per
// fixed port, or the regex when any port may be used.
func RedirectURIs(ports []int) []RedirectEntry {
	if slices.Contains(ports, 0) {
		return []RedirectEntry{{URL: oidc.RedirectURIRegex, Regex: true}}
	}
	out := make([]RedirectEntry, len(ports))
	for i, p := range ports {
		out[i] = RedirectEntry{URL: oidc.RedirectURI(p)}
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
		return Finding{Level: Fail, Check: "health", Detail: oidc.Unreachable(url, err).Error()}
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

func encryption(ctx context.Context, c *oidc.Client) Finding {
	enc, err := c.EncryptsIDTokens(ctx)
	switch {
	case err != nil:
		return Finding{Level: Warn, Check: "encryption key", Detail: err.Error(), Fix: "check that the provider's keys can be fetched"}
	case enc:
		return Finding{Level: Fail, Check: "encryption key", Detail: oidc.ErrEncryptedIDToken.Error()}
	}
	return Finding{Level: OK, Check: "encryption key", Detail: "ID tokens are not encrypted"}
}

func callbackPorts(ports []int) Finding {
	var busy []string
	for _, p := range ports {
		if !portFree(p) {
			busy = append(busy, strconv.Itoa(p))
			continue
		}
		if p == 0 {
			return Finding{Level: OK, Check: "callback port", Detail: "a free port on 127.0.0.1 is found at each sign-in"}
		}
		return Finding{Level: OK, Check: "callback port", Detail: "127.0.0.1:" + strconv.Itoa(p) + " is free"}
	}
	return Finding{Level: Fail, Check: "callback port", Detail: "ports " + strings.Join(busy, ", ") + " on 127.0.0.1 are all in use",
		Fix: "close the program using them, or change authentik.callback_ports and register the new redirect URIs"}
}

// portFree tells whether a sign-in could listen on port now.
func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
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

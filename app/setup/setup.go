// Package setup is the I/O side of ssotray's first run: it turns what a
// person typed into the setup form into a configuration, tests it against
// the servers (the Authentik part of doctor), and writes the configuration
// file where ssotray looks for it. The window itself is app/ui's SetupWindow.
package setup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/doctor"
)

// Input is what the setup form asks for.
type Input struct {
	ServerURL    string // Authentik's address, e.g. https://auth.example.com
	Slug         string // the application's slug; "" means config.Default's
	ClientID     string // the provider's client ID; "" means config.Default's
	NavidromeURL string // "" leaves Navidrome sign-in off
}

// Field names, as the setup form labels them.
const (
	FieldServerURL    = "Authentik server URL"
	FieldSlug         = "Application slug"
	FieldClientID     = "Client ID"
	FieldNavidromeURL = "Navidrome URL"
)

// fieldOfKey maps configuration keys to the form field that sets them.
var fieldOfKey = map[string]string{
	"authentik.server_url": FieldServerURL,
	"authentik.app_slug":   FieldSlug,
	"authentik.client_id":  FieldClientID,
	"navidrome.server_url": FieldNavidromeURL,
}

// InputError is a problem with what was typed. Its message is the
// configuration's own (it names the key, like "authentik.server_url: ...");
// Field names the form field to correct.
type InputError struct {
	Field string // one of the Field constants, "" when no single field is to blame
	Err   error
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// inputError wraps a validation error, finding the field from the key the
// message starts with.
func inputError(err error) *InputError {
	msg := err.Error()
	for key, field := range fieldOfKey {
		if strings.HasPrefix(msg, key+":") || strings.HasPrefix(msg, key+" ") {
			return &InputError{Field: field, Err: err}
		}
	}
	return &InputError{Err: err}
}

// normalized trims what was typed and fills in the defaults.
func (in Input) normalized() Input {
	in.ServerURL = strings.TrimSuffix(strings.TrimSpace(in.ServerURL), "/")
	in.Slug = strings.TrimSpace(in.Slug)
	in.ClientID = strings.TrimSpace(in.ClientID)
	in.NavidromeURL = strings.TrimSpace(in.NavidromeURL)
	def := config.Default()
	if in.Slug == "" {
		in.Slug = def.Authentik.AppSlug
	}
	if in.ClientID == "" {
		in.ClientID = def.Authentik.ClientID
	}
	return in
}

// Config builds the configuration: the defaults with these values, checked
// by the configuration's own validation, so a problem names its key. A
// problem is an *InputError.
func (in Input) Config() (*config.Config, error) {
	in = in.normalized()
	cfg := config.Default()
	cfg.Authentik.ServerURL = in.ServerURL
	cfg.Authentik.AppSlug = in.Slug
	cfg.Authentik.ClientID = in.ClientID
	if in.NavidromeURL != "" {
		cfg.Navidrome = config.Navidrome{Enabled: true, ServerURL: in.NavidromeURL}
	}
	if err := cfg.Validate(); err != nil {
		return nil, inputError(err)
	}
	// A common slip: pasting the issuer or the discovery address, which
	// already holds the slug. The configuration would accept it and
	// discovery would then look in the wrong place.
	if u, err := url.Parse(in.ServerURL); err == nil && strings.Contains(u.Path, "/application/o/") {
		return nil, &InputError{Field: FieldServerURL, Err: fmt.Errorf(
			"authentik.server_url: %q is the address of one application; enter only Authentik's address, like %s://%s, and the application's slug separately",
			in.ServerURL, u.Scheme, u.Host)}
	}
	return &cfg, nil
}

// Test checks in against the servers: Authentik's health, discovery and
// issuer, signing key, PKCE, the callback ports and the redirect URIs to
// register; and Navidrome when a Navidrome URL is given. A problem with
// the input itself is one failed finding.
func Test(ctx context.Context, in Input, hc *http.Client) []doctor.Finding {
	cfg, err := in.Config()
	if err != nil {
		f := doctor.Finding{Level: doctor.Fail, Check: "configuration", Detail: err.Error()}
		var ie *InputError
		if errors.As(err, &ie) && ie.Field != "" {
			f.Fix = "correct the " + ie.Field + " field"
		}
		return []doctor.Finding{f}
	}
	fs := doctor.Authentik(ctx, cfg.Authentik, hc)
	if cfg.Navidrome.Enabled {
		fs = append(fs, doctor.Navidrome(ctx, cfg.Navidrome.ServerURL, hc))
	}
	return fs
}

// DefaultPath is where the setup writes the configuration: the user's
// configuration directory, where ssotray looks for it.
func DefaultPath(locator config.Locator) (string, error) {
	if locator.UserConfigDir == nil {
		return "", errors.New("cannot tell where your configuration directory is; pass --config FILE")
	}
	dir, err := locator.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot tell where your configuration directory is (%v); set HOME or XDG_CONFIG_HOME, or pass --config FILE", err)
	}
	return filepath.Join(dir, "ssotray", "config.yaml"), nil
}

// Write writes the configuration for in to path, with its parent
// directories, readable only by the user. It never replaces an existing
// file: then the error wraps fs.ErrExist.
func Write(path string, in Input) error {
	cfg, err := in.Config()
	if err != nil {
		return err
	}
	data := render(cfg)
	// What is written must read back as the same configuration.
	back, err := config.Parse(data, path)
	if err != nil {
		return fmt.Errorf("the configuration to write does not read back (a bug in ssotray): %w", err)
	}
	back.Path = cfg.Path
	if !reflect.DeepEqual(back, cfg) {
		return errors.New("the configuration to write reads back differently (a bug in ssotray); write it by hand as shown in the README")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cannot create the folder for the configuration: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists and is left as it is; edit it, or move it away and run the setup again: %w", path, fs.ErrExist)
	}
	if err != nil {
		return fmt.Errorf("cannot write the configuration: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("cannot write the configuration to %s: %w", path, err)
	}
	return nil
}

// render writes cfg in the shape of the README's example: every key, with
// what it means.
func render(cfg *config.Config) []byte {
	a, n := cfg.Authentik, cfg.Navidrome
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# ssotray configuration, written by the first-run setup.")
	line("# Every key is explained in the README's \"Configuration\" section.")
	line("authentik:")
	line("  enabled: %t", a.Enabled)
	line("  server_url: %s   # discovery: {server_url}/application/o/{app_slug}/.well-known/openid-configuration", scalar(a.ServerURL))
	line("  app_slug: %s   # the Slug of the application in Authentik", scalar(a.AppSlug))
	line("  client_id: %s   # the Client ID of the provider", scalar(a.ClientID))
	line("  client_secret: \"\"   # empty = public client (recommended); set = confidential")
	line("  username_field: %s   # preferred_username | email | sub", scalar(a.UsernameField))
	line("  scopes: [%s]", list(a.Scopes))
	line("  callback_ports: [%s]   # loopback ports tried in order; each needs its redirect URI registered", ints(a.CallbackPorts))
	line("  prompt: %s   # passed to authorize, e.g. \"login\"", scalar(a.Prompt))
	line("  discovery_url: %s   # optional: any OpenID provider's discovery document instead", scalar(a.DiscoveryURL))
	line("  import_apps: %t   # also list Authentik's applications for you (needs the scope %s)", a.ImportApps, config.APIScope)
	line("navidrome:")
	line("  enabled: %t", n.Enabled)
	if n.ServerURL != "" {
		line("  server_url: %s", scalar(n.ServerURL))
	} else {
		line("  server_url: \"\"   # e.g. https://music.example.com")
	}
	// Empty keys keep their defaults; the examples are there to uncomment.
	line("apps:   # the app launcher; for example:")
	line("#  - name: Music")
	line("#    url: https://music.example.com")
	line("#    description: Navidrome")
	line("#    groups: []   # visible only to members of one of these groups; empty = everyone")
	line("browser_command:   # argv, e.g. [firefox, --private-window]; the URL is added last; empty = the system browser")
	line("kiosk:")
	line("  enabled: %t", cfg.Kiosk.Enabled)
	line("  idle_timeout: %s", duration(time.Duration(cfg.Kiosk.IdleTimeout)))
	line("allow_insecure_http: %t   # plain http only for loopback hosts unless true", cfg.AllowInsecureHTTP)
	return []byte(b.String())
}

// scalar is s as a YAML value, quoted when YAML needs it.
func scalar(s string) string {
	if s == "" {
		return `""`
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return strconv.Quote(s) // YAML's double quotes take the same escapes
	}
	out, err := yaml.Marshal(s)
	if err != nil {
		return strconv.Quote(s)
	}
	return strings.TrimSuffix(string(out), "\n")
}

func list(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = scalar(s)
	}
	return strings.Join(q, ", ")
}

func ints(items []int) string {
	q := make([]string, len(items))
	for i, p := range items {
		q[i] = strconv.Itoa(p)
	}
	return strings.Join(q, ", ")
}

// duration writes 5m rather than 5m0s.
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Service is the setup as the window needs it: Test and Save with the
// machine's facts filled in.
type Service struct {
	HTTPClient *http.Client   // nil: http.DefaultClient (the context bounds it)
	Locator    config.Locator // where the configuration is written (DefaultPath)
}

// Test runs Test with the service's HTTP client.
func (s Service) Test(ctx context.Context, in Input) []doctor.Finding {
	return Test(ctx, in, s.HTTPClient)
}

// Save writes the configuration to DefaultPath and returns that path.
func (s Service) Save(in Input) (string, error) {
	path, err := DefaultPath(s.Locator)
	if err != nil {
		return "", err
	}
	if err := Write(path, in); err != nil {
		return "", err
	}
	return path, nil
}

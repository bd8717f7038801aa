// Package config reads ssotray's YAML configuration: defaults, where the file is
// looked for, environment overrides and validation. Every problem is reported
// with the key involved and what to write instead, because the person reading
// the message is usually an admin with the file open in an editor.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ssotray/ssotray/app/fsperm"
)

// Config is the whole configuration file.
type Config struct {
	Authentik         Authentik `yaml:"authentik"`
	Navidrome         Navidrome `yaml:"navidrome"`
	Apps              []App     `yaml:"apps"`
	BrowserCommand    []string  `yaml:"browser_command"`
	Kiosk             Kiosk     `yaml:"kiosk"`
	AllowInsecureHTTP bool      `yaml:"allow_insecure_http"`

	// Path is the file this configuration was read from ("" when parsed from memory).
	Path string `yaml:"-"`
}

// Authentik configures sign-in through an Authentik OAuth2/OpenID provider.
type Authentik struct {
	Enabled       bool     `yaml:"enabled"`
	ServerURL     string   `yaml:"server_url"`
	AppSlug       string   `yaml:"app_slug"`
	ClientID      string   `yaml:"client_id"`
	ClientSecret  Secret   `yaml:"client_secret"`
	UsernameField string   `yaml:"username_field"`
	Scopes        []string `yaml:"scopes"`
	CallbackPorts []int    `yaml:"callback_ports"`
	Prompt        string   `yaml:"prompt"`
	DiscoveryURL  string   `yaml:"discovery_url"`
	// ImportApps also lists the applications Authentik lets the person
	// open (needs the goauthentik.io/api scope).
	ImportApps bool `yaml:"import_apps"`
}

// APIScope lets the access token call Authentik's own API. It lives here,
// not in authentikapi, because validation checks authentik.import_apps
// against authentik.scopes without calling the API.
const APIScope = "goauthentik.io/api"

// Navidrome configures sign-in with a Navidrome username and password.
type Navidrome struct {
	Enabled   bool   `yaml:"enabled"`
	ServerURL string `yaml:"server_url"`
}

// App is one entry of the app launcher.
type App struct {
	Name        string   `yaml:"name"`
	URL         string   `yaml:"url"`
	Description string   `yaml:"description"`
	Groups      []string `yaml:"groups"`
}

// Kiosk configures the shared-machine mode.
type Kiosk struct {
	Enabled     bool     `yaml:"enabled"`
	IdleTimeout Duration `yaml:"idle_timeout"`
	// SessionLimit is the longest one person may stay signed in; 0 means no limit.
	SessionLimit Duration `yaml:"session_limit"`
	// Remember keeps kiosk sessions in the keyring; off, they live in memory only.
	Remember bool `yaml:"remember"`
}

// Secret is a string that never prints itself, so a config dumped into a log
// or an error cannot leak the client secret.
type Secret string

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return s.String() }

// Duration is a time.Duration written in Go syntax ("5m", "90s").
type Duration time.Duration

// UnmarshalYAML accepts only Go duration strings, so "5" (no unit) is an
// error rather than five nanoseconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return &lineError{line: n.Line, msg: fmt.Sprintf("%q is not a duration; write it like 5m, 90s or 1h30m", n.Value)}
	}
	*d = Duration(v)
	return nil
}

// Usernames can come from one of these ID-token claims.
var usernameFields = []string{"preferred_username", "email", "sub"}

// Authentik serves these names itself under /application/o/, so an
// application cannot use them as its slug.
var reservedSlugs = []string{"authorize", "token", "device", "userinfo", "introspect", "revoke"}

// defaultCallbackPorts are tried in order for the loopback redirect; the
// README tells admins to register exactly these. A function, so that no
// caller can change them for everyone; Default's Authentik.CallbackPorts
// is the copy for other packages.
func defaultCallbackPorts() []int { return []int{38917, 38918, 38919} }

// Default returns the configuration used for keys the file leaves out.
func Default() Config {
	return Config{
		Authentik: Authentik{
			Enabled:       true,
			AppSlug:       "ssotray",
			ClientID:      "ssotray",
			UsernameField: "preferred_username",
			Scopes:        []string{"openid", "profile", "email", "offline_access"},
			CallbackPorts: defaultCallbackPorts(),
		},
		Kiosk: Kiosk{IdleTimeout: Duration(5 * time.Minute)},
	}
}

// Parse reads a configuration from YAML, applying defaults and validating it.
// name is used in messages (usually the file path).
func Parse(data []byte, name string) (*Config, error) {
	return parse(data, name, func(string) string { return "" })
}

func parse(data []byte, name string, getenv func(string) string) (*Config, error) {
	cfg := Default()
	if err := decode(data, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", displayName(name), err)
	}
	cfg.Path = name
	for _, o := range envOverrides {
		if v := getenv(o.name); v != "" {
			o.set(&cfg, v)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", displayName(name), err)
	}
	return &cfg, nil
}

func displayName(name string) string {
	if name == "" {
		return "configuration"
	}
	return name
}

// bracesReason is why a placeholder such as {profile} needs quotes.
const bracesReason = "YAML reads braces outside quotes as a block of keys"

// braces is a placeholder such as {profile}; yamlLine the line a YAML
// error names.
var (
	braces   = regexp.MustCompile(`\{[A-Za-z_]+\}`)
	yamlLine = regexp.MustCompile(`line (\d+):`)
)

// unquotedBraces finds a placeholder outside quotes where a YAML error
// points, the usual cause of a list that YAML cannot read:
// [chromium, --user-data-dir={profile}]. The parser names the line before
// for some errors (the one whose end it last saw), so the next one counts too.
func unquotedBraces(data []byte, err error) (line int, word string) {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, ""
	}
	named, _ := strconv.Atoi(m[1])
	lines := strings.Split(string(data), "\n")
	for line = named; line <= named+1 && line >= 1 && line <= len(lines); line++ {
		l := lines[line-1]
		double, single, from := 0, 0, 0 // quote marks before the match, counted once
		for _, b := range braces.FindAllStringIndex(l, -1) {
			double += strings.Count(l[from:b[0]], `"`)
			single += strings.Count(l[from:b[0]], "'")
			from = b[0]
			if double%2 == 0 && single%2 == 0 {
				return line, l[b[0]:b[1]]
			}
		}
	}
	return 0, ""
}

func decode(data []byte, cfg *Config) error {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file means "all defaults"
		}
		msg := "not valid YAML: " + trimYAMLPrefix(err)
		if line, word := unquotedBraces(data, err); word != "" {
			msg += fmt.Sprintf(" (line %d: a value with %s in it must be in quotes, e.g. \"--user-data-dir=%s\": %s)", line, word, word, bracesReason)
		}
		return errors.New(msg)
	}
	if err := checkKeys(&root, cfg); err != nil {
		return err
	}
	if err := root.Decode(cfg); err != nil {
		var le *lineError
		if errors.As(err, &le) {
			return le
		}
		return fmt.Errorf("%s", trimYAMLPrefix(err))
	}
	return nil
}

// lineError carries a YAML line number through yaml.v3's decoder.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// envOverrides maps environment variables to the keys they replace; they win
// over the file so that a deployment can inject the secret without writing it down.
var envOverrides = []struct {
	name string
	set  func(*Config, string)
}{
	{"SSOTRAY_AUTHENTIK_SERVER_URL", func(c *Config, v string) { c.Authentik.ServerURL = v }},
	{"SSOTRAY_AUTHENTIK_APP_SLUG", func(c *Config, v string) { c.Authentik.AppSlug = v }},
	{"SSOTRAY_AUTHENTIK_CLIENT_ID", func(c *Config, v string) { c.Authentik.ClientID = v }},
	{"SSOTRAY_AUTHENTIK_CLIENT_SECRET", func(c *Config, v string) { c.Authentik.ClientSecret = Secret(v) }},
	{"SSOTRAY_NAVIDROME_SERVER_URL", func(c *Config, v string) { c.Navidrome.ServerURL = v }},
}

// Load reads the file at path, applies environment overrides from getenv and
// validates the result.
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return parse(data, path, getenv)
}

// NotFoundError says where a configuration file was looked for.
type NotFoundError struct{ Tried []string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no configuration file found (looked at %s); write one as shown in the README's Configuration section, or pass --config FILE", quotePaths(e.Tried))
}

// quotePaths quotes file paths as people write them: a Windows path keeps
// its single backslashes (%q would double them), so it can be pasted.
func quotePaths(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = `"` + p + `"`
	}
	return strings.Join(q, ", ")
}

// Locator finds the configuration file. Its fields are the machine facts the
// search depends on, so tests can point them elsewhere.
type Locator struct {
	Getenv        func(string) string
	UserConfigDir func() (string, error)
	SystemDir     string // "/etc/ssotray" on Unix
	// Trust returns nil when the user ssotray runs as cannot change the
	// file at path (see Open: a kiosk reads only such a file); nil means
	// fsperm.Current().UserCanChange.
	Trust func(path string) error
}

// Find returns the first existing file of: explicit (--config), $SSOTRAY_CONFIG,
// the user config dir, the system dir. An explicit or env path must exist.
func (l Locator) Find(explicit string) (string, error) {
	for _, p := range []struct{ path, source string }{{explicit, "--config"}, {l.Getenv("SSOTRAY_CONFIG"), "SSOTRAY_CONFIG"}} {
		if p.path == "" {
			continue
		}
		if _, err := os.Stat(p.path); err != nil {
			return "", fmt.Errorf("configuration file %s (from %s) cannot be read: %w", p.path, p.source, errors.Unwrap(err))
		}
		return p.path, nil
	}
	var tried []string
	if dir, err := l.UserConfigDir(); err == nil {
		tried = append(tried, filepath.Join(dir, "ssotray", "config.yaml"))
	}
	if l.SystemDir != "" {
		tried = append(tried, filepath.Join(l.SystemDir, "config.yaml"))
	}
	for _, p := range tried {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", &NotFoundError{Tried: tried}
}

// DefaultLocator searches the real environment. Where file owners and
// modes cannot be checked (Windows), a kiosk's file is trusted as it is
// (protect it with the file's permissions there), and there is no file for
// every user: "/etc/ssotray" is C:\etc\ssotray there, which any user may
// create, and a file there would configure everyone else's ssotray (a
// browser_command is a program to run, kiosk.enabled takes the machine
// over). The configuration is then the user's own or --config FILE.
func DefaultLocator() Locator {
	l := Locator{Getenv: os.Getenv, UserConfigDir: os.UserConfigDir, SystemDir: "/etc/ssotray"}
	if !fsperm.Supported {
		l.Trust = func(string) error { return nil }
		l.SystemDir = ""
	}
	return l
}

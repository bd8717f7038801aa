package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const example = `
authentik:
  enabled: true
  server_url: https://auth.example.com
  app_slug: ssotray
  client_id: ssotray
  client_secret: ""
  username_field: preferred_username
  scopes: [openid, profile, email, offline_access]
  callback_ports: [38917, 38918, 38919]
  prompt: ""
  discovery_url: ""
navidrome:
  enabled: false
  server_url: https://music.example.com
apps:
  - name: Music
    url: https://music.example.com
    description: Navidrome
    groups: []
browser_command: []
kiosk:
  enabled: false
  idle_timeout: 5m
allow_insecure_http: false
`

func TestParseExample(t *testing.T) {
	cfg, err := Parse([]byte(example), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Authentik
	if !a.Enabled || a.ServerURL != "https://auth.example.com" || a.AppSlug != "ssotray" || a.UsernameField != "preferred_username" {
		t.Errorf("authentik = %+v", a)
	}
	if fmt.Sprint(a.CallbackPorts) != "[38917 38918 38919]" || len(a.Scopes) != 4 {
		t.Errorf("ports %v scopes %v", a.CallbackPorts, a.Scopes)
	}
	if len(cfg.Apps) != 1 || cfg.Apps[0].Name != "Music" || time.Duration(cfg.Kiosk.IdleTimeout) != 5*time.Minute {
		t.Errorf("apps %+v kiosk %+v", cfg.Apps, cfg.Kiosk)
	}
}

func TestDefaultsFillOmittedKeys(t *testing.T) {
	cfg, err := Parse([]byte("authentik:\n  server_url: https://auth.example.com\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Authentik.ClientID != "ssotray" || cfg.Authentik.UsernameField != "preferred_username" ||
		fmt.Sprint(cfg.Authentik.CallbackPorts) != "[38917 38918 38919]" || time.Duration(cfg.Kiosk.IdleTimeout) != 5*time.Minute {
		t.Errorf("defaults not applied: %+v", cfg)
	}
}

func TestParseErrors(t *testing.T) {
	const base = "authentik:\n  server_url: https://auth.example.com\n"
	tests := []struct {
		name, yaml string
		want       []string // all must appear in the message
	}{
		{"typo at top", base + "browser_comand: [x]\n", []string{`line 3`, `unknown key "browser_comand"`, `did you mean "browser_command"?`}},
		{"typo nested", "authentik:\n  server_ulr: https://a.example.com\n", []string{`line 2`, `"authentik.server_ulr"`, `did you mean "server_url"?`}},
		{"unknown nested far", base + "kiosk:\n  colour: red\n", []string{`unknown key "kiosk.colour"`, `known keys here are "enabled", "idle_timeout"`}},
		{"unknown key in app", base + "apps:\n  - name: A\n    url: https://a.example.com\n    icon: x\n", []string{`"apps[0].icon"`}},
		{"missing server_url", "authentik:\n  app_slug: ssotray\n", []string{"authentik.server_url is required"}},
		{"missing client_id", base + "  client_id: \"\"\n", []string{"authentik.client_id is required"}},
		{"missing navidrome url", "authentik:\n  enabled: false\nnavidrome:\n  enabled: true\n", []string{"navidrome.server_url is required"}},
		{"no method", "authentik:\n  enabled: false\n", []string{"no sign-in method is enabled"}},
		{"relative url", "authentik:\n  server_url: auth.example.com\n", []string{`authentik.server_url: "auth.example.com" is not an absolute URL`, "https://auth.example.com"}},
		{"ftp url", "authentik:\n  server_url: ftp://auth.example.com\n", []string{"must start with https://"}},
		{"http remote", "authentik:\n  server_url: http://auth.example.com\n", []string{"plain http to another machine", "allow_insecure_http: true"}},
		{"http remote app", base + "apps:\n  - name: A\n    url: http://a.example.com\n", []string{"apps[0].url", "plain http"}},
		{"reserved slug", base + "  app_slug: token\n", []string{`authentik.app_slug: "token" is reserved by Authentik`}},
		{"slug with slash", base + "  app_slug: a/b\n", []string{"is not a slug"}},
		{"username field", base + "  username_field: nickname\n", []string{`authentik.username_field: "nickname" is not supported`, `"preferred_username", "email", "sub"`}},
		{"no openid scope", base + "  scopes: [profile]\n", []string{`authentik.scopes: must include "openid"`}},
		{"bad duration", base + "kiosk:\n  idle_timeout: 5 minutes\n", []string{"line 4", `"5 minutes" is not a duration`, "5m"}},
		{"unitless duration", base + "kiosk:\n  idle_timeout: 5\n", []string{`"5" is not a duration`}},
		{"zero duration", base + "kiosk:\n  idle_timeout: 0s\n", []string{"kiosk.idle_timeout: must be longer than zero"}},
		{"negative session limit", base + "kiosk:\n  session_limit: -1h\n", []string{"kiosk.session_limit: must not be negative"}},
		{"port too big", base + "  callback_ports: [70000]\n", []string{"70000 is not a port"}},
		{"negative port", base + "  callback_ports: [-1]\n", []string{"-1 is not a port"}},
		{"zero with others", base + "  callback_ports: [0, 38917]\n", []string{"0 (any free port) must be the only entry"}},
		{"empty ports", base + "  callback_ports: []\n", []string{"must list at least one port"}},
		{"port not number", base + "  callback_ports: [abc]\n", []string{`authentik.callback_ports[0]: "abc" is not a whole number`}},
		{"bool wrong", base + "allow_insecure_http: maybe\n", []string{`allow_insecure_http: "maybe" is not true or false`}},
		{"scalar for block", "authentik: yes\n", []string{"authentik must be a block of keys"}},
		{"list for string", "authentik:\n  server_url: [a]\n", []string{"authentik.server_url must be a single value"}},
		{"string for list", base + "  scopes: openid\n", []string{"authentik.scopes must be a list"}},
		{"import apps without api scope", base + "  import_apps: true\n", []string{`authentik.import_apps needs the scope "goauthentik.io/api"`}},
		{"bad discovery url", base + "  discovery_url: https://a.example.com/x\n", []string{"must end in /.well-known/openid-configuration"}},
		{"duplicate app", base + "apps:\n  - {name: A, url: https://a.example.com}\n  - {name: a, url: https://b.example.com}\n", []string{`"a" is used by two apps`}},
		{"app without url", base + "apps:\n  - name: A\n", []string{"apps[0].url is required"}},
		{"placeholder in a value without quotes", base + "browser_command: [chromium, --user-data-dir={profile}]\n", []string{"not valid YAML", `line 3: a value with {profile} in it must be in quotes, e.g. "--user-data-dir={profile}"`}},
		{"placeholder without quotes", base + "browser_command: [firefox, --profile, {profile}]\n", []string{"line 3", `browser_command[2]: {profile} must be in quotes ("{profile}")`}},
		{"empty browser", base + "browser_command: [\"\"]\n", []string{"browser_command: the first item must be a program"}},
		{"broken yaml", "authentik: [\n", []string{"not valid YAML"}},
		{"top level list", "- a\n", []string{"the file must be a block of keys"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "cfg.yaml")
			if err == nil {
				t.Fatalf("no error for:\n%s", tt.yaml)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "cfg.yaml: ") {
				t.Errorf("message does not name the file: %s", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestAcceptedVariants(t *testing.T) {
	tests := []struct{ name, yaml string }{
		{"empty file is all defaults but needs a server", "authentik:\n  server_url: https://a.example.com\n"},
		{"loopback http", "authentik:\n  server_url: http://127.0.0.1:9000\n"},
		{"localhost http", "authentik:\n  server_url: http://localhost:9000\n"},
		{"ipv6 loopback", "authentik:\n  server_url: http://[::1]:9000\n"},
		{"insecure allowed", "allow_insecure_http: true\nauthentik:\n  server_url: http://auth.lan\n"},
		{"discovery only", "authentik:\n  server_url: \"\"\n  discovery_url: https://idp.example.com/realms/x/.well-known/openid-configuration\n"},
		{"any port", "authentik:\n  server_url: https://a.example.com\n  callback_ports: [0]\n"},
		{"import apps", "authentik:\n  server_url: https://a.example.com\n  import_apps: true\n  scopes: [openid, profile, email, offline_access, goauthentik.io/api]\n"},
		{"navidrome only", "authentik:\n  enabled: false\nnavidrome:\n  enabled: true\n  server_url: https://music.example.com/navidrome/\n"},
		{"kiosk with limits", "authentik:\n  server_url: https://a.example.com\nkiosk:\n  enabled: true\n  idle_timeout: 3m\n  session_limit: 2h\n  remember: false\n"},
		{"null block keeps defaults", "authentik:\n  server_url: https://a.example.com\nkiosk:\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.yaml), "c.yaml"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	cfg, err := Parse([]byte("authentik:\n  server_url: https://a.example.com\n  client_secret: s3cr3t-value\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Authentik.ClientSecret != "s3cr3t-value" {
		t.Fatal("secret not read")
	}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%v", cfg.Authentik)} {
		if strings.Contains(s, "s3cr3t") {
			t.Errorf("secret printed: %s", s)
		}
	}
}

func TestLoadEnvOverrides(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("authentik:\n  server_url: https://file.example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SSOTRAY_AUTHENTIK_SERVER_URL":    "https://env.example.com",
		"SSOTRAY_AUTHENTIK_APP_SLUG":      "envslug",
		"SSOTRAY_AUTHENTIK_CLIENT_ID":     "envclient",
		"SSOTRAY_AUTHENTIK_CLIENT_SECRET": "envsecret",
		"SSOTRAY_NAVIDROME_SERVER_URL":    "https://music.env.example.com",
	}
	cfg, err := Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Authentik
	if a.ServerURL != env["SSOTRAY_AUTHENTIK_SERVER_URL"] || a.AppSlug != "envslug" || a.ClientID != "envclient" ||
		a.ClientSecret != "envsecret" || cfg.Navidrome.ServerURL != env["SSOTRAY_NAVIDROME_SERVER_URL"] || cfg.Path != path {
		t.Errorf("overrides not applied: %+v %+v", a, cfg.Navidrome)
	}
	// An override is validated like the file.
	env["SSOTRAY_AUTHENTIK_SERVER_URL"] = "http://remote.example.com"
	if _, err := Load(path, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("bad override accepted: %v", err)
	}
}

func TestLocatorOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(p string) string {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flagFile := write(filepath.Join(dir, "flag.yaml"))
	envFile := write(filepath.Join(dir, "env.yaml"))
	userFile := filepath.Join(dir, "user", "ssotray", "config.yaml")
	sysFile := filepath.Join(dir, "etc", "config.yaml")
	env := map[string]string{}
	l := Locator{
		Getenv:        func(k string) string { return env[k] },
		UserConfigDir: func() (string, error) { return filepath.Join(dir, "user"), nil },
		SystemDir:     filepath.Join(dir, "etc"),
	}
	find := func(explicit string) string {
		t.Helper()
		p, err := l.Find(explicit)
		if err != nil {
			return "error: " + err.Error()
		}
		return p
	}

	var nf *NotFoundError
	if _, err := l.Find(""); !errors.As(err, &nf) || len(nf.Tried) != 2 || !strings.Contains(err.Error(), userFile) || !strings.Contains(err.Error(), sysFile) {
		t.Errorf("nothing present: %v", err)
	}
	write(sysFile)
	if got := find(""); got != sysFile {
		t.Errorf("system file: %s", got)
	}
	write(userFile)
	if got := find(""); got != userFile {
		t.Errorf("user file first: %s", got)
	}
	env["SSOTRAY_CONFIG"] = envFile
	if got := find(""); got != envFile {
		t.Errorf("env first: %s", got)
	}
	if got := find(flagFile); got != flagFile {
		t.Errorf("flag first: %s", got)
	}
	if got := find(filepath.Join(dir, "nope.yaml")); !strings.Contains(got, "from --config") {
		t.Errorf("missing explicit file must be an error, got %s", got)
	}
	env["SSOTRAY_CONFIG"] = filepath.Join(dir, "gone.yaml")
	if got := find(""); !strings.Contains(got, "from SSOTRAY_CONFIG") {
		t.Errorf("missing env file must be an error, got %s", got)
	}
}

// FuzzParse checks that no input makes the parser panic, and that whatever it
// accepts really is valid.
func FuzzParse(f *testing.F) {
	f.Add([]byte(example))
	f.Add([]byte("authentik:\n  server_ulr: x\n"))
	f.Add([]byte("kiosk: {idle_timeout: 5x}\n"))
	f.Add([]byte("apps: [{name: a, url: 'https://a'}, *x]\n"))
	f.Add([]byte("a: &x [1]\nb: *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml: ") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("accepted an invalid config: %v", err)
		}
	})
}

// A Windows user pastes the path from the message into Explorer: it keeps
// single backslashes.
func TestNotFoundNamesPathsAsWritten(t *testing.T) {
	err := &NotFoundError{Tried: []string{`C:\Users\zoë\AppData\Roaming\ssotray\config.yaml`, "/etc/ssotray/config.yaml"}}
	want := `looked at "C:\Users\zoë\AppData\Roaming\ssotray\config.yaml", "/etc/ssotray/config.yaml"`
	if !strings.Contains(err.Error(), want) {
		t.Errorf("got %q, want it to contain %q", err.Error(), want)
	}
}

// The quoting hint comes only for a placeholder outside quotes where the
// YAML error points.
func TestUnquotedBraces(t *testing.T) {
	tests := []struct {
		name, data, err string
		want            string
	}{
		{"unquoted on the line named", "a: 1\nb: [x, --d={profile}]\n", "yaml: line 2: did not find expected ',' or ']'", "{profile}"},
		{"unquoted on the next line", "a: 1\nb: [x, --d={profile}]\n", "yaml: line 1: did not find expected ',' or ']'", "{profile}"},
		{"quoted", "b: [x, \"--d={profile}\"]\n", "yaml: line 1: something else", ""},
		{"after an apostrophe in quotes", "b: [\"it's\", \"{profile}\"]\n", "yaml: line 1: something else", ""},
		{"elsewhere than the error", "b: [x, --d={profile}]\na: 1\nc: [\n", "yaml: line 3: did not find expected node content", ""},
		{"no line in the error", "b: [x, --d={profile}]\n", "yaml: unknown", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := unquotedBraces([]byte(tt.data), errors.New(tt.err)); got != tt.want {
				t.Errorf("unquotedBraces = %q, want %q", got, tt.want)
			}
		})
	}
}

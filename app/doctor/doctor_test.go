package doctor

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/navidrome/navidrometest"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

// regexClient is ssotray registered with the redirect URI regex.
var regexClient = oidctest.Client{ID: "ssotray", RedirectURIRegexes: []string{oidc.RedirectURIRegex}}

func provider(t *testing.T, f oidctest.Faults, clients ...oidctest.Client) *oidctest.Provider {
	t.Helper()
	return providerWith(t, f, func(o *oidctest.Options) { o.Clients = clients })
}

// providerWith starts the Authentik stand-in (real defaults) as set says;
// no clients means ssotray's with the regex.
func providerWith(t *testing.T, f oidctest.Faults, set func(*oidctest.Options)) *oidctest.Provider {
	t.Helper()
	var opts oidctest.Options
	set(&opts)
	if opts.Clients == nil {
		opts.Clients = []oidctest.Client{regexClient}
	}
	p, err := oidctest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	p.SetFaults(f)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func find(fs []Finding, check string) Finding {
	for _, f := range fs {
		if f.Check == check {
			return f
		}
	}
	return Finding{Level: -1, Check: check, Detail: "missing"}
}

// findLevel is the first finding of check at level.
func findLevel(fs []Finding, check string, level Level) Finding {
	for _, f := range fs {
		if f.Check == check && f.Level == level {
			return f
		}
	}
	return Finding{Level: -1, Check: check, Detail: "missing"}
}

func dump(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

func TestRedirectURIs(t *testing.T) {
	for _, tt := range []struct {
		ports []int
		want  []RedirectEntry
	}{
		{[]int{38917, 38918}, []RedirectEntry{{URL: "http://127.0.0.1:38917/callback"}, {URL: "http://127.0.0.1:38918/callback"}}},
		{[]int{0}, []RedirectEntry{{URL: oidc.RedirectURIRegex, Regex: true}}},
		{[]int{38917, 0}, []RedirectEntry{{URL: oidc.RedirectURIRegex, Regex: true}}},
	} {
		if got := RedirectURIs(tt.ports); !slices.Equal(got, tt.want) {
			t.Errorf("%v: got %v, want %v", tt.ports, got, tt.want)
		}
	}
}

func TestAuthentik(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	free := oidctest.FreePorts(t, 3)
	uri := func(i int) string { return oidc.RedirectURI(free[i]) }

	strict := oidctest.Client{ID: "ssotray", RedirectURIs: []string{uri(0)}}
	ports := func(p ...int) func(a *config.Authentik, _ *oidctest.Provider) {
		return func(a *config.Authentik, _ *oidctest.Provider) { a.CallbackPorts = p }
	}
	tests := []struct {
		name   string
		faults oidctest.Faults
		client *oidctest.Client // registered at the provider; default regexClient
		opts   func(*oidctest.Options)
		mutate func(a *config.Authentik, p *oidctest.Provider)
		check  string
		level  Level
		want   string
		regex  bool // the finding names the regex entry to register
	}{
		{name: "healthy", check: "discovery", level: OK, want: "/application/o/ssotray/"},
		{name: "health", check: "health", level: OK, want: "ready"},
		{name: "signing", check: "signing key", level: OK, want: "RS256"},
		{name: "pkce", check: "PKCE", level: OK, want: "S256"},
		{name: "HS256", faults: oidctest.Faults{HS256: true}, check: "signing key", level: Fail, want: "choose a Signing Key"},
		{name: "encryption key", opts: func(o *oidctest.Options) { o.EncryptionKey = true }, check: "encryption key", level: Fail, want: "clear Encryption Key"},
		{name: "issuer mode global", opts: func(o *oidctest.Options) { o.IssuerMode = oidctest.IssuerGlobal }, check: "discovery", level: Fail,
			want: `set Issuer mode to "Each provider has a different issuer, based on the application slug"`},
		{name: "wrong slug", mutate: func(a *config.Authentik, _ *oidctest.Provider) { a.AppSlug = "nope" }, check: "discovery", level: Fail, want: "authentik.app_slug"},
		{name: "down", mutate: func(_ *config.Authentik, p *oidctest.Provider) { _ = p.Close() }, check: "health", level: Fail, want: "cannot reach"},
		{name: "ports busy", mutate: func(a *config.Authentik, _ *oidctest.Provider) { a.CallbackPorts = []int{busyPort} }, check: "callback port", level: Fail, want: "all in use"},
		{name: "strict URIs", mutate: ports(free[0], free[1]), check: CheckRedirectURIs, level: OK,
			want: uri(0) + " (Strict), " + uri(1) + " (Strict)"},
		{name: "regex URI", check: CheckRedirectURIs, level: OK, want: `http://127\.0\.0\.1:\d+/callback (Regex)`},
		{name: "regex registered", mutate: ports(free[0]), check: CheckRedirectURI, level: OK, want: "accepts " + uri(0)},
		{name: "strict registered", client: &strict, mutate: ports(free[0]), check: CheckRedirectURI, level: OK, want: "accepts " + uri(0)},
		{name: "any port configured: not probed", client: &strict, check: CheckRedirectURI, level: Warn,
			want: `not asked: with callback_ports [0]` + "", regex: true},
		{name: "other port registered", client: &strict, mutate: ports(free[1]), check: CheckRedirectURI, level: Fail,
			want: "refuses " + uri(1) + ` (the browser would show "Redirect URI Error") — in Authentik, edit the OAuth2/OpenID provider of this application and add to Redirect URIs/Origins (RegEx): ` + uri(1) + " (Strict)"},
		{name: "only the first of three accepted", client: &strict, mutate: ports(free...), check: CheckRedirectURIs, level: Warn,
			want: "the list may have been empty"},
		{name: "unknown client", mutate: func(a *config.Authentik, _ *oidctest.Provider) { a.ClientID = "nobody" }, check: "client", level: Fail, want: "authentik.client_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var clients []oidctest.Client
			if tt.client != nil {
				clients = append(clients, *tt.client)
			}
			p := providerWith(t, tt.faults, func(o *oidctest.Options) {
				o.Clients = clients
				if tt.opts != nil {
					tt.opts(o)
				}
			})
			a := config.Default().Authentik
			a.ServerURL, a.CallbackPorts = p.URL(), []int{0}
			if tt.mutate != nil {
				tt.mutate(&a, p)
			}
			fs := Authentik(context.Background(), a, nil)
			f := findLevel(fs, tt.check, tt.level)
			if !strings.Contains(f.String(), tt.want) {
				t.Errorf("want %s %s with %q; got\n%s", tt.level, tt.check, tt.want, dump(fs))
			}
			if tt.regex && !slices.Equal(f.Register, []RedirectEntry{{URL: oidc.RedirectURIRegex, Regex: true}}) {
				t.Errorf("register %v", f.Register)
			}
		})
	}
}

// TestChangesNothing: Authentik saves the first redirect_uri it sees into
// an empty Redirect URIs list; doctor must never be what puts a URI there
// that a real sign-in would not have sent first.
func TestChangesNothing(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	free := oidctest.FreePorts(t, 3)
	empty := oidctest.Client{ID: "ssotray"}
	for _, tt := range []struct {
		name     string
		ports    []int
		clientID string
		saved    []string // the strict list afterwards
		check    string
		level    Level
		want     string
	}{
		{name: "any port", ports: []int{0}, check: CheckRedirectURI, level: Warn, want: "not asked"},
		{name: "fixed ports", ports: free, saved: []string{oidc.RedirectURI(free[0])},
			check: CheckRedirectURIs, level: Warn, want: "the list may have been empty"},
		{name: "first port busy", ports: []int{busyPort, free[1]}, saved: []string{oidc.RedirectURI(free[1])},
			check: CheckRedirectURI, level: Warn, want: "not asked about " + oidc.RedirectURI(busyPort) + ": the port is in use now"},
		// What the first sign-in would have saved, and all it needs.
		{name: "one fixed port", ports: free[2:], saved: []string{oidc.RedirectURI(free[2])},
			check: CheckRedirectURI, level: OK, want: "the provider accepts " + oidc.RedirectURI(free[2])},
		{name: "unknown client", ports: free[:1], clientID: "nobody", check: "client", level: Fail, want: "knows no client"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := provider(t, oidctest.Faults{}, empty)
			a := config.Default().Authentik
			a.ServerURL, a.CallbackPorts = p.URL(), tt.ports
			if tt.clientID != "" {
				a.ClientID = tt.clientID
			}
			fs := Authentik(context.Background(), a, nil)
			if f := findLevel(fs, tt.check, tt.level); !strings.Contains(f.String(), tt.want) {
				t.Errorf("want %s %s with %q; got\n%s", tt.level, tt.check, tt.want, dump(fs))
			}
			strict, regexes := p.RedirectURIs("ssotray")
			if !slices.Equal(strict, tt.saved) || len(regexes) != 0 {
				t.Errorf("the provider's redirect URIs are now %q and %q, want %q", strict, regexes, tt.saved)
			}
		})
	}
}

func TestNavidrome(t *testing.T) {
	srv, err := navidrometest.Start(navidrometest.Options{BasePath: "/nd"})
	if err != nil {
		t.Fatal(err)
	}
	if f := Navidrome(context.Background(), srv.URL(), nil); f.Level != OK {
		t.Errorf("%s", f)
	}
	// The sub-path left out: Navidrome sends the ping to its web interface.
	root := strings.TrimSuffix(srv.URL(), "/nd")
	if f := Navidrome(context.Background(), root, nil); f.Level != Fail || !strings.Contains(f.Detail, "so Navidrome lives at "+srv.URL()+"; use that address") {
		t.Errorf("without the sub-path: %s", f)
	}
	p := provider(t, oidctest.Faults{})
	if f := Navidrome(context.Background(), p.URL(), nil); f.Level != Fail || !strings.Contains(f.Detail, "does not look like a Navidrome server") {
		t.Errorf("not navidrome: %s", f)
	}
	_ = srv.Close()
	if f := Navidrome(context.Background(), srv.URL(), nil); f.Level != Fail || !strings.Contains(f.Detail, "cannot reach") {
		t.Errorf("down: %s", f)
	}
}

type brokenStore struct{ tokenstore.Memory }

func (*brokenStore) Save(*tokenstore.Session) error {
	return &tokenstore.UnavailableError{Err: errors.New("The name org.freedesktop.secrets was not provided by any .service files")}
}

func TestKeyringAndBrowser(t *testing.T) {
	if f := Keyring(tokenstore.NewMemory()); f.Level != OK {
		t.Errorf("%s", f)
	}
	if f := Keyring(&brokenStore{}); f.Level != Fail || !strings.Contains(f.String(), "no Secret Service") || !strings.Contains(f.Fix, "gnome-keyring") {
		t.Errorf("%s", f)
	}
	has := func(names ...string) func(string) (string, error) {
		return func(n string) (string, error) {
			for _, x := range names {
				if x == n {
					return "/usr/bin/" + n, nil
				}
			}
			return "", errors.New("not found")
		}
	}
	tests := []struct {
		command []string
		path    []string
		level   Level
	}{
		{nil, []string{"xdg-open"}, OK},
		{nil, nil, Warn},
		{[]string{"firefox", "--private-window"}, []string{"firefox"}, OK},
		{[]string{"firefox"}, []string{"xdg-open"}, Fail},
	}
	for _, tt := range tests {
		if f := Browser(tt.command, has(tt.path...)); f.Level != tt.level {
			t.Errorf("%v with %v: %s", tt.command, tt.path, f)
		}
	}
}

// In kiosk mode the desktop's opener is no browser at all: ssotray could
// not close what it opens.
func TestKioskNeedsBrowserCommand(t *testing.T) {
	tests := []struct {
		kiosk   bool
		command []string
		want    Level
		detail  string // of a failure
	}{
		{kiosk: false, command: nil, want: OK},
		{kiosk: true, command: nil, want: Fail, detail: "browser_command is not set"},
		{kiosk: true, command: []string{"xdg-open"}, want: Fail, detail: "browser_command starts xdg-open, which hands the address to the desktop's browser"},
		{kiosk: true, command: []string{"chromium", "--incognito", "--user-data-dir={profile}"}, want: OK},
		{kiosk: true, command: []string{"chromium", "--incognito"}, want: Warn},
		{kiosk: false, command: []string{"chromium", "--incognito"}, want: OK},
	}
	for _, tt := range tests {
		cfg := config.Default()
		cfg.Authentik.Enabled = false
		cfg.Kiosk.Enabled = tt.kiosk
		cfg.BrowserCommand = tt.command
		fs := Run(context.Background(), &cfg, Deps{LookPath: func(n string) (string, error) { return "/usr/bin/" + n, nil }})
		f := fs[len(fs)-1]
		if f.Check != "browser" || f.Level != tt.want {
			t.Errorf("kiosk %v, browser_command %v: %s", tt.kiosk, tt.command, f)
		}
		if f.Level == Fail && (!strings.Contains(f.Detail, tt.detail) || !strings.Contains(f.Fix, "[chromium, --incognito, --new-window")) {
			t.Errorf("the finding does not say what to set: %s", f)
		}
		if f.Level == Warn && (!strings.Contains(f.Detail, "has no {profile}") || !strings.Contains(f.Fix, `"--user-data-dir={profile}"`)) {
			t.Errorf("the warning does not say what to add: %s", f)
		}
	}
}

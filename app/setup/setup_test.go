package setup

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/doctor"
	"github.com/ssotray/ssotray/app/navidrome/navidrometest"
	"github.com/ssotray/ssotray/oidc"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

func noEnv(string) string { return "" }

func TestConfigRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    Input
		want  string // in the message
		field string
	}{
		{"missing server URL", Input{}, "authentik.server_url is required", FieldServerURL},
		{"blank server URL", Input{ServerURL: "   "}, "authentik.server_url is required", FieldServerURL},
		{"relative server URL", Input{ServerURL: "auth.example.com"}, `authentik.server_url: "auth.example.com" is not an absolute URL; write it with its scheme, like https://auth.example.com`, FieldServerURL},
		{"not http", Input{ServerURL: "ftp://auth.example.com"}, "authentik.server_url: \"ftp://auth.example.com\" must start with https://", FieldServerURL},
		{"plain http to a remote host", Input{ServerURL: "http://auth.example.com"}, "authentik.server_url: \"http://auth.example.com\" uses plain http to another machine", FieldServerURL},
		{"reserved slug", Input{ServerURL: "https://auth.example.com", Slug: "token"}, `authentik.app_slug: "token" is reserved by Authentik`, FieldSlug},
		{"slug with a slash", Input{ServerURL: "https://auth.example.com", Slug: "a/b"}, `authentik.app_slug: "a/b" is not a slug`, FieldSlug},
		{"issuer pasted as server URL", Input{ServerURL: "https://auth.example.com/application/o/ssotray/"}, "authentik.server_url: \"https://auth.example.com/application/o/ssotray\" is the address of one application; enter only Authentik's address, like https://auth.example.com", FieldServerURL},
		{"relative Navidrome URL", Input{ServerURL: "https://auth.example.com", NavidromeURL: "music.example.com"}, `navidrome.server_url: "music.example.com" is not an absolute URL`, FieldNavidromeURL},
		{"plain http to a remote Navidrome", Input{ServerURL: "https://auth.example.com", NavidromeURL: "http://music.example.com"}, "navidrome.server_url: \"http://music.example.com\" uses plain http", FieldNavidromeURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.in.Config()
			if err == nil {
				t.Fatalf("accepted: %+v", cfg)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Errorf("field: got %+v, want %q", ie, tc.field)
			}
		})
	}
}

func TestConfigBuilds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    Input
		check func(t *testing.T, c *config.Config)
	}{
		{"defaults", Input{ServerURL: "https://auth.example.com"}, func(t *testing.T, c *config.Config) {
			want := config.Default()
			want.Authentik.ServerURL = "https://auth.example.com"
			if !reflect.DeepEqual(*c, want) {
				t.Errorf("got %+v\nwant %+v", *c, want)
			}
		}},
		{"trimmed, trailing slash dropped", Input{ServerURL: " https://auth.example.com/ ", Slug: " music ", ClientID: " abc123 "}, func(t *testing.T, c *config.Config) {
			a := c.Authentik
			if a.ServerURL != "https://auth.example.com" || a.AppSlug != "music" || a.ClientID != "abc123" {
				t.Errorf("got %+v", a)
			}
		}},
		{"no Navidrome URL: Navidrome off", Input{ServerURL: "https://auth.example.com"}, func(t *testing.T, c *config.Config) {
			if c.Navidrome.Enabled || c.Navidrome.ServerURL != "" {
				t.Errorf("navidrome %+v", c.Navidrome)
			}
		}},
		{"Navidrome URL: Navidrome on", Input{ServerURL: "https://auth.example.com", NavidromeURL: "https://music.example.com/navidrome"}, func(t *testing.T, c *config.Config) {
			if !c.Navidrome.Enabled || c.Navidrome.ServerURL != "https://music.example.com/navidrome" {
				t.Errorf("navidrome %+v", c.Navidrome)
			}
		}},
		{"plain http to this machine", Input{ServerURL: "http://127.0.0.1:9000", NavidromeURL: "http://localhost:4533"}, func(t *testing.T, c *config.Config) {
			if c.Authentik.ServerURL != "http://127.0.0.1:9000" {
				t.Errorf("got %+v", c.Authentik)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.in.Config()
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestWrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Input
	}{
		{"Authentik only", Input{ServerURL: "https://auth.example.com"}},
		{"everything", Input{ServerURL: "https://auth.example.com:8443/sso", Slug: "my-app", ClientID: "Xy7q9ABCdef", NavidromeURL: "https://music.example.com/navidrome/"}},
		{"values YAML would misread", Input{ServerURL: "http://[::1]:9000", Slug: "true", ClientID: "123: #x", NavidromeURL: "http://localhost:4533"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := tc.in.Config()
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "new", "ssotray", "config.yaml")
			if err := Write(path, tc.in); err != nil {
				t.Fatal(err)
			}
			got, err := config.Load(path, noEnv)
			if err != nil {
				t.Fatalf("the written file does not load: %v", err)
			}
			want.Path = path
			if !reflect.DeepEqual(got, want) {
				t.Errorf("read back %+v\nwant %+v", got, want)
			}
			data, _ := os.ReadFile(path)
			for _, s := range []string{"# ssotray configuration", "authentik:", "navidrome:", "kiosk:", "callback_ports: [38917, 38918, 38919]", "# empty = public client"} {
				if !strings.Contains(string(data), s) {
					t.Errorf("the file lacks %q:\n%s", s, data)
				}
			}
			if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
				t.Errorf("file mode %v, want 0600", info.Mode().Perm())
			}
			for _, d := range []string{filepath.Dir(path), filepath.Dir(filepath.Dir(path))} {
				if info, _ := os.Stat(d); info.Mode().Perm() != 0o700 {
					t.Errorf("%s: mode %v, want 0700", d, info.Mode().Perm())
				}
			}

			// A second write leaves the file alone.
			err = Write(path, Input{ServerURL: "https://other.example.com"})
			if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), path) {
				t.Errorf("overwrite: %v", err)
			}
			if again, _ := os.ReadFile(path); string(again) != string(data) {
				t.Error("the existing file was changed")
			}
		})
	}
}

func TestWriteInvalidWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ssotray", "config.yaml")
	err := Write(path, Input{ServerURL: "auth.example.com"})
	if err == nil || !strings.Contains(err.Error(), "authentik.server_url") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("something was created: %v", err)
	}
}

func TestDefaultPath(t *testing.T) {
	dir := t.TempDir()
	loc := config.Locator{Getenv: noEnv, UserConfigDir: func() (string, error) { return dir, nil }}
	got, err := DefaultPath(loc)
	if err != nil || got != filepath.Join(dir, "ssotray", "config.yaml") {
		t.Fatalf("got %q, %v", got, err)
	}
	// It is where the locator then finds it.
	if err := Write(got, Input{ServerURL: "https://auth.example.com"}); err != nil {
		t.Fatal(err)
	}
	if found, err := loc.Find(""); err != nil || found != got {
		t.Errorf("Find: %q, %v", found, err)
	}

	loc.UserConfigDir = func() (string, error) { return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME are defined") }
	if _, err := DefaultPath(loc); err == nil || !strings.Contains(err.Error(), "--config") {
		t.Errorf("no config dir: %v", err)
	}
}

func TestServiceSave(t *testing.T) {
	dir := t.TempDir()
	s := Service{Locator: config.Locator{Getenv: noEnv, UserConfigDir: func() (string, error) { return dir, nil }}}
	path, err := s.Save(Input{ServerURL: "https://auth.example.com"})
	if err != nil || path != filepath.Join(dir, "ssotray", "config.yaml") {
		t.Fatalf("got %q, %v", path, err)
	}
	if _, err := s.Save(Input{ServerURL: "https://auth.example.com"}); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second save: %v", err)
	}
	if _, err := s.Save(Input{}); err == nil || !strings.Contains(err.Error(), "authentik.server_url") {
		t.Errorf("empty input: %v", err)
	}
}

// find returns the finding of check, failing the test when there is none.
func find(t *testing.T, fs []doctor.Finding, check string) doctor.Finding {
	t.Helper()
	for _, f := range fs {
		if f.Check == check {
			return f
		}
	}
	t.Fatalf("no %q finding in\n%s", check, dump(fs))
	return doctor.Finding{}
}

func dump(fs []doctor.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

func startProvider(t *testing.T) *oidctest.Provider {
	t.Helper()
	p, err := oidctest.Start(oidctest.Options{
		Clients: []oidctest.Client{{ID: "ssotray", RedirectURIRegexes: []string{oidc.RedirectURIRegex}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func startNavidrome(t *testing.T) *navidrometest.Server {
	t.Helper()
	s, err := navidrometest.Start(navidrometest.Options{Users: []navidrometest.User{{Username: "bob", Password: "pw", Name: "Bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestTest(t *testing.T) {
	p := startProvider(t)
	nd := startNavidrome(t)
	closedP := startProvider(t)
	closedURL := closedP.URL()
	_ = closedP.Close()
	closedND := startNavidrome(t)
	closedNDURL := closedND.URL()
	_ = closedND.Close()

	redirects := "http://127.0.0.1:38917/callback (Strict), http://127.0.0.1:38918/callback (Strict), http://127.0.0.1:38919/callback (Strict)"

	type want struct {
		check string
		level doctor.Level
		text  string // in Detail
	}
	for _, tc := range []struct {
		name  string
		in    Input
		wants []want
		none  []string // checks that must not be there
	}{
		{"a working provider", Input{ServerURL: p.URL()}, []want{
			{"health", doctor.OK, "Authentik is ready"},
			{"discovery", doctor.OK, "issuer " + p.Issuer()},
			{"signing key", doctor.OK, "RS256"},
			{"PKCE", doctor.OK, "S256"},
			{doctor.CheckRedirectURIs, doctor.OK, redirects},
		}, []string{"navidrome", "configuration"}},
		{"the wrong slug", Input{ServerURL: p.URL(), Slug: "music"}, []want{
			{"health", doctor.OK, "Authentik is ready"},
			{"discovery", doctor.Fail, "no OpenID provider at " + p.URL() + "/application/o/music/.well-known/openid-configuration"},
			{doctor.CheckRedirectURIs, doctor.OK, "http://127.0.0.1:38917/callback"},
		}, nil},
		{"a closed provider", Input{ServerURL: closedURL}, []want{
			{"health", doctor.Fail, closedURL + "/-/health/ready/"},
			{"discovery", doctor.Fail, "cannot reach the identity provider at " + closedURL + "/application/o/ssotray/.well-known/openid-configuration"},
		}, nil},
		{"with Navidrome", Input{ServerURL: p.URL(), NavidromeURL: nd.URL()}, []want{
			{"discovery", doctor.OK, "issuer"},
			{"navidrome", doctor.OK, "Navidrome answers at " + nd.URL()},
		}, nil},
		{"with a closed Navidrome", Input{ServerURL: p.URL(), NavidromeURL: closedNDURL}, []want{
			{"discovery", doctor.OK, "issuer"},
			{"navidrome", doctor.Fail, closedNDURL},
		}, nil},
		{"an invalid input", Input{ServerURL: "auth.example.com"}, []want{
			{"configuration", doctor.Fail, `authentik.server_url: "auth.example.com" is not an absolute URL`},
		}, []string{"health", "discovery", doctor.CheckRedirectURIs}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			fs := Test(ctx, tc.in, nil)
			for _, w := range tc.wants {
				f := find(t, fs, w.check)
				if f.Level != w.level || !strings.Contains(f.String(), w.text) {
					t.Errorf("%s: got %s\nwant %s with %q", w.check, f, w.level, w.text)
				}
			}
			for _, c := range tc.none {
				for _, f := range fs {
					if f.Check == c {
						t.Errorf("unexpected finding %s", f)
					}
				}
			}
		})
	}
}

func TestTestInvalidInputNamesTheField(t *testing.T) {
	fs := Test(context.Background(), Input{ServerURL: "https://auth.example.com", Slug: "revoke"}, nil)
	if len(fs) != 1 || fs[0].Level != doctor.Fail || fs[0].Fix != "correct the Application slug field" {
		t.Errorf("got\n%s", dump(fs))
	}
}

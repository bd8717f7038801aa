// Command devidp is a stand-in for Authentik and Navidrome on this machine,
// for the demo and for trying ssotray without servers: it runs the test
// OpenID provider (Authentik's URL layout, a real login form) and the
// Navidrome stand-in on loopback with seeded users, and prints, or writes, a
// configuration that points ssotray at them.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ssotray/ssotray/app/navidrome/navidrometest"
	"github.com/ssotray/ssotray/oidc"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

// The demo's people. Their passwords are printed on purpose: this provider
// exists only on loopback, for trying things out.
var users = []oidctest.User{
	{Username: "alice", Password: "alice", Name: "Alice Liddell", Email: "alice@example.com", Groups: []string{"admins", "users"}},
	{Username: "bob", Password: "bob", Name: "Bob Builder", Email: "bob@example.com", Groups: []string{"users"}},
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "loopback address of the Authentik stand-in")
	ndAddr := flag.String("navidrome-addr", "127.0.0.1:4533", "loopback address of the Navidrome stand-in")
	configOut := flag.String("write-config", "", "also write the ssotray configuration to this file")
	browser := flag.String("browser", "", "browser_command for the written configuration (space-separated argv)")
	flag.Parse()
	if err := run(*addr, *ndAddr, *configOut, strings.Fields(*browser)); err != nil {
		fmt.Fprintln(os.Stderr, "devidp:", err)
		os.Exit(1)
	}
}

// navidromeUsers sign in with "Sign in with Navidrome".
var navidromeUsers = []navidrometest.User{
	{Username: "alice", Password: "alice", Name: "Alice Liddell", IsAdmin: true},
	{Username: "bob", Password: "bob", Name: "Bob Builder"},
}

func run(addr, ndAddr, configOut string, browser []string) error {
	p, err := oidctest.Start(demoOptions(addr))
	if err != nil {
		return err
	}
	defer p.Close()
	nd, err := navidrometest.Start(navidrometest.Options{Addr: ndAddr, Users: navidromeUsers})
	if err != nil {
		return err
	}
	defer nd.Close()
	cfg := configFor(p.URL(), nd.URL(), browser)
	if configOut != "" {
		if err := os.WriteFile(configOut, []byte(cfg), 0o600); err != nil {
			return err
		}
	}
	fmt.Printf("devidp: an Authentik stand-in at %s (issuer %s)\n\nUsers (username / password / groups):\n", p.URL(), p.Issuer())
	for _, u := range users {
		fmt.Printf("  %-6s / %-6s / %s\n", u.Username, u.Password, strings.Join(u.Groups, ", "))
	}
	fmt.Printf("\ndevidp: a Navidrome stand-in at %s\n\nUsers (username / password / role):\n", nd.URL())
	for _, u := range navidromeUsers {
		role := "user"
		if u.IsAdmin {
			role = "admin"
		}
		fmt.Printf("  %-6s / %-6s / %s\n", u.Username, u.Password, role)
	}
	fmt.Printf("\nssotray configuration:\n\n%s\nPress Ctrl-C to stop.\n", cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

// demoOptions meet the real Authentik: Quirks nil (oidctest.RealAuthentik()),
// access tokens valid 5 minutes as the admin interface sets them for a new
// provider (as README's "Set up Authentik" makes it), and the default
// provider invalidation flow, which keeps the browser session.
func demoOptions(addr string) oidctest.Options {
	return oidctest.Options{
		Addr:                addr,
		AccessTokenLifetime: 5 * time.Minute,
		Users:               users,
		Clients:             []oidctest.Client{{ID: "ssotray", RedirectURIRegexes: []string{oidc.RedirectURIRegex}}},
		Quirks:              nil,
		InvalidationFlow:    oidctest.DefaultProviderInvalidation,
		// What "Your apps" imports from the API (import_apps). ssotray's own
		// application is listed too, as Authentik lists it: with no Launch
		// URL it reports one made from the regex redirect URI.
		Applications: []oidctest.Application{
			{Name: "Photos", Slug: "photos", LaunchURL: "https://photos.example.com", Icon: oidctest.IconPath("photos"), Description: "from Authentik", Groups: []string{"users"}},
			{Name: "Admin console", Slug: "admin", LaunchURL: "https://auth.example.com/if/admin/", Icon: oidctest.IconPath("admin"), Description: "from Authentik, admins only", Groups: []string{"admins"}},
			{Name: "ssotray", Slug: "ssotray", Provider: "ssotray"},
		},
	}
}

func configFor(serverURL, navidromeURL string, browser []string) string {
	cfg := fmt.Sprintf(`authentik:
  enabled: true
  server_url: %s
  app_slug: ssotray
  client_id: ssotray
  callback_ports: [0]
  scopes: [openid, profile, email, offline_access, goauthentik.io/api]
  import_apps: true
navidrome:
  enabled: true
  server_url: %s
apps:
  - name: Music
    url: %s
    description: Navidrome, for everyone
  - name: Provider health
    url: %s/-/health/live/
    description: admins only
    groups: [admins]
`, serverURL, navidromeURL, navidromeURL, serverURL)
	if len(browser) > 0 {
		cfg += fmt.Sprintf("browser_command: [%s]\n", strings.Join(browser, ", "))
	}
	return cfg
}

// Command devidp is a stand-in for Authentik on this machine, for the demo
// and for trying ssotray without a server: it runs the test OpenID provider
// (Authentik's URL layout, a real login form) on loopback with seeded users,
// and prints, or writes, a configuration that points ssotray at it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

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
	addr := flag.String("addr", "127.0.0.1:9000", "loopback address to listen on")
	configOut := flag.String("write-config", "", "also write the ssotray configuration to this file")
	browser := flag.String("browser", "", "browser_command for the written configuration (space-separated argv)")
	flag.Parse()
	if err := run(*addr, *configOut, strings.Fields(*browser)); err != nil {
		fmt.Fprintln(os.Stderr, "devidp:", err)
		os.Exit(1)
	}
}

func run(addr, configOut string, browser []string) error {
	p, err := oidctest.Start(oidctest.Options{
		Addr:    addr,
		Users:   users,
		Clients: []oidctest.Client{{ID: "ssotray", RedirectURIRegexes: []string{oidc.RedirectURIRegex}}},
	})
	if err != nil {
		return err
	}
	defer p.Close()
	cfg := configFor(p.URL(), browser)
	if configOut != "" {
		if err := os.WriteFile(configOut, []byte(cfg), 0o600); err != nil {
			return err
		}
	}
	fmt.Printf("devidp: an Authentik stand-in at %s (issuer %s)\n\nUsers (username / password / groups):\n", p.URL(), p.Issuer())
	for _, u := range users {
		fmt.Printf("  %-6s / %-6s / %s\n", u.Username, u.Password, strings.Join(u.Groups, ", "))
	}
	fmt.Printf("\nssotray configuration:\n\n%s\nPress Ctrl-C to stop.\n", cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

func configFor(serverURL string, browser []string) string {
	cfg := fmt.Sprintf(`authentik:
  enabled: true
  server_url: %s
  app_slug: ssotray
  client_id: ssotray
  callback_ports: [0]
apps:
  - name: Provider health
    url: %s/-/health/live/
    description: the demo identity provider
`, serverURL, serverURL)
	if len(browser) > 0 {
		cfg += fmt.Sprintf("browser_command: [%s]\n", strings.Join(browser, ", "))
	}
	return cfg
}

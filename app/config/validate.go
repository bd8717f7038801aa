package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// Validate checks the configuration as a whole and returns the first problem,
// naming the key and the fix.
func (c *Config) Validate() error {
	a := &c.Authentik
	if !a.Enabled && !c.Navidrome.Enabled {
		return fmt.Errorf("no sign-in method is enabled; set authentik.enabled or navidrome.enabled to true")
	}
	if a.Enabled {
		if err := c.validateAuthentik(); err != nil {
			return err
		}
	}
	if c.Navidrome.Enabled {
		if c.Navidrome.ServerURL == "" {
			return missing("navidrome.server_url", "https://music.example.com")
		}
		if err := c.checkURL("navidrome.server_url", c.Navidrome.ServerURL); err != nil {
			return err
		}
	}
	names := map[string]bool{}
	for i, app := range c.Apps {
		key := fmt.Sprintf("apps[%d]", i)
		if strings.TrimSpace(app.Name) == "" {
			return missing(key+".name", "Music")
		}
		if names[strings.ToLower(app.Name)] {
			return fmt.Errorf("%s.name: %q is used by two apps; give each app its own name", key, app.Name)
		}
		names[strings.ToLower(app.Name)] = true
		if app.URL == "" {
			return missing(key+".url", "https://music.example.com")
		}
		if err := c.checkURL(key+".url", app.URL); err != nil {
			return err
		}
	}
	if len(c.BrowserCommand) > 0 && strings.TrimSpace(c.BrowserCommand[0]) == "" {
		return fmt.Errorf("browser_command: the first item must be a program, like [firefox, --private-window]; or leave the list empty to use the system browser")
	}
	if c.Kiosk.IdleTimeout <= 0 {
		return fmt.Errorf("kiosk.idle_timeout: must be longer than zero, like 5m")
	}
	if c.Kiosk.SessionLimit < 0 {
		return fmt.Errorf("kiosk.session_limit: must not be negative; use 0 for no limit, or a duration like 2h")
	}
	return nil
}

func (c *Config) validateAuthentik() error {
	a := &c.Authentik
	if a.DiscoveryURL != "" {
		if err := c.checkURL("authentik.discovery_url", a.DiscoveryURL); err != nil {
			return err
		}
		if !strings.HasSuffix(strings.TrimSuffix(a.DiscoveryURL, "/"), "/.well-known/openid-configuration") {
			return fmt.Errorf("authentik.discovery_url: %q must end in /.well-known/openid-configuration", a.DiscoveryURL)
		}
	} else {
		if a.ServerURL == "" {
			return missing("authentik.server_url", "https://auth.example.com")
		}
		if err := c.checkURL("authentik.server_url", a.ServerURL); err != nil {
			return err
		}
		if a.AppSlug == "" {
			return missing("authentik.app_slug", "ssotray")
		}
		if slices.Contains(reservedSlugs, a.AppSlug) {
			return fmt.Errorf("authentik.app_slug: %q is reserved by Authentik (%s are its own endpoints); use the slug of your application, like ssotray", a.AppSlug, strings.Join(reservedSlugs, ", "))
		}
		if strings.ContainsAny(a.AppSlug, "/?#% ") {
			return fmt.Errorf("authentik.app_slug: %q is not a slug; copy the Slug field of the application in Authentik, like ssotray", a.AppSlug)
		}
	}
	if a.ClientID == "" {
		return missing("authentik.client_id", "the Client ID shown on the provider in Authentik")
	}
	if !slices.Contains(usernameFields, a.UsernameField) {
		return fmt.Errorf("authentik.username_field: %q is not supported; use one of %s", a.UsernameField, joinQuoted(usernameFields))
	}
	if !slices.Contains(a.Scopes, "openid") {
		return fmt.Errorf("authentik.scopes: must include \"openid\", like [openid, profile, email, offline_access]")
	}
	if a.ImportApps && !slices.Contains(a.Scopes, APIScope) {
		return fmt.Errorf("authentik.import_apps needs the scope %q in authentik.scopes (and its scope mapping on the provider in Authentik)", APIScope)
	}
	if len(a.CallbackPorts) == 0 {
		return fmt.Errorf("authentik.callback_ports: must list at least one port, like %v (or [0] for any free port)", defaultCallbackPorts())
	}
	for _, p := range a.CallbackPorts {
		if p < 0 || p > 65535 {
			return fmt.Errorf("authentik.callback_ports: %d is not a port; use numbers from 1 to 65535, like %v", p, defaultCallbackPorts())
		}
		if p == 0 && len(a.CallbackPorts) > 1 {
			return fmt.Errorf("authentik.callback_ports: 0 (any free port) must be the only entry; write [0] alone, or list fixed ports")
		}
	}
	return nil
}

func missing(key, example string) error {
	return fmt.Errorf("%s is required; set it, for example to %s", key, example)
}

// checkURL accepts absolute http(s) URLs; plain http only to this machine,
// because tokens and passwords would otherwise cross the network readable.
func (c *Config) checkURL(key, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("%s: %q is not an absolute URL; write it with its scheme, like https://%s", key, raw, strings.TrimPrefix(raw, "//"))
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !c.AllowInsecureHTTP && !IsLoopback(u.Hostname()) {
			return fmt.Errorf("%s: %q uses plain http to another machine, which would send sign-in secrets unencrypted; use https, or set allow_insecure_http: true if you accept that", key, raw)
		}
	default:
		return fmt.Errorf("%s: %q must start with https:// (or http:// for this machine)", key, raw)
	}
	return nil
}

// IsLoopback reports whether host names this machine.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

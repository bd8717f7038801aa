package main

import (
	"testing"

	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/oidc"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

func TestConfigIsValid(t *testing.T) {
	for _, browser := range [][]string{nil, {"firefox", "--private-window"}} {
		cfg, err := config.Parse([]byte(configFor("http://127.0.0.1:9000", "http://127.0.0.1:4533", browser)), "devidp")
		if err != nil {
			t.Fatal(err)
		}
		if !cfg.Authentik.Enabled || !cfg.Navidrome.Enabled || !cfg.Authentik.ImportApps || len(cfg.Apps) != 2 || len(cfg.BrowserCommand) != len(browser) {
			t.Errorf("config %+v", cfg)
		}
	}
}

// TestDemoMeetsRealAuthentik: the demo provider has every quirk, keeps the
// browser session at end-session, and lists ssotray's own application.
func TestDemoMeetsRealAuthentik(t *testing.T) {
	opts := demoOptions("127.0.0.1:0")
	if opts.Quirks != nil || opts.InvalidationFlow != oidctest.DefaultProviderInvalidation {
		t.Errorf("quirks %v, flow %v: want nil and the default provider invalidation flow", opts.Quirks, opts.InvalidationFlow)
	}
	if len(opts.Clients) != 1 || len(opts.Clients[0].RedirectURIRegexes) != 1 || opts.Clients[0].RedirectURIRegexes[0] != oidc.RedirectURIRegex {
		t.Errorf("clients = %+v, want ssotray with the regex redirect URI", opts.Clients)
	}
	var self *oidctest.Application
	for i, a := range opts.Applications {
		if a.Slug == "ssotray" {
			self = &opts.Applications[i]
		}
	}
	if self == nil || self.Name != "ssotray" || self.Provider != "ssotray" || self.LaunchURL != "" {
		t.Errorf("ssotray's own application = %+v", self)
	}
	p, err := oidctest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if strict, regexes := p.RedirectURIs("ssotray"); len(strict) != 0 || len(regexes) != 1 {
		t.Errorf("redirect URIs = %v %v", strict, regexes)
	}
}

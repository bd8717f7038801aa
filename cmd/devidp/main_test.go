package main

import (
	"testing"

	"github.com/ssotray/ssotray/app/config"
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

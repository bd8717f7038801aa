package app

import (
	"testing"

	"github.com/ssotray/ssotray/app/authentikapi"
	"github.com/ssotray/ssotray/app/config"
)

func TestIsSelf(t *testing.T) {
	fixed := config.Default().Authentik // app_slug ssotray, ports 38917-38919
	anyPort := fixed
	anyPort.CallbackPorts = []int{0}
	for _, tt := range []struct {
		name string
		app  authentikapi.Application
		cfg  config.Authentik
		want bool
	}{
		{"ssotray's slug", authentikapi.Application{Slug: "ssotray", LaunchURL: "https://example.com/"}, fixed, true},
		{"launch URL from the first strict redirect URI", authentikapi.Application{Slug: "desktop", LaunchURL: "http://127.0.0.1:38917"}, fixed, true},
		{"another callback port", authentikapi.Application{Slug: "desktop", LaunchURL: "http://127.0.0.1:38919"}, fixed, true},
		{"any port configured: a loopback app stays", authentikapi.Application{Slug: "grafana", LaunchURL: "http://127.0.0.1:3000"}, anyPort, false},
		{"localhost", authentikapi.Application{Slug: "desktop", LaunchURL: "http://localhost:38918"}, fixed, true},
		{"a loopback app on another port", authentikapi.Application{Slug: "grafana", LaunchURL: "http://127.0.0.1:3000"}, fixed, false},
		{"a real app", authentikapi.Application{Slug: "photos", LaunchURL: "https://photos.example.com"}, anyPort, false},
		{"a host that looks like a port", authentikapi.Application{Slug: "x", LaunchURL: "https://38917.example.com"}, fixed, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := isSelf(tt.app, tt.cfg); got != tt.want {
				t.Errorf("isSelf(%+v) = %v, want %v", tt.app, got, tt.want)
			}
		})
	}
}

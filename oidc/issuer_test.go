package oidc

import "testing"

// Issuer mode Global: the issuer is Authentik's server itself, also when
// it is served under a sub-path and found from discovery_url.
func TestGlobalIssuer(t *testing.T) {
	const doc = "/application/o/ssotray/.well-known/openid-configuration"
	tests := []struct {
		name   string
		issuer string
		cfg    Config
		want   bool
	}{
		{"server_url", "https://auth.example.com/", Config{ServerURL: "https://auth.example.com"}, true},
		{"server_url, the application's issuer", "https://auth.example.com/application/o/ssotray/", Config{ServerURL: "https://auth.example.com"}, false},
		{"discovery_url", "https://auth.example.com/", Config{DiscoveryURL: "https://auth.example.com" + doc}, true},
		{"discovery_url under a sub-path", "https://example.com/auth/", Config{DiscoveryURL: "https://example.com/auth" + doc}, true},
		{"discovery_url, another host", "https://other.example.com/", Config{DiscoveryURL: "https://auth.example.com" + doc}, false},
		{"discovery_url of another provider", "https://login.example.com/", Config{DiscoveryURL: "https://login.example.com/realms/x/.well-known/openid-configuration"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := globalIssuer(tt.issuer, tt.cfg); got != tt.want {
				t.Errorf("globalIssuer(%q) = %v, want %v", tt.issuer, got, tt.want)
			}
		})
	}
}

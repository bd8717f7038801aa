package oidc

import (
	"testing"
	"time"
)

// reusedLogin on the provider's clock: a login during the sign-in passes
// whatever this computer's clock says; one from before it is refused, even
// seconds before.
func TestReusedLogin(t *testing.T) {
	iat := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	local := iat.Add(-time.Hour) // this computer's clock, far off
	tests := []struct {
		name     string
		authTime time.Time
		issuedAt time.Time
		took     time.Duration
		want     bool
	}{
		{"a login during a 40 s sign-in", iat.Add(-30 * time.Second), iat, 40 * time.Second, false},
		{"a login at the start, whole seconds", iat.Add(-41 * time.Second), iat, 40 * time.Second, false},
		{"a login 5 s before a 40 s sign-in", iat.Add(-45 * time.Second), iat, 40 * time.Second, true},
		{"a login 5 s before a quick sign-in", iat.Add(-6 * time.Second), iat, time.Second, true},
		{"a login a day before", iat.Add(-24 * time.Hour), iat, 40 * time.Second, true},
		{"no auth_time", time.Time{}, iat, time.Second, true},
		{"a negative duration counts as none", iat.Add(-time.Second), iat, -time.Hour, false},
		{"no iat: this computer's clock, with skew", local.Add(-20 * time.Second), time.Time{}, time.Second, false},
		{"no iat, a login long before", local.Add(-time.Minute), time.Time{}, time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reusedLogin(tt.authTime, tt.issuedAt, local, tt.took); got != tt.want {
				t.Errorf("reusedLogin = %v, want %v", got, tt.want)
			}
		})
	}
}

package tokenstore

import (
	"os"
	"testing"

	"github.com/zalando/go-keyring"
)

// The short way reads what go-keyring wrote, and leaves to go-keyring what
// it cannot answer.
func TestQuickGet(t *testing.T) {
	if os.Getenv("SSOTRAY_TEST_DESKTOP") == "" {
		t.Skip("needs the private keyring of `make test` (SSOTRAY_TEST_DESKTOP=1)")
	}
	const service = "ssotray-test-quickget"
	t.Cleanup(func() { _ = keyring.Delete(service, "there") })
	if err := keyring.Set(service, "there", "a sécret\nof two lines"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user   string
		ok     bool
		secret string
	}{
		{"there", true, "a sécret\nof two lines"},
		{"missing", false, ""},
	}
	for _, tt := range tests {
		if got, ok := quickGet(service, tt.user); ok != tt.ok || got != tt.secret {
			t.Errorf("quickGet(%q) = %q, %v; want %q, %v", tt.user, got, ok, tt.secret, tt.ok)
		}
		got, err := System{}.Get(service, tt.user)
		if want, werr := keyring.Get(service, tt.user); got != want || (err == nil) != (werr == nil) {
			t.Errorf("System.Get(%q) = %q, %v; go-keyring says %q, %v", tt.user, got, err, want, werr)
		}
	}
}

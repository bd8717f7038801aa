package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssotray/ssotray/oidc/oidctest"
)

// TestKioskRefusesAConfigurationItsUserCanChange runs the binary as a kiosk
// would start: with a configuration another user may change (as root
// here, a file given to nobody stands for one the kiosk user could write)
// it stops with the reason and the fix, and with none at all it does not
// open the first-run setup but says where the file must be. Neither shows a
// window: the process ends on its own.
func TestKioskRefusesAConfigurationItsUserCanChange(t *testing.T) {
	needDesktop(t)
	oidctest.NeedMachine(t, os.Getuid() == 0, "root, to give a file to another user")
	w := newWorld(t, time.Minute)
	if err := os.Chown(w.config, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir() // a user's own config dir with a file in it, which a kiosk never reads
	if err := os.MkdirAll(filepath.Join(home, ".config", "ssotray"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".config", "ssotray", "config.yaml"), []byte("authentik:\n  server_url: https://auth.examp1e.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"a file the kiosk user can change", []string{"--kiosk", "--config", w.config}, []string{"kiosk mode refuses the configuration " + w.config, "chown root:root"}},
		{"no trusted file at all", []string{"--kiosk"}, []string{"kiosk mode reads its configuration only from", "the first-run setup is not offered in kiosk mode"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin.ssotray, tc.args...)
			cmd.Env = append(append([]string{}, w.env...), "XDG_RUNTIME_DIR="+t.TempDir(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
				"SSOTRAY_CONFIG="+filepath.Join(home, ".config", "ssotray", "config.yaml"))
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("still running after 60 s (a window or the setup is up?):\n%s", out)
			}
			if err == nil {
				t.Errorf("exit 0, want a failure:\n%s", out)
			}
			for _, s := range tc.want {
				if !strings.Contains(string(out), s) {
					t.Errorf("the message does not say %q:\n%s", s, out)
				}
			}
		})
	}
}

package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssotray/ssotray/app/fsperm"
)

// kioskFiles are the files of a shared machine: the admin's system file,
// and what a walk-up user wrote in their own config directory and
// elsewhere (a look-alike server and a browser command that runs a shell).
type kioskFiles struct {
	system, user, envFile, explicit string
}

const (
	adminConfig = "authentik:\n  server_url: https://auth.example.com\nbrowser_command: [chromium, --incognito]\n"
	evilConfig  = "authentik:\n  server_url: https://auth.examp1e.com\nbrowser_command: [sh, -c, 'xterm']\n"
)

func writeFile(t *testing.T, path, data string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestKioskConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name     string
		kiosk    bool   // --kiosk
		system   string // the system file's contents; "" for none
		sysOwned bool   // the kiosk user can change the system file
		user     string // the user's own config file; "" for none
		explicit string // "trusted" or "writable": a --config FILE; "" for none
		env      bool   // SSOTRAY_CONFIG and SSOTRAY_* overrides set by the user
		// want: the server of the loaded configuration, or an error
		// containing wantErr; wantKiosk whether it runs as a kiosk.
		want, wantErr string
		wantKiosk     bool
	}{
		{name: "--kiosk reads the system file, not the user's", kiosk: true, system: adminConfig, user: evilConfig, env: true,
			want: "https://auth.example.com", wantKiosk: true},
		{name: "--kiosk: a system file the user can change is refused", kiosk: true, system: adminConfig, sysOwned: true,
			wantErr: "chown root:root"},
		{name: "--kiosk without a system file: an error, no first-run setup", kiosk: true, user: evilConfig,
			wantErr: "the first-run setup is not offered in kiosk mode"},
		{name: "--kiosk --config trusted", kiosk: true, system: evilConfig, explicit: "trusted",
			want: "https://auth.example.com", wantKiosk: true},
		{name: "--kiosk --config writable", kiosk: true, system: adminConfig, explicit: "writable",
			wantErr: "kiosk mode refuses the configuration"},
		{name: "--kiosk: kiosk.enabled false in the file does not turn it off", kiosk: true, system: adminConfig + "kiosk:\n  enabled: false\n",
			want: "https://auth.example.com", wantKiosk: true},
		{name: "a kiosk by its system file: the user's file does not count", system: adminConfig + "kiosk:\n  enabled: true\n", user: evilConfig + "kiosk:\n  enabled: false\n", env: true,
			want: "https://auth.example.com", wantKiosk: true},
		{name: "a kiosk by a system file with a mistake in it fails closed", system: "kiosk:\n  enabled: true\nauthentik:\n  server_url: nonsense\n", user: evilConfig,
			wantErr: "authentik.server_url"},
		{name: "a system file that is not YAML is not passed over for the user's", system: "kiosk:\n  enabled: true\n\tbroken: [\n", user: evilConfig,
			wantErr: "is not valid YAML"},
		{name: "a kiosk by its system file: a --config the user can change is refused", system: adminConfig + "kiosk:\n  enabled: true\n", explicit: "writable",
			wantErr: "kiosk mode refuses the configuration"},
		{name: "a kiosk by its system file: a --config the user cannot change is read as the kiosk's", system: evilConfig + "kiosk:\n  enabled: true\n", explicit: "trusted", env: true,
			want: "https://auth.example.com", wantKiosk: true},
		{name: "no kiosk: a --config is read as before", system: evilConfig, explicit: "writable", env: true,
			want: "https://override.example.com"},
		{name: "kiosk.enabled in the user's own file is refused", system: adminConfig, user: adminConfig + "kiosk:\n  enabled: true\n",
			wantErr: "kiosk mode refuses the configuration"},
		{name: "no kiosk: the user's file and environment win as before", system: adminConfig, user: evilConfig, env: true,
			want: "https://override.example.com"},
		{name: "no kiosk, nothing found: the first-run setup", wantErr: "no configuration file found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			f := kioskFiles{
				system:   filepath.Join(dir, "etc", "config.yaml"),
				user:     filepath.Join(dir, "home", ".config", "ssotray", "config.yaml"),
				envFile:  writeFile(t, filepath.Join(dir, "home", "Downloads", "config.yaml"), evilConfig),
				explicit: filepath.Join(dir, "opt", "kiosk.yaml"),
			}
			writable := map[string]bool{f.user: true, f.envFile: true}
			if tc.system != "" {
				writeFile(t, f.system, tc.system)
				writable[f.system] = tc.sysOwned
			}
			if tc.user != "" {
				writeFile(t, f.user, tc.user)
			}
			explicit := ""
			if tc.explicit != "" {
				explicit = writeFile(t, f.explicit, adminConfig)
				writable[explicit] = tc.explicit == "writable"
			}
			env := map[string]string{}
			if tc.env {
				env["SSOTRAY_CONFIG"] = f.envFile
				env["SSOTRAY_AUTHENTIK_SERVER_URL"] = "https://override.example.com"
			}
			l := Locator{
				Getenv:        func(k string) string { return env[k] },
				UserConfigDir: func() (string, error) { return filepath.Join(dir, "home", ".config"), nil },
				SystemDir:     filepath.Join(dir, "etc"),
				Trust: func(p string) error {
					if writable[p] {
						return &fsperm.ChangeableError{Path: p, Entry: p, Why: "it belongs to you (uid 1000)"}
					}
					return nil
				},
			}
			cfg, err := l.Open(explicit, tc.kiosk)
			if tc.wantErr != "" {
				var nf *NotFoundError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Open = %v, want an error containing %q", err, tc.wantErr)
				}
				if tc.kiosk && errors.As(err, &nf) {
					t.Errorf("a NotFoundError in kiosk mode would open the first-run setup: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Authentik.ServerURL != tc.want || cfg.Kiosk.Enabled != tc.wantKiosk {
				t.Errorf("server %s kiosk %v (from %s), want %s kiosk %v", cfg.Authentik.ServerURL, cfg.Kiosk.Enabled, cfg.Path, tc.want, tc.wantKiosk)
			}
			if tc.wantKiosk && len(cfg.BrowserCommand) > 0 && cfg.BrowserCommand[0] == "sh" {
				t.Errorf("the kiosk runs the user's browser command %v", cfg.BrowserCommand)
			}
		})
	}
}

// TestKioskConfigurationOnRealFiles: the default trust check on real files,
// for a kiosk user injected as uid 4242 (the tests run as root, who could
// change anything): a file of nobody's (65534) is taken, the user's own
// refused with the command that fixes it.
func TestKioskConfigurationOnRealFiles(t *testing.T) {
	if !fsperm.Supported || os.Getuid() != 0 {
		t.Skip("needs root to give files to other users")
	}
	const kioskUser = 4242
	dir := t.TempDir()
	system := writeFile(t, filepath.Join(dir, "etc", "config.yaml"), adminConfig)
	if err := os.Chown(system, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	facts := fsperm.Current()
	// access(2) answers for this process (root), not the injected user.
	facts.UID, facts.Groups, facts.Writable = kioskUser, []int{kioskUser}, nil
	l := Locator{Getenv: func(string) string { return "" }, UserConfigDir: func() (string, error) { return dir, nil },
		SystemDir: filepath.Join(dir, "etc"), Trust: facts.UserCanChange}
	if cfg, err := l.Open("", true); err != nil || cfg.Authentik.ServerURL != "https://auth.example.com" {
		t.Fatalf("a file the kiosk user cannot change: %v", err)
	}
	if err := os.Chown(system, kioskUser, kioskUser); err != nil {
		t.Fatal(err)
	}
	_, err := l.Open("", true)
	var ue *UntrustedError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "chown root:root "+system+" && chmod 644 "+system) {
		t.Errorf("the kiosk user's own file: %v", err)
	}
}

// Windows has no directory for everyone's configuration that only an
// administrator can create (C:\etc\ssotray is anyone's to make): no system
// file is read there, so one user cannot configure another's ssotray or
// turn it into a kiosk.
func TestNoSystemConfigurationOnWindows(t *testing.T) {
	if got, want := DefaultLocator().SystemDir, map[bool]string{true: "/etc/ssotray"}[fsperm.Supported]; got != want {
		t.Errorf("the system directory here: %q, want %q", got, want)
	}
	dir := t.TempDir()
	l := Locator{
		Getenv:        func(string) string { return "" },
		UserConfigDir: func() (string, error) { return filepath.Join(dir, "AppData"), nil },
		Trust:         func(string) error { return nil }, // no owners to check, as on Windows
	}
	var nf *NotFoundError
	if _, err := l.Open("", false); !errors.As(err, &nf) || len(nf.Tried) != 1 {
		t.Errorf("no user file: %v, want a NotFoundError naming the user's file alone", err)
	}
	if _, err := l.Open("", true); err == nil || !strings.Contains(err.Error(), "only from a file given with --config FILE") {
		t.Errorf("--kiosk without --config: %v", err)
	}
}

package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/ssotray/ssotray/app/fsperm"
)

// On a shared machine the next person is the attacker, and a walk-up user
// can write to their own home directory (a browser's download folder is
// enough) and set their own environment. So a kiosk takes its
// configuration only from a file that user cannot change: the system file
// (/etc/ssotray/config.yaml), or a --config FILE as trusted; never the
// user's config directory, never SSOTRAY_CONFIG, and no SSOTRAY_*
// overrides. Kiosk mode is on with --kiosk, or with kiosk.enabled: true in
// a trusted file; nothing the user can write turns it off.

// Open finds and loads the configuration for the window and decides
// whether this is a kiosk: --kiosk (kiosk), or kiosk.enabled: true in the
// system file (which then wins over the user's files, and a --config FILE
// must be trusted as with --kiosk), or in the file found the usual way
// (Find), which must then be trusted. The returned
// configuration's Kiosk.Enabled says which. In kiosk mode a missing file is
// an error of its own, not a *NotFoundError: there is no first-run setup.
func (l Locator) Open(explicit string, kiosk bool) (*Config, error) {
	system := ""
	if l.SystemDir != "" {
		system = filepath.Join(l.SystemDir, "config.yaml")
	}
	if !kiosk && system != "" {
		// A kiosk by its system file stays one whatever file is given: no
		// user's --config turns its rules off.
		on, err := kioskEnabledIn(system)
		if err != nil {
			return nil, err
		}
		kiosk = on
	}
	if kiosk {
		path, source := explicit, "--config"
		if path == "" {
			path, source = system, "the system configuration"
		}
		if path == "" {
			return nil, errors.New("kiosk mode reads its configuration only from a file given with --config FILE, one the kiosk's user cannot change; there is no system configuration directory here")
		}
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("kiosk mode reads its configuration only from %s (%s), and it cannot be read (%v); write it as root (see the README, Kiosk mode) — the first-run setup is not offered in kiosk mode", path, source, errors.Unwrap(err))
		}
		return l.loadKiosk(path)
	}
	path, err := l.Find(explicit)
	if err != nil {
		return nil, err
	}
	cfg, err := Load(path, l.Getenv)
	if err != nil || !cfg.Kiosk.Enabled {
		return cfg, err
	}
	return l.loadKiosk(path)
}

// loadKiosk loads path for a kiosk: only if its user cannot change it, and
// without the environment's overrides.
func (l Locator) loadKiosk(path string) (*Config, error) {
	trust := l.Trust
	if trust == nil {
		trust = fsperm.Current().UserCanChange
	}
	if err := trust(path); err != nil {
		return nil, &UntrustedError{Path: path, Err: err}
	}
	cfg, err := Load(path, func(string) string { return "" })
	if err != nil {
		return nil, fmt.Errorf("%w (kiosk mode ignores the SSOTRAY_* environment variables: set everything in the file)", err)
	}
	cfg.Kiosk.Enabled = true
	return cfg, nil
}

// kioskEnabledIn reads only kiosk.enabled from path: a system file that
// turns kiosk mode on must win even when something else in it is wrong
// (loadKiosk then reports that), or a typo would hand the kiosk to the
// user's own file. For the same reason a system file that is not YAML at
// all is an error, not a file to pass over: it may be a kiosk's.
func kioskEnabledIn(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot read the system configuration %s (%w); fix its permissions (it may be a kiosk's, so ssotray does not pass over it)", path, err)
	}
	var peek struct {
		Kiosk struct {
			Enabled bool `yaml:"enabled"`
		} `yaml:"kiosk"`
	}
	if err := yaml.Unmarshal(data, &peek); err != nil {
		return false, fmt.Errorf("the system configuration %s is not valid YAML (%v); fix it (it may be a kiosk's, so ssotray does not pass over it to your own file)", path, err)
	}
	return peek.Kiosk.Enabled, nil
}

// UntrustedError means a kiosk configuration file can be changed by the
// user ssotray runs as.
type UntrustedError struct {
	Path string
	Err  error // usually a *fsperm.ChangeableError
}

func (e *UntrustedError) Error() string {
	fix := fmt.Sprintf("as root: chown root:root %[1]s && chmod 644 %[1]s", e.Path)
	var ce *fsperm.ChangeableError
	if errors.As(e.Err, &ce) && ce.Path != e.Path {
		fix = fmt.Sprintf("as root, move it to /etc/ssotray/config.yaml (install -o root -g root -m 644 %s /etc/ssotray/config.yaml), or make %s root's and not writable by others (chown root:root %[2]s && chmod go-w %[2]s)", e.Path, ce.Path)
	}
	return fmt.Sprintf("kiosk mode refuses the configuration %s: the kiosk's user could change it (%v), and so steer the kiosk (its browser command, its servers); %s", e.Path, e.Err, fix)
}

func (e *UntrustedError) Unwrap() error { return e.Err }

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/cli"
	"github.com/ssotray/ssotray/app/navidrome/navidrometest"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/zalando/go-keyring"
)

const ndPassword = "Sup3r-secret-navidrome-pw"

func TestNavidromeThroughTheBinary(t *testing.T) {
	needDesktop(t)
	srv, err := navidrometest.Start(navidrometest.Options{BasePath: "/music", Users: []navidrometest.User{{Username: "carol", Password: ndPassword, Name: "Carol Admin", IsAdmin: true}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg := fmt.Sprintf("authentik:\n  enabled: false\nnavidrome:\n  enabled: true\n  server_url: %s/\n", srv.URL())
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = tokenstore.NewKeyring().Delete()
	t.Cleanup(func() { _ = tokenstore.NewKeyring().Delete() })

	w := &world{t: t, config: cfgPath, env: append(os.Environ(), "LANG=en_US.UTF-8")}
	var outputs strings.Builder
	run := func(stdin string, args ...string) result {
		t.Helper()
		r := w.runWithInput(stdin, nil, args...)
		outputs.WriteString(r.stdout + r.stderr)
		return r
	}

	// No --method: Navidrome is the only enabled method.
	r := run(ndPassword+"\n", "login", "--username", "carol", "--password-stdin")
	if r.code != 0 || r.stdout != "Signed in as Carol Admin (carol)\n" {
		t.Fatalf("login: %+v", r)
	}
	r = run("", "status", "--json")
	var st map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st["method"] != "navidrome" || st["username"] != "carol" || fmt.Sprint(st["groups"]) != "[navidrome-admins]" || st["expires_at"] == nil {
		t.Errorf("status --json: %s", r.stdout)
	}
	if r = run("", "status"); !strings.Contains(r.stdout, "Signed in with Navidrome as Carol Admin (carol)") || !strings.Contains(r.stdout, "Role:") || !strings.Contains(r.stdout, "admin") {
		t.Errorf("status: %q", r.stdout)
	}
	s, err := tokenstore.NewKeyring().Load()
	if err != nil {
		t.Fatal(err)
	}
	if r = run("", "token"); r.code != 0 || r.stdout != s.AccessToken+"\n" || !strings.HasPrefix(r.stdout, "ey") {
		t.Errorf("token: %+v", r)
	}
	// The password is in no keyring entry (raw, as stored) and no output.
	raw, _ := keyring.Get("ssotray", "session")
	for i := 1; i < 10; i++ {
		part, err := keyring.Get("ssotray", fmt.Sprintf("session.part%d", i))
		if err != nil {
			break
		}
		raw += part
	}
	if raw == "" || strings.Contains(raw, ndPassword) {
		t.Errorf("keyring entry %d bytes, holds the password: %v", len(raw), strings.Contains(raw, ndPassword))
	}

	// Wrong password, and a stopped server, each say so clearly.
	if r = run("wrong\n", "login", "--username", "carol", "--password-stdin"); r.code != 1 || !strings.Contains(strings.ToLower(r.stderr), "wrong username or password") {
		t.Errorf("wrong password: %+v", r)
	}
	r = run("", "logout")
	if r.code != 0 || r.stdout != (app.SignOutReport{Method: app.Navidrome}).String()+"\n" {
		t.Errorf("logout: %+v", r)
	}
	if _, err := tokenstore.NewKeyring().Load(); !errors.Is(err, tokenstore.ErrNotFound) {
		t.Errorf("keyring after logout: %v", err)
	}
	_ = srv.Close()
	if r = run(ndPassword+"\n", "login", "--method", "navidrome", "--username", "carol", "--password-stdin"); r.code != cli.ExitUnreachable || !strings.Contains(r.stderr, srv.URL()) {
		t.Errorf("server stopped: %+v, want exit %d", r, cli.ExitUnreachable)
	}
	if strings.Contains(outputs.String(), ndPassword) {
		t.Error("the password appears in ssotray's output")
	}
	// No file of this session (config, keyring files, runtime dir) holds it either.
	for _, root := range []string{dir, os.Getenv("XDG_DATA_HOME"), os.Getenv("XDG_CONFIG_HOME"), os.Getenv("XDG_RUNTIME_DIR")} {
		if root == "" {
			continue
		}
		_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
			if err == nil && info.Mode().IsRegular() {
				if b, _ := os.ReadFile(p); strings.Contains(string(b), ndPassword) {
					t.Errorf("%s holds the password", p)
				}
			}
			return nil
		})
	}
}

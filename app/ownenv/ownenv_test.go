package ownenv

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestTakeAndPassOn(t *testing.T) {
	t.Setenv("SSOTRAY_AUTHENTIK_CLIENT_SECRET", "s3cret")
	t.Setenv("ssotray_debug", "1")
	t.Setenv("HOME_OF_TEST", "kept")
	own := Take()
	for _, kv := range os.Environ() {
		if strings.HasPrefix(strings.ToUpper(kv), Prefix) {
			t.Errorf("%s is still in the environment programs inherit", kv)
		}
	}
	if own.Getenv("SSOTRAY_AUTHENTIK_CLIENT_SECRET") != "s3cret" || own.Getenv("ssotray_debug") != "1" || own.Getenv("HOME_OF_TEST") != "kept" {
		t.Errorf("Getenv does not see what was taken: %v", own)
	}
	own["SSOTRAY_BROKEN"] = "a\nb" // cannot be one line: left out
	var pipe bytes.Buffer
	if _, err := own.WriteTo(&pipe); err != nil {
		t.Fatal(err)
	}
	got, err := Read(&pipe)
	if err != nil {
		t.Fatal(err)
	}
	if _, broken := got["SSOTRAY_BROKEN"]; got["SSOTRAY_AUTHENTIK_CLIENT_SECRET"] != "s3cret" || got["ssotray_debug"] != "1" || broken {
		t.Errorf("read %v", got)
	}
	if _, err := Read(strings.NewReader("PATH=/evil\n")); err == nil {
		t.Error("a variable that is not ssotray's was taken from the pipe")
	}
	env := strings.Join(got.Environ(), "\n")
	if !strings.Contains(env, "SSOTRAY_AUTHENTIK_CLIENT_SECRET=s3cret") {
		t.Error("Environ does not put the variables back for exec")
	}
}

// TestPipeOverEnvironment: the window's process takes its environment
// (where the tray marks the LANGUAGE it set) and then the pipe (the
// secret); it keeps both.
func TestPipeOverEnvironment(t *testing.T) {
	t.Setenv(WindowLanguage, "1")
	env := Take()
	piped, err := Read(strings.NewReader("SSOTRAY_AUTHENTIK_CLIENT_SECRET=s3cret\n"))
	if err != nil {
		t.Fatal(err)
	}
	own := piped.Over(env)
	if own.Getenv(WindowLanguage) != "1" || own.Getenv("SSOTRAY_AUTHENTIK_CLIENT_SECRET") != "s3cret" {
		t.Errorf("the window's own settings %v lost the mark or the secret", own)
	}
}

func TestLookup(t *testing.T) {
	env := []string{"HOME=/home/kiosk", "LANG=C.UTF-8", "EMPTY=", "HOME=/run/user/1000/p/home", "NOEQUALS"}
	for _, tt := range []struct{ key, want string }{
		{"HOME", "/run/user/1000/p/home"}, // the last, as a started program sees it
		{"LANG", "C.UTF-8"},
		{"EMPTY", ""},
		{"NOEQUALS", ""},
		{"MISSING", ""},
		{"HOM", ""},
	} {
		if got := Lookup(env, tt.key); got != tt.want {
			t.Errorf("Lookup(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

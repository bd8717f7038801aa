package assets

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// FyneApp.toml is what fyne package and cmd/winres read; AppID is what the
// binaries use. A change to one alone would file the window's preferences
// under another ID than the package's.
func TestAppIDIsFyneAppTOMLs(t *testing.T) {
	var meta struct{ Details struct{ ID string } }
	if _, err := toml.DecodeFile("../FyneApp.toml", &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Details.ID != AppID {
		t.Errorf("FyneApp.toml's ID is %q, AppID %q", meta.Details.ID, AppID)
	}
}

// fyne package installs the icon as AppID.png, so the autostart entry
// (copied as it is) names it so.
func TestAutostartIconIsAppID(t *testing.T) {
	f, err := os.Open("package/autostart.desktop")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var icon string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if v, ok := strings.CutPrefix(sc.Text(), "Icon="); ok {
			icon = v
		}
	}
	if icon != AppID {
		t.Errorf("autostart.desktop's Icon is %q, want AppID %q", icon, AppID)
	}
}

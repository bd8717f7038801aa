package tray

import "testing"

// TestQuietLocale: under C.UTF-8 the window's process gets LANGUAGE (and
// the mark to remove it), and only then.
func TestQuietLocale(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want bool
	}{
		{[]string{"LANG=C.UTF-8"}, true},
		{[]string{"LANG=en_US.UTF-8", "LC_ALL=C.UTF-8"}, true},
		{[]string{"LANG=C.UTF-8", "LANGUAGE=de"}, false},
		{[]string{"LANG=de_DE.UTF-8"}, false},
		{[]string{"LANG=C"}, false}, // Fyne takes plain C as English
		{nil, false},
	} {
		got := quietLocale(tc.env)
		if set := len(got) > len(tc.env); set != tc.want || set && got[len(got)-2] != "LANGUAGE=en" {
			t.Errorf("quietLocale(%q) = %q", tc.env, got)
		}
	}
}

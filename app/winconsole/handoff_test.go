package winconsole

import "testing"

// Only ssotray.com started without a verb hands over to ssotray.exe.
func TestGUIProgram(t *testing.T) {
	tests := []struct {
		exe     string
		verb    bool
		wantGUI string
	}{
		{`C:\Users\a\AppData\Local\Programs\ssotray\ssotray.com`, false, `C:\Users\a\AppData\Local\Programs\ssotray\ssotray.exe`},
		{`C:\tools\SSOTRAY.COM`, false, `C:\tools\SSOTRAY.exe`},
		{`C:\tools\ssotray.com`, true, ""},
		{`C:\tools\ssotray.exe`, false, ""},
		{"/usr/bin/ssotray", false, ""},
	}
	for _, tt := range tests {
		gui, ok := guiProgram(tt.exe, tt.verb)
		if gui != tt.wantGUI || ok != (tt.wantGUI != "") {
			t.Errorf("guiProgram(%q, verb %v) = %q, %v; want %q", tt.exe, tt.verb, gui, ok, tt.wantGUI)
		}
	}
}

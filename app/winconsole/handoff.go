package winconsole

import (
	"path/filepath"
	"strings"
)

// guiProgram is the program that should run a start without a verb, when
// exe (this program) is ssotray.com, the console build for terminals: the
// tray and the window belong to ssotray.exe beside it, which no terminal
// holds (a tray that ssotray.com ran would end with the terminal window).
// ok is false when this program should go on itself.
func guiProgram(exe string, verb bool) (gui string, ok bool) {
	ext := filepath.Ext(exe)
	if verb || !strings.EqualFold(ext, ".com") {
		return "", false
	}
	return strings.TrimSuffix(exe, ext) + ".exe", true
}

package launch

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// KioskBrowserError is why a browser_command cannot serve a kiosk: the
// browser would be one ssotray can neither follow nor close, so the last
// person's cookies and windows would stay for the next one.
type KioskBrowserError struct {
	Problem, Fix string
}

func (e *KioskBrowserError) Error() string { return e.Problem + ": " + e.Fix }

// ErrKioskNeedsBrowserCommand: browser_command is not set, and the
// desktop's opener (xdg-open) hands the URL to whatever browser runs.
var ErrKioskNeedsBrowserCommand = &KioskBrowserError{
	Problem: "kiosk mode needs a browser that ssotray starts and closes itself, and browser_command is not set",
	Fix:     kioskBrowserFix,
}

const kioskBrowserFix = "set browser_command to a private-window browser that runs in the foreground as ssotray's child, e.g. " +
	"[chromium, --incognito, --new-window, \"--user-data-dir={profile}\"] ({profile} is a new profile directory for each start, removed at sign-out; a profile of its own also keeps it from handing the address to a Chromium already running and exiting) " +
	"or [firefox, --no-remote, --profile, \"{profile}\", --private-window]"

// opener says whether a program of this name hands a URL to the desktop's
// browser and exits at once.
func opener(name string) bool {
	switch name {
	case "xdg-open", "gio", "gvfs-open", "kde-open", "kde-open5", "kde-open6", "kioclient", "kioclient5",
		"exo-open", "open", "explorer", "rundll32":
		return true
	}
	return false
}

// KioskBrowser says whether command can serve a kiosk: only a configured
// browser_command that is the browser itself is started, followed and
// closed by ssotray.
func KioskBrowser(command []string) error {
	if len(command) == 0 {
		return ErrKioskNeedsBrowserCommand
	}
	name := strings.ToLower(filepath.Base(strings.ReplaceAll(command[0], `\`, "/")))
	name = strings.TrimSuffix(strings.TrimSuffix(name, ".exe"), ".cmd")
	if opener(name) {
		return &KioskBrowserError{
			Problem: fmt.Sprintf("browser_command starts %s, which hands the address to the desktop's browser and exits: ssotray could neither follow nor close that browser", command[0]),
			Fix:     kioskBrowserFix,
		}
	}
	return nil
}

// KioskProfileProblem and KioskProfileFix are doctor's warning for a kiosk
// browser_command without ProfilePlaceholder: it may work (a wrapper script
// can make its own profile), but a browser on its usual profile hands the
// address to one of its own already running and exits, out of ssotray's
// reach, and keeps on disk what one person leaves for the next.
const (
	KioskProfileProblem = "browser_command has no " + ProfilePlaceholder + ": a browser on its usual profile hands the address to one already running (which ssotray did not start and cannot close) and keeps that profile on disk from one person to the next"
	KioskProfileFix     = "give it a new profile at each start: \"--user-data-dir=" + ProfilePlaceholder + "\" for Chromium, --no-remote, --profile, \"" + ProfilePlaceholder + "\" for Firefox (in quotes, for YAML)"
)

// UsesProfile says whether command has ProfilePlaceholder in an argument.
func UsesProfile(command []string) bool {
	return slices.ContainsFunc(command, func(a string) bool { return strings.Contains(a, ProfilePlaceholder) })
}

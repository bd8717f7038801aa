package launch

import "errors"

// ErrKioskNeedsBrowserCommand is why a kiosk does not start without
// browser_command: the desktop's opener (xdg-open) hands the URL to
// whatever browser runs, which ssotray can neither follow nor close, so the
// last person's cookies and windows would stay for the next one.
var ErrKioskNeedsBrowserCommand = errors.New(KioskBrowserProblem + ": " + KioskBrowserFix)

// KioskBrowserProblem and KioskBrowserFix are the two halves of
// ErrKioskNeedsBrowserCommand, for doctor's finding.
const (
	KioskBrowserProblem = "kiosk mode needs a browser that ssotray starts and closes itself, and browser_command is not set"
	KioskBrowserFix     = "set browser_command to a private-window browser that runs in the foreground as ssotray's child, e.g. " +
		"[chromium, --incognito, --new-window, --user-data-dir={profile}] ({profile} is a new profile directory for each start, removed at sign-out; a profile of its own also keeps it from handing the address to a Chromium already running and exiting) " +
		"or [firefox, --no-remote, --profile, {profile}, --private-window]"
)

// KioskBrowser says whether command can serve a kiosk: only a configured
// browser_command is started, followed and closed by ssotray.
func KioskBrowser(command []string) error {
	if len(command) == 0 {
		return ErrKioskNeedsBrowserCommand
	}
	return nil
}

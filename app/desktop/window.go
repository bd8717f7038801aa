package desktop

// Autostarted at login (--background), ssotray waits in the tray; a kiosk
// has no tray and always shows its window. The window shows anyway once it
// is known that no tray host would show the icon, since nothing could
// bring it back otherwise.

// inBackground says whether the main window starts hidden, in the tray.
func inBackground(o Options, kiosk bool) bool { return o.Background && !kiosk }

// showWhenHostKnown says whether the main window must show once the first
// answer about the tray host (up) is in.
func showWhenHostKnown(background, up bool) bool { return background && !up }

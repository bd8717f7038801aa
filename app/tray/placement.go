package tray

// Autostarted at login (--background), ssotray waits in the tray. The
// window shows anyway once it is known that no tray host would show the
// icon, since nothing could bring it back otherwise. (A kiosk never gets
// here: it is the window's process alone, with no tray.)

// showWhenHostKnown says whether the window must show once the first
// answer about the tray host (up) is in.
func showWhenHostKnown(background, up bool) bool { return background && !up }

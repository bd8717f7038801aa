// Package assets holds the files ssotray embeds in its binary, so the
// single executable needs nothing beside it.
package assets

import _ "embed"

// AppID is FyneApp.toml's ID (a test holds them equal; Go cannot embed a
// file above its package): Fyne keeps the window's preferences under it,
// and the Linux package names the icon and the autostart entry after it.
const AppID = "io.github.ssotray"

// Icon is the application icon (PNG, 256x256).
//
//go:embed icon.png
var Icon []byte

// Icon64 is the application icon at 64x64 (PNG, scaled down from Icon), the
// window's icon: Fyne decodes it and hands it to the window system before
// the window's first frame, and a desktop shows it at 64 px at most.
//
//go:embed icon-64.png
var Icon64 []byte

// Icon192 is the application icon at 192x192 (PNG, scaled down from Icon),
// for pictures in the window: 96 units on the sign-in screen are 96 to 192
// pixels, and a larger picture would only be scaled down before the first
// frame.
//
//go:embed icon-192.png
var Icon192 []byte

// IconSVG is the application icon as drawn.
//
//go:embed icon.svg
var IconSVG []byte

// TraySignedIn is the tray icon while someone is signed in (green).
//
//go:embed tray-signed-in.png
var TraySignedIn []byte

// TraySignedOut is the tray icon while nobody is signed in (grey).
//
//go:embed tray-signed-out.png
var TraySignedOut []byte

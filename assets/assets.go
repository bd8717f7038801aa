// Package assets holds the files ssotray embeds in its binary, so the
// single executable needs nothing beside it.
package assets

import _ "embed"

// Icon is the application icon (PNG, 256x256).
//
//go:embed icon.png
var Icon []byte

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

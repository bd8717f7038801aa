package app

import "time"

// ActionTimeout bounds sign-out and opening an app in every view (the
// window, the tray), so that both give up on a hung server alike; sign-in
// has its own bounds.
const ActionTimeout = 60 * time.Second

// SignInLabel is the action that signs in with m, named once so that the
// window's button and the tray's item read the same.
func (m Method) SignInLabel() string { return "Sign in with " + m.Title() }

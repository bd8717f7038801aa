package app

import (
	"context"
	"fmt"

	"github.com/ssotray/ssotray/app/launch"
)

// Apps returns the launcher entries the signed-in person may see; none when
// nobody is signed in. Status().Apps holds the same list.
func (c *Core) Apps() []launch.App { return c.Status().Apps }

// appsLocked works out Status.Apps for the current status; c.mu is held.
func (c *Core) appsLocked() []launch.App {
	st := c.status
	if st.State != SignedIn && st.State != Refreshing {
		return nil
	}
	var all []launch.App
	for _, a := range c.deps.Config.Apps {
		all = append(all, launch.App{Name: a.Name, URL: a.URL, Description: a.Description, Groups: a.Groups})
	}
	visible := launch.Visible(all, st.Profile.Groups)
	// Authentik's own list comes after the configured apps; it is already
	// filtered for this person, and a configured app of the same name wins.
	if x := c.extras; x != nil && c.session != nil && c.session.Subject == x.subject {
		for _, a := range x.apps {
			if _, dup := launch.Find(visible, a.Name); !dup {
				visible = append(visible, a)
			}
		}
	}
	return visible
}

// OpenApp opens a visible app in the browser. A hidden app is refused as if
// it did not exist, so the command line cannot reach what the window hides.
func (c *Core) OpenApp(ctx context.Context, name string) error {
	c.NoteInput()
	if c.deps.Kiosk {
		// A browser started while a sign-out closes the others would be
		// left open for the next person: the sign-out waits for it to be
		// started (the kiosk's browser returns at once), or it finds
		// nobody signed in.
		c.signOutMu.Lock()
		defer c.signOutMu.Unlock()
	}
	a, ok := launch.Find(c.Apps(), name)
	if !ok {
		if c.Status().State == SignedOut {
			return ErrNotSignedIn
		}
		return fmt.Errorf("no app named %q is available to you; `ssotray apps` lists yours", name)
	}
	if err := launch.CheckURL(a.URL); err != nil {
		return err
	}
	if err := c.deps.Browser(ctx, a.URL); err != nil {
		return fmt.Errorf("opening %s: %w", a.Name, err)
	}
	return nil
}

// NavidromeServer is the Navidrome address people sign in to ("" when disabled).
func (c *Core) NavidromeServer() string {
	if !c.deps.Config.Navidrome.Enabled {
		return ""
	}
	return c.deps.Config.Navidrome.ServerURL
}

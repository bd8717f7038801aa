package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ssotray/ssotray/app/authentikapi"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/picture"
)

// extras are what Authentik's API adds to a session: the avatar, the
// inherited groups and (with import_apps) the applications the person may
// open. They are fetched after sign-in, kept in memory only, and belong to
// one person (subject) across refreshes.
type extras struct {
	subject string
	avatar  []byte
	groups  []string
	apps    []launch.App
}

// Size limits for pictures fetched from the API, and the time for all of it.
const (
	maxAvatar     = 1 << 20
	maxIcon       = 256 << 10
	extrasTimeout = 30 * time.Second
)

func (c *Core) wantsAPI() bool {
	a := c.deps.Config.Authentik
	return a.Enabled && slices.Contains(a.Scopes, config.APIScope)
}

// LoadExtras fetches the extras for the signed-in Authentik user, once per
// person. Without the goauthentik.io/api scope it does nothing. A failure
// is reported (and shown as a notice); the session is not touched.
func (c *Core) LoadExtras(ctx context.Context) error {
	s, _ := c.current()
	if s == nil || Method(s.Method) != Authentik || !c.wantsAPI() {
		return nil
	}
	c.mu.Lock()
	loaded := c.extras != nil && c.extras.subject == s.Subject
	c.mu.Unlock()
	if loaded {
		return nil
	}
	token, err := c.AccessToken(ctx)
	if err != nil {
		return err
	}
	// Bounded as a whole: the renewal timer waits behind this in KeepFresh.
	ctx, cancel := context.WithTimeout(ctx, extrasTimeout)
	defer cancel()
	a := c.deps.Config.Authentik
	api := authentikapi.New(a.ServerURL, c.deps.HTTPClient)
	me, err := api.Me(ctx, token)
	if errors.Is(err, authentikapi.ErrNoAPIScope) || errors.Is(err, authentikapi.ErrUnauthorized) {
		// Authentik deletes the access tokens of a browser session that
		// ends (a logout in the browser, its expiry) and answers for a
		// deleted token as for one without the scope: renew, ask again.
		if token, err = c.renewRefused(ctx, token); err == nil {
			me, err = api.Me(ctx, token)
		}
	}
	if err != nil {
		c.update(func(st *Status) { st.Notice = "could not load your Authentik profile: " + err.Error() })
		return err
	}
	x := &extras{subject: s.Subject, groups: me.Groups}
	if me.Avatar != "" {
		x.avatar = c.vetted(api.Fetch(ctx, me.Avatar, token, maxAvatar)) // initials do without it
	}
	if a.ImportApps {
		list, err := api.Applications(ctx, token)
		if err != nil {
			c.update(func(st *Status) { st.Notice = "could not load your applications from Authentik: " + err.Error() })
			return fmt.Errorf("listing Authentik applications: %w", err)
		}
		var icons []string // by index into x.apps
		for _, ap := range list {
			if launch.CheckURL(ap.LaunchURL) != nil || isSelf(ap, a) {
				continue // Authentik lists it, but it is nothing a browser should open
			}
			x.apps = append(x.apps, launch.App{Name: ap.Name, URL: ap.LaunchURL, Description: ap.Description})
			icons = append(icons, ap.IconURL)
		}
		var wg sync.WaitGroup
		slots := make(chan struct{}, 8) // icons come in parallel, a few at a time
		for i, url := range icons {
			if url == "" {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				slots <- struct{}{}
				defer func() { <-slots }()
				x.apps[i].Icon = c.vetted(api.Fetch(ctx, url, token, maxIcon)) // a letter does without it
			}()
		}
		wg.Wait()
	}
	c.change(func() {
		if c.session == nil || c.session.Subject != x.subject {
			return // signed out or someone else meanwhile
		}
		c.extras = x
		c.applyExtrasLocked()
	})
	return nil
}

// vetted keeps a fetched picture only if its header promises a size worth
// decoding (see package picture); the bytes limit alone lets a small file
// declare a picture of gigabytes.
func (c *Core) vetted(b []byte, err error) []byte {
	if err != nil {
		return nil
	}
	if err := picture.Check(b, picture.MaxPixels); err != nil {
		c.deps.Logger.Debug("a picture from Authentik's API is not shown", "err", err)
		return nil
	}
	return b
}

// isSelf tells ssotray's own application in Authentik's list: its slug, or
// a launch URL on one of ssotray's callback ports, which is what Authentik
// reports for an application with no Launch URL (the first redirect URI
// without its path).
func isSelf(ap authentikapi.Application, a config.Authentik) bool {
	if ap.Slug == a.AppSlug {
		return true
	}
	u, err := url.Parse(ap.LaunchURL)
	if err != nil {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return false
	}
	// With any port ([0]) the first redirect URI is the regex, whose text
	// is no URL a browser could open: CheckURL drops it.
	port, _ := strconv.Atoi(u.Port())
	return port != 0 && slices.Contains(a.CallbackPorts, port)
}

// applyExtrasLocked puts the extras of the current person into the status.
func (c *Core) applyExtrasLocked() {
	x := c.extras
	if x == nil || c.session == nil || c.session.Subject != x.subject {
		return
	}
	c.status.Avatar = x.avatar
	groups := slices.Clone(c.status.Profile.Groups)
	for _, g := range x.groups {
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	c.status.Profile.Groups = groups
}

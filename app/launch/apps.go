package launch

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// App is one entry of the launcher.
type App struct {
	Name        string
	URL         string
	Description string
	// Groups limit who sees the app; empty means everyone.
	Groups []string
	// Icon is the app's icon image (PNG, JPEG or SVG), when its source has one.
	Icon []byte
}

// Visible returns the apps a member of groups may see, in their order.
func Visible(apps []App, groups []string) []App {
	var out []App
	for _, a := range apps {
		if len(a.Groups) == 0 || slices.ContainsFunc(a.Groups, func(g string) bool { return slices.Contains(groups, g) }) {
			out = append(out, a)
		}
	}
	return out
}

// Find looks an app up by name, ignoring case.
func Find(apps []App, name string) (App, bool) {
	for _, a := range apps {
		if strings.EqualFold(a.Name, name) {
			return a, true
		}
	}
	return App{}, false
}

// CheckURL accepts only absolute http and https URLs. Anything else handed
// to a browser or xdg-open could open a local file, run script, or be read as
// a command-line option.
func CheckURL(raw string) error {
	if strings.HasPrefix(strings.TrimSpace(raw), "-") {
		return fmt.Errorf("refusing to open %q: it starts with '-' and would be read as a browser option", raw)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("refusing to open %q: only http:// and https:// addresses are opened; fix the app's url in the configuration", raw)
	}
	return nil
}

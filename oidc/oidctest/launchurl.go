package oidctest

import (
	"hash/fnv"
	"strings"
)

// launchURL is Application.get_launch_url (authentik/core/models.py): the
// Launch URL if set, else the provider's guess (OAuth2Provider.launch_url
// in authentik/providers/oauth2/models.py), which is the first redirect URI
// entry with its path cut off -- for a regex entry, the regex text itself.
// "" means no launch URL. "blank://blank" is reported as it is (Authentik's
// own library page is what hides it).
func (p *Provider) launchURL(a Application) string {
	switch {
	case a.LaunchURL != "":
		return a.LaunchURL
	case a.Provider == "" || !p.cfg.quirks.LaunchURLFromRedirectURI:
		return ""
	}
	strict, regexes := p.store.redirectURIs(a.Provider)
	// The stand-in keeps strict and regex entries apart; the strict ones
	// count as listed first.
	first := ""
	if len(strict) > 0 {
		first = strict[0]
	} else if len(regexes) > 0 {
		first = regexes[0]
	}
	if first == "" {
		return ""
	}
	return withoutPath(first)
}

// withoutPath is Python's urlunparse(urlparse(u)._replace(path="")) for the
// shapes a redirect URI takes: the scheme and network location stay, the
// path goes, and ;params, ?query and #fragment stay. It works on text, as
// Python does, so a regex such as `http://127\.0\.0\.1:\d+/callback`
// becomes `http://127\.0\.0\.1:\d+`.
func withoutPath(u string) string {
	rest, fragment, hasFragment := strings.Cut(u, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	prefix := ""
	if i := strings.Index(rest, ":"); i > 0 && isScheme(rest[:i]) {
		prefix, rest = rest[:i+1], rest[i+1:]
	}
	if strings.HasPrefix(rest, "//") {
		end := strings.Index(rest[2:], "/")
		if end < 0 {
			end = len(rest) - 2
		}
		prefix, rest = prefix+rest[:2+end], rest[2+end:]
	}
	out := prefix
	// urlparse splits ;params off the last path segment only.
	if i := strings.LastIndex(rest, "/"); strings.Contains(rest[i+1:], ";") {
		_, params, _ := strings.Cut(rest[i+1:], ";")
		out += ";" + params
	}
	if hasQuery && query != "" {
		out += "?" + query
	}
	if hasFragment && fragment != "" {
		out += "#" + fragment
	}
	return out
}

func isScheme(s string) bool {
	for i, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return false
		}
	}
	return s != ""
}

// providerPK is a stable integer primary key for a provider, as the API's
// "provider" field carries one.
func providerPK(clientID string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte("provider:" + clientID))
	return int(h.Sum32()%100000) + 1
}

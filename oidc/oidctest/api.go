package oidctest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// ScopeAuthentikAPI is the scope that lets an access token call Authentik's
// REST API (/api/v3/) as the user it was issued to.
const ScopeAuthentikAPI = "goauthentik.io/api"

// DefaultAvatarPath is the picture Authentik shows for a user without one
// (avatar mode "none"). The users/me answer gives it as this relative path,
// as Authentik does, and the provider serves it as a small PNG.
const DefaultAvatarPath = "/static/dist/assets/images/user_default.png"

// superuserGroup is the group Authentik's initial setup creates for
// administrators; membership makes "is_superuser" true.
const superuserGroup = "authentik Admins"

const (
	iconPathPrefix = "/media/application-icons/"
	apiMePath      = "/api/v3/core/users/me/"
	apiAppsPath    = "/api/v3/core/applications/"
)

// Application is an application in Authentik's library, as the API lists it
// to the users allowed to open it.
type Application struct {
	Name string
	Slug string // letters, digits, '-' and '_', unique
	// LaunchURL is meta_launch_url. "" means none set: the application then
	// reports one made from its provider's redirect URIs
	// (Quirks.LaunchURLFromRedirectURI), or none. "blank://blank" is
	// Authentik's way to say "no launch URL". Without a launch URL it is left
	// out when only_with_launch_url=true.
	LaunchURL string
	// Provider is the client ID of the OAuth2 provider the application uses
	// ("" = none).
	Provider string
	// Icon is meta_icon as the API reports it: "" (null), an absolute URL,
	// or a path on the provider such as IconPath(slug), which Authentik uses
	// for uploaded icons and which this provider serves as a generated PNG.
	Icon        string
	Description string
	// Groups bound to the application; empty means everyone may open it. A
	// user matches through a direct group or one inherited via
	// Options.GroupParents.
	Groups []string
}

// IconPath is where the provider serves a generated PNG icon for the
// application with this slug, relative to the provider's URL, like an
// icon uploaded to Authentik. Use it as Application.Icon.
func IconPath(slug string) string { return iconPathPrefix + slug + ".png" }

// apiData is what the REST API imitation knows beyond the OpenID store.
type apiData struct {
	apps    []Application // sorted by name, as Authentik orders them
	bySlug  map[string]bool
	pk      map[string]int    // username -> numeric primary key
	parents map[string]string // group -> parent group
}

func newAPIData(opts Options) (*apiData, error) {
	d := &apiData{bySlug: map[string]bool{}, pk: map[string]int{}, parents: map[string]string{}}
	for i, u := range opts.Users {
		d.pk[u.Username] = i + 1
	}
	for child, parent := range opts.GroupParents {
		if child == "" || parent == "" {
			return nil, errors.New("oidctest: GroupParents has an empty group name")
		}
		d.parents[child] = parent
	}
	for _, a := range opts.Applications {
		if a.Name == "" {
			return nil, fmt.Errorf("oidctest: application %q has no name", a.Slug)
		}
		if !slugPattern.MatchString(a.Slug) {
			return nil, fmt.Errorf("oidctest: application %q: slug %q: use letters, digits, '-' and '_' only", a.Name, a.Slug)
		}
		if a.Provider != "" && !slices.ContainsFunc(opts.Clients, func(c Client) bool { return c.ID == a.Provider }) {
			return nil, fmt.Errorf("oidctest: application %q: provider %q is not one of the clients", a.Slug, a.Provider)
		}
		if d.bySlug[a.Slug] {
			return nil, fmt.Errorf("oidctest: application slug %q is listed twice", a.Slug)
		}
		d.bySlug[a.Slug] = true
		a.Groups = slices.Clone(a.Groups)
		d.apps = append(d.apps, a)
	}
	slices.SortStableFunc(d.apps, func(a, b Application) int { return strings.Compare(a.Name, b.Name) })
	return d, nil
}

// allGroups is Authentik's User.all_groups(): the direct groups and every
// ancestor, sorted by name.
func (d *apiData) allGroups(direct []string) []string {
	seen := map[string]bool{}
	for _, g := range direct {
		for g != "" && !seen[g] {
			seen[g] = true
			g = d.parents[g]
		}
	}
	out := make([]string, 0, len(seen))
	for g := range seen {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// mayOpen follows Authentik's policy engine in its default "any" mode: no
// bindings pass everyone, otherwise one bound group must match.
func (a Application) mayOpen(groups []string) bool {
	if len(a.Groups) == 0 {
		return true
	}
	for _, g := range a.Groups {
		if slices.Contains(groups, g) {
			return true
		}
	}
	return false
}

func (p *Provider) apiRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+apiMePath+"{$}", p.handleAPIMe)
	mux.HandleFunc("GET "+apiAppsPath+"{$}", p.handleAPIApplications)
	mux.HandleFunc("GET "+iconPathPrefix+"{file}", p.handleIcon)
	mux.HandleFunc("GET "+DefaultAvatarPath, handleDefaultAvatar)
}

// apiUser authenticates an API request the way Authentik's
// TokenAuthentication does. Authentik answers every failure with 403 and a
// "detail" (its authentication class sends no WWW-Authenticate challenge,
// so Django REST framework turns 401 into 403); an OAuth access token
// counts only while active and only if it was granted ScopeAuthentikAPI.
// On failure the answer and the event are written and ok is false.
func (p *Provider) apiUser(w http.ResponseWriter, r *http.Request, kind string) (u User, clientID string, ok bool) {
	fail := func(reason, state, detail string) {
		p.record(kind, "", map[string]string{"status": "403", "reason": reason, "token_state": state})
		writeAPIJSON(w, http.StatusForbidden, map[string]string{"detail": detail})
	}
	header := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, token, _ := strings.Cut(header, " ")
	switch {
	case header == "" || !strings.Contains(header, " "):
		fail("no_credentials", TokenUnknown.String(), "Authentication credentials were not provided.")
		return User{}, "", false
	case !strings.EqualFold(scheme, "bearer"):
		fail("unsupported_type", TokenUnknown.String(), "Unsupported authentication type")
		return User{}, "", false
	case token == "":
		fail("malformed", TokenUnknown.String(), "Malformed header")
		return User{}, "", false
	}
	st, rec := p.accessToken(token)
	if st != TokenActive {
		fail("token_"+st.String(), st.String(), "Token invalid/expired")
		return User{}, "", false
	}
	if !slices.Contains(rec.scopes, ScopeAuthentikAPI) {
		fail("no_api_scope", st.String(), "Token invalid/expired")
		return User{}, "", false
	}
	p.store.mu.Lock()
	su, found := p.store.bySub[rec.subject]
	if found {
		u = *su
		u.Groups = slices.Clone(su.Groups)
	}
	p.store.mu.Unlock()
	if !found {
		fail("unknown_user", st.String(), "Token invalid/expired")
		return User{}, "", false
	}
	return u, rec.clientID, true
}

func (p *Provider) handleAPIMe(w http.ResponseWriter, r *http.Request) {
	u, clientID, ok := p.apiUser(w, r, "api_me")
	if !ok {
		return
	}
	groups := p.api.allGroups(u.Groups)
	out := make([]map[string]string, 0, len(groups))
	for _, g := range groups {
		out = append(out, map[string]string{"name": g, "pk": fakeUUID("group:" + g)})
	}
	avatar := u.Avatar
	if avatar == "" {
		avatar = DefaultAvatarPath
	}
	p.record("api_me", u.Username, map[string]string{"status": "200", "client_id": clientID})
	writeAPIJSON(w, http.StatusOK, map[string]any{"user": map[string]any{
		"pk":           p.api.pk[u.Username],
		"username":     u.Username,
		"name":         u.Name,
		"is_active":    true,
		"is_superuser": slices.Contains(groups, superuserGroup),
		"groups":       out,
		"email":        u.Email,
		"avatar":       avatar,
		"uid":          subjectOf(u.Username),
		"settings":     map[string]any{},
		"type":         "internal",
	}})
}

// handleAPIApplications imitates Authentik's application list for a user:
// the page is cut from all applications ordered by name, and only then
// filtered by access and launch URL, so a page can hold fewer entries than
// page_size and "count" is the number of all applications, not of those
// shown. Clients must follow pagination.next, a page number (0 = none).
func (p *Provider) handleAPIApplications(w http.ResponseWriter, r *http.Request) {
	u, clientID, ok := p.apiUser(w, r, "api_applications")
	if !ok {
		return
	}
	q := r.URL.Query()
	size := p.cfg.quirks.APIPageSize
	if n, err := strconv.Atoi(q.Get("page_size")); err == nil && n > 0 {
		size = min(n, authentikMaxPageSize)
	}
	page := 1
	if s := q.Get("page"); s != "" && s != "last" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			p.record("api_applications", u.Username, map[string]string{"status": "404", "client_id": clientID, "reason": "invalid_page"})
			writeAPIJSON(w, http.StatusNotFound, map[string]string{"detail": "Invalid page."})
			return
		}
		page = n
	}
	total := len(p.api.apps)
	pages := max(1, (total+size-1)/size)
	if q.Get("page") == "last" {
		page = pages
	}
	if page > pages {
		p.record("api_applications", u.Username, map[string]string{"status": "404", "client_id": clientID, "reason": "invalid_page"})
		writeAPIJSON(w, http.StatusNotFound, map[string]string{"detail": "Invalid page."})
		return
	}
	start, end := (page-1)*size, min(page*size, total)
	onlyLaunch := strings.EqualFold(q.Get("only_with_launch_url"), "true")
	groups := p.api.allGroups(u.Groups)
	results := []map[string]any{}
	for _, a := range p.api.apps[start:end] {
		launch := p.launchURL(a)
		if !a.mayOpen(groups) || (onlyLaunch && launch == "") {
			continue
		}
		results = append(results, applicationJSON(a, launch))
	}
	next, prev := 0, 0
	if page < pages {
		next = page + 1
	}
	if page > 1 {
		prev = page - 1
	}
	startIndex, endIndex := 0, 0
	if total > 0 {
		startIndex, endIndex = start+1, end
	}
	p.record("api_applications", u.Username, map[string]string{
		"status":    "200",
		"client_id": clientID,
		"page":      strconv.Itoa(page),
		"count":     strconv.Itoa(len(results)),
	})
	writeAPIJSON(w, http.StatusOK, map[string]any{
		"pagination": map[string]int{
			"next":        next,
			"previous":    prev,
			"count":       total,
			"current":     page,
			"total_pages": pages,
			"start_index": startIndex,
			"end_index":   endIndex,
		},
		"results": results,
	})
}

func applicationJSON(a Application, launchURL string) map[string]any {
	var launch, icon, provider any // JSON null when unset, as Authentik sends them
	if launchURL != "" {
		launch = launchURL
	}
	if a.Icon != "" {
		icon = a.Icon
	}
	if a.Provider != "" {
		provider = providerPK(a.Provider)
	}
	return map[string]any{
		"pk":                        fakeUUID("application:" + a.Slug),
		"name":                      a.Name,
		"slug":                      a.Slug,
		"provider":                  provider,
		"provider_obj":              nil,
		"backchannel_providers":     []int{},
		"backchannel_providers_obj": []any{},
		"launch_url":                launch,
		"open_in_new_tab":           false,
		"meta_launch_url":           a.LaunchURL,
		"meta_icon":                 icon,
		"meta_description":          a.Description,
		"meta_publisher":            "",
		"policy_engine_mode":        "any",
		"group":                     "",
	}
}

func writeAPIJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Vary", "Authorization")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fakeUUID gives a stable UUID-shaped primary key, like Authentik's group
// and application pks.
func fakeUUID(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// handleIcon serves a generated icon for every configured application, like
// Authentik's /media/ files: no authentication needed.
func (p *Provider) handleIcon(w http.ResponseWriter, r *http.Request) {
	slug, ok := strings.CutSuffix(r.PathValue("file"), ".png")
	if !ok || !p.api.bySlug[slug] {
		http.NotFound(w, r)
		return
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(slug))
	sum := h.Sum32()
	bg := color.RGBA{R: 64 + uint8(sum)%160, G: 64 + uint8(sum>>8)%160, B: 64 + uint8(sum>>16)%160, A: 255}
	writePNG(w, drawIcon(48, bg, color.RGBA{R: 255, G: 255, B: 255, A: 255}, false))
}

func handleDefaultAvatar(w http.ResponseWriter, _ *http.Request) {
	writePNG(w, drawIcon(64, color.RGBA{R: 200, G: 200, B: 205, A: 255}, color.RGBA{R: 245, G: 245, B: 248, A: 255}, true))
}

// drawIcon paints a square in bg with a disc in fg: a plain tile for an
// application, a head-and-shoulders silhouette for the default avatar.
func drawIcon(size int, bg, fg color.RGBA, person bool) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	in := func(x, y, cx, cy, r int) bool { return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r }
	for y := range size {
		for x := range size {
			c := bg
			if person {
				if in(x, y, size/2, size*3/8, size/5) || in(x, y, size/2, size+size/8, size/2) {
					c = fg
				}
			} else if in(x, y, size/2, size/2, size/4) {
				c = fg
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func writePNG(w http.ResponseWriter, img image.Image) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(buf.Bytes())
}

// Command testbrowser stands in for a person at a web browser in end-to-end
// tests. ssotray runs it as its browser_command:
//
//	testbrowser URL
//
// It opens URL in Debian's Chromium (headless, through chromedp), follows the
// page wherever it goes, fills in a login form once with the credentials from
// the environment, and stops when a page without a login form has settled.
//
// Configuration comes only from the environment, so that no password shows up
// in a process listing:
//
//	TESTBROWSER_USERNAME  user name to type into #username
//	TESTBROWSER_PASSWORD  password to type into #password (never logged)
//	TESTBROWSER_CREDENTIALS  a file with the user name on its first line and
//	                      the password on its second, read at each start; it
//	                      replaces the two above, so that a test can change
//	                      who sits at the browser while its parent program runs
//	TESTBROWSER_PROFILE   Chromium user-data-dir to use, so that cookies survive
//	                      between runs; default a fresh temporary directory.
//	                      Session cookies (those without an expiry) survive
//	                      too, as if the browser had stayed open: Chromium
//	                      drops them at a restart, so testbrowser keeps them
//	                      in the file testbrowser-session-cookies.json there
//	TESTBROWSER_LOG       file to append JSON lines to (see below)
//	TESTBROWSER_TIMEOUT   Go duration for the whole run; default 60s
//	TESTBROWSER_PIDFILE   file to write the process id to at start
//	TESTBROWSER_DEBUG     when not empty, Chromium's own output goes to stderr
//	CHROMIUM_PATH         browser binary; default /usr/bin/chromium
//
// The log has one JSON object a line, each with an "event" field and a "time":
//
//	{"event":"start","url":...}
//	{"event":"form","url":...}                 a login form is shown
//	{"event":"submitted","url":...}            credentials typed and sent
//	{"event":"form_error","url":...,"text":...} the form came back after submit
//	{"event":"done","url":...,"title":...,"text":...,"status":...}
//	{"event":"error","error":...}
//
// Exit status: 0 when a page without a login form was reached ("done"), 3 when
// the login form came back after the credentials were sent ("form_error"), and
// 2 on a timeout or any other error (including a login form shown when no
// TESTBROWSER_USERNAME is set, and a form that the browser refuses to send,
// such as one with an empty required field).
//
// A page counts as settled when document.readyState is "complete", the main
// frame has had no navigation activity for 300ms, and the document is no
// longer the login page whose form was just sent.
//
// The login form it knows is the one of the test provider: elements with the
// ids username, password, submit, and after a failure an element with the id
// error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/ssotray/ssotray/app/filelock"
)

const (
	exitDone      = 0
	exitError     = 2
	exitFormError = 3

	defaultChromium = "/usr/bin/chromium"
	defaultTimeout  = 60 * time.Second

	// quietPeriod is how long the main frame must have had no navigation
	// activity before a page counts as settled.
	quietPeriod = 300 * time.Millisecond
	// pollInterval is how often the page state is looked at.
	pollInterval = 100 * time.Millisecond
	// stepTimeout bounds one command sent to the browser.
	stepTimeout = 10 * time.Second
	// closeTimeout bounds the graceful close of the browser, which writes the
	// cookies of a profile to disk.
	closeTimeout = 10 * time.Second
	// maxText is how many characters of the body text a done event carries.
	maxText = 500

	// submittedMarker is a property set on the window of the login page just
	// before the form is sent. While a page still has it, the navigation that
	// the submit started has not replaced the document yet.
	submittedMarker = "__testbrowserSubmitted"
)

func main() {
	os.Exit(run())
}

// config is what the environment asks for.
type config struct {
	url      string
	username string
	password string
	profile  string
	timeout  time.Duration
	chromium string
	debug    bool
}

func run() int {
	lg := &eventLog{path: os.Getenv("TESTBROWSER_LOG")}

	// Read the password and drop it from the environment at once, so that
	// Chromium, which inherits the environment, never holds it.
	password := os.Getenv("TESTBROWSER_PASSWORD")
	os.Unsetenv("TESTBROWSER_PASSWORD")
	lg.secret = password

	if p := os.Getenv("TESTBROWSER_PIDFILE"); p != "" {
		if err := os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return lg.fail(fmt.Errorf("writing TESTBROWSER_PIDFILE: %w", err))
		}
	}

	if len(os.Args) < 2 || os.Args[len(os.Args)-1] == "" {
		return lg.fail(errors.New("usage: testbrowser URL (configuration comes from TESTBROWSER_* environment variables)"))
	}
	username := os.Getenv("TESTBROWSER_USERNAME")
	if f := os.Getenv("TESTBROWSER_CREDENTIALS"); f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return lg.fail(fmt.Errorf("reading TESTBROWSER_CREDENTIALS: %w", err))
		}
		lines := strings.SplitN(strings.TrimRight(string(data), "\n"), "\n", 2)
		if len(lines) != 2 {
			return lg.fail(errors.New("TESTBROWSER_CREDENTIALS must hold a user name line and a password line"))
		}
		username, password = lines[0], lines[1]
		lg.secret = password
	}
	cfg := config{
		url:      os.Args[len(os.Args)-1],
		username: username,
		password: password,
		profile:  os.Getenv("TESTBROWSER_PROFILE"),
		timeout:  defaultTimeout,
		chromium: os.Getenv("CHROMIUM_PATH"),
		debug:    os.Getenv("TESTBROWSER_DEBUG") != "",
	}
	if cfg.chromium == "" {
		cfg.chromium = defaultChromium
	}
	if s := os.Getenv("TESTBROWSER_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return lg.fail(fmt.Errorf("TESTBROWSER_TIMEOUT=%q is not a positive Go duration such as 60s", s))
		}
		cfg.timeout = d
	}
	lg.write(map[string]any{"event": "start", "url": cfg.url})

	if _, err := os.Stat(cfg.chromium); err != nil {
		return lg.fail(fmt.Errorf("chromium not found at %s (install the Debian package chromium, or set CHROMIUM_PATH): %w", cfg.chromium, err))
	}
	if cfg.profile != "" {
		if err := os.MkdirAll(cfg.profile, 0o700); err != nil {
			return lg.fail(fmt.Errorf("creating TESTBROWSER_PROFILE %s: %w", cfg.profile, err))
		}
	}
	return browse(cfg, lg)
}

// browse runs the browser and the page loop, and returns the exit status.
func browse(cfg config, lg *eventLog) int {
	deadline := time.Now().Add(cfg.timeout)

	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(cfg.chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	if cfg.profile != "" {
		// Without this option chromedp makes a temporary user-data-dir and
		// removes it when the browser has stopped.
		opts = append(opts, chromedp.UserDataDir(cfg.profile))
	}
	if cfg.debug {
		opts = append(opts, chromedp.CombinedOutput(os.Stderr))
	}

	root, cancelRoot := context.WithCancel(context.Background())
	defer cancelRoot()
	// A last resort: if the browser does not start or does not stop, the
	// whole run still ends shortly after the deadline.
	watchdog := time.AfterFunc(cfg.timeout+closeTimeout, cancelRoot)
	defer watchdog.Stop()

	actx, cancelAlloc := chromedp.NewExecAllocator(root, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	tr := &tracker{}
	// Listen starts the browser and opens the tab.
	if err := chromedp.Listen(bctx, tr.handle); err != nil {
		return lg.fail(fmt.Errorf("starting chromium %s: %w", cfg.chromium, err))
	}
	if cfg.profile != "" {
		if err := restoreSessionCookies(bctx, cfg.profile); err != nil {
			return lg.fail(fmt.Errorf("restoring the session cookies of TESTBROWSER_PROFILE: %w", err))
		}
	}
	defer func() {
		if cfg.profile != "" {
			if err := saveSessionCookies(bctx, cfg.profile); err != nil {
				fmt.Fprintf(os.Stderr, "testbrowser: saving the session cookies of TESTBROWSER_PROFILE: %v\n", err)
			}
		}
		// Close the browser gracefully, so that a profile gets its cookies
		// written to disk.
		cctx, cancel := context.WithTimeout(bctx, closeTimeout)
		defer cancel()
		if err := chromedp.Cancel(cctx); err != nil && cfg.debug {
			fmt.Fprintf(os.Stderr, "testbrowser: closing chromium: %v\n", err)
		}
	}()

	lctx, cancelLoop := context.WithDeadline(bctx, deadline)
	defer cancelLoop()

	p := &pager{cfg: cfg, lg: lg, tr: tr}
	if err := tr.findMainFrame(lctx); err != nil {
		if lctx.Err() != nil {
			return p.stopped(bctx)
		}
		return lg.fail(fmt.Errorf("reading the frame tree: %w", err))
	}
	if err := navigate(lctx, cfg.url); err != nil {
		if lctx.Err() != nil {
			return p.stopped(bctx)
		}
		return lg.fail(fmt.Errorf("opening %s: %w", cfg.url, err))
	}
	return p.loop(lctx, bctx)
}

// navigate sends Page.navigate, which returns once the server has answered,
// but does not wait for the page to load: the page loop does the waiting.
func navigate(ctx context.Context, url string) error {
	return chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		res, err := cdp.Call(ctx, t, page.Navigate, page.NavigateParams{URL: url})
		if err != nil {
			return err
		}
		if res.ErrorText != "" {
			return errors.New(res.ErrorText)
		}
		return nil
	}))
}

// sessionCookiesFile holds the session cookies of a profile between runs.
const sessionCookiesFile = "testbrowser-session-cookies.json"

// restoreSessionCookies puts the session cookies that the last run with the
// profile saved back into the browser.
func restoreSessionCookies(ctx context.Context, profile string) error {
	data, err := os.ReadFile(filepath.Join(profile, sessionCookiesFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var cookies []*network.CookieParam
	if err := json.Unmarshal(data, &cookies); err != nil {
		return fmt.Errorf("%s: %w", sessionCookiesFile, err)
	}
	if len(cookies) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	return chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, storage.SetCookies, storage.SetCookiesParams{Cookies: cookies})
		return err
	}))
}

// saveSessionCookies writes the session cookies of the browser into the
// profile. Chromium keeps the other cookies there itself.
func saveSessionCookies(ctx context.Context, profile string) error {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (storage.GetCookiesResult, error) {
		return cdp.Call(ctx, t, storage.GetCookies, storage.GetCookiesParams{})
	})
	if err != nil {
		return err
	}
	cookies := []*network.CookieParam{}
	for _, c := range res.Cookies {
		if !c.Session {
			continue
		}
		p := &network.CookieParam{
			Name:         c.Name,
			Value:        c.Value,
			Path:         c.Path,
			Secure:       c.Secure,
			HTTPOnly:     c.HTTPOnly,
			SameSite:     c.SameSite,
			Priority:     c.Priority,
			SourceScheme: c.SourceScheme,
			SourcePort:   c.SourcePort,
			PartitionKey: c.PartitionKey,
		}
		if strings.HasPrefix(c.Domain, ".") {
			p.Domain = c.Domain
		} else {
			// A host-only cookie: set it through a URL of its host,
			// because a domain would make it a domain cookie.
			u := url.URL{Scheme: "http", Host: c.Domain, Path: c.Path}
			if c.Secure || c.SourceScheme == network.CookieSourceSchemeSecure {
				u.Scheme = "https"
			}
			if c.SourcePort > 0 && c.SourcePort != 80 && c.SourcePort != 443 {
				u.Host += ":" + strconv.FormatInt(c.SourcePort, 10)
			}
			p.URL = u.String()
		}
		cookies = append(cookies, p)
	}
	data, err := json.MarshalIndent(cookies, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(profile, sessionCookiesFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(profile, sessionCookiesFile))
}

// pageState is what the page loop reads from the document.
type pageState struct {
	ReadyState string `json:"readyState"`
	URL        string `json:"url"`
	Title      string `json:"title"`
	HasForm    bool   `json:"hasForm"`
	HasSubmit  bool   `json:"hasSubmit"`
	HasError   bool   `json:"hasError"`
	ErrorText  string `json:"errorText"`
	Submitted  bool   `json:"submitted"`
	Text       string `json:"text"`
}

const stateJS = `(() => {
	const byId = (id) => document.getElementById(id);
	const err = byId("error");
	return {
		readyState: document.readyState,
		url: location.href,
		title: document.title,
		hasForm: !!(byId("username") && byId("password")),
		hasSubmit: !!byId("submit"),
		hasError: !!err,
		errorText: err ? (err.innerText || err.textContent || "") : "",
		submitted: !!window.` + submittedMarker + `,
		text: document.body ? (document.body.innerText || "") : "",
	};
})()`

// pager is the loop that plays the person at the browser.
type pager struct {
	cfg       config
	lg        *eventLog
	tr        *tracker
	submitted bool
	last      pageState
}

func (p *pager) loop(ctx, browserCtx context.Context) int {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return p.stopped(browserCtx)
		case <-ticker.C:
		}

		st, ok := p.settled(ctx)
		if !ok {
			continue
		}
		p.last = st

		if strings.HasPrefix(st.URL, "chrome-error://") {
			return p.lg.fail(p.tr.loadError(st))
		}
		if !st.HasForm {
			ev := map[string]any{
				"event": "done",
				"url":   st.URL,
				"title": st.Title,
				"text":  truncate(st.Text, maxText),
			}
			if status := p.tr.status(); status != 0 {
				ev["status"] = status
			}
			p.lg.write(ev)
			return exitDone
		}
		if p.submitted {
			text := strings.TrimSpace(st.ErrorText)
			if !st.HasError {
				text = "the login form was shown again after the credentials were sent"
			}
			p.lg.write(map[string]any{"event": "form_error", "url": st.URL, "text": text})
			return exitFormError
		}
		p.lg.write(map[string]any{"event": "form", "url": st.URL})
		if p.cfg.username == "" {
			return p.lg.fail(fmt.Errorf("a login form is shown at %s but TESTBROWSER_USERNAME is not set", st.URL))
		}
		if err := p.fill(ctx, st); err != nil {
			if ctx.Err() != nil {
				continue // reported as a timeout or a dead browser above
			}
			return p.lg.fail(fmt.Errorf("filling in the login form at %s: %w", st.URL, err))
		}
		p.submitted = true
		p.lg.write(map[string]any{"event": "submitted", "url": st.URL})
	}
}

// settled reads the page state and reports whether the page has finished
// loading: the document is complete, the main frame has been quiet for
// quietPeriod, and no form submission of ours is still on its way.
func (p *pager) settled(ctx context.Context) (pageState, bool) {
	before, quiet := p.tr.quiet(quietPeriod)
	if !quiet {
		return pageState{}, false
	}
	cctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	st, err := chromedp.Run(cctx, chromedp.Evaluate[pageState](stateJS))
	if err != nil {
		// The document can go away under the evaluation while it
		// navigates; look again on the next tick.
		return pageState{}, false
	}
	p.last = st
	if after, quiet := p.tr.quiet(quietPeriod); !quiet || after != before {
		return pageState{}, false
	}
	return st, st.ReadyState == "complete" && !st.Submitted
}

// fill types the credentials into the login form and sends it.
func (p *pager) fill(ctx context.Context, st pageState) error {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	send := chromedp.Click(chromedp.ID("submit"))
	if !st.HasSubmit {
		send = chromedp.Submit(chromedp.ID("password"))
	}
	return chromedp.Do(ctx,
		clearFields,
		chromedp.SendKeys(chromedp.ID("username"), p.cfg.username),
		chromedp.SendKeys(chromedp.ID("password"), p.cfg.password),
		checkValidity,
		markSubmitted,
		send,
	)
}

// clearFields empties both fields, in case the page filled one in. It does not
// use chromedp.SetValue with "": chromedp v0.23.0 drops an empty string
// argument, so the field would get the text "undefined".
var clearFields = jsStep(`for (const id of ["username", "password"]) document.getElementById(id).value = ""; true`)

// checkValidity fails when the browser would refuse to send the form, for
// example when a required field is empty; the page would not change then.
var checkValidity = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	msg, err := chromedp.Evaluate[string](`(() => {
		const form = document.getElementById("password").form;
		if (!form || form.checkValidity()) return "";
		const bad = form.querySelector(":invalid");
		return (bad && (bad.id || bad.name) ? bad.id || bad.name : "a field") + ": " + (bad ? bad.validationMessage : "invalid");
	})()`)(ctx, t)
	if err != nil {
		return err
	}
	if msg != "" {
		return fmt.Errorf("the browser refuses to send the form (%s)", msg)
	}
	return nil
})

// markSubmitted sets submittedMarker on the window of the login page.
var markSubmitted = jsStep("window." + submittedMarker + " = true")

// jsStep is an action that evaluates a script that gives true.
func jsStep(script string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](script)(ctx, t)
		return err
	})
}

// stopped reports why the loop context ended: the browser went away, or the
// time ran out.
func (p *pager) stopped(browserCtx context.Context) int {
	if browserCtx.Err() != nil {
		return p.lg.fail(fmt.Errorf("chromium stopped unexpectedly: %w", context.Cause(browserCtx)))
	}
	return p.lg.fail(p.timeoutError())
}

func (p *pager) timeoutError() error {
	where := p.last.URL
	if where == "" {
		where = p.cfg.url
	}
	msg := fmt.Sprintf("timed out after %s; the page at %s did not settle", p.cfg.timeout, where)
	if p.last.Submitted {
		msg = fmt.Sprintf("timed out after %s; the login form at %s was sent but no new page came", p.cfg.timeout, where)
	}
	return errors.New(msg)
}

// tracker follows the navigation activity of the main frame from the events
// of the tab. The callback runs on chromedp's reader goroutine.
type tracker struct {
	mu        sync.Mutex
	mainFrame cdp.FrameID
	loading   bool
	changes   int
	lastEvent time.Time
	docURLs   map[network.RequestID]string
	failedURL string
	failedErr string
	lastCode  int64
}

func (t *tracker) findMainFrame(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (page.GetFrameTreeResult, error) {
		return cdp.Call(ctx, tg, page.GetFrameTree, cdp.Empty{})
	})
	if err != nil {
		return err
	}
	if res.FrameTree == nil || res.FrameTree.Frame == nil {
		return errors.New("the tab has no main frame")
	}
	t.mu.Lock()
	t.mainFrame = res.FrameTree.Frame.ID
	t.lastEvent = time.Now()
	t.mu.Unlock()
	return nil
}

func (t *tracker) handle(ev any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mainFrame == "" {
		return
	}
	activity := func() {
		t.changes++
		t.lastEvent = time.Now()
	}
	switch ev := ev.(type) {
	case *page.EventFrameStartedLoading:
		if ev.FrameID == t.mainFrame {
			t.loading = true
			activity()
		}
	case *page.EventFrameStoppedLoading:
		if ev.FrameID == t.mainFrame {
			t.loading = false
			activity()
		}
	case *page.EventFrameRequestedNavigation:
		if ev.FrameID == t.mainFrame {
			activity()
		}
	case *page.EventFrameNavigated:
		if ev.Frame != nil && ev.Frame.ID == t.mainFrame {
			activity()
		}
	case *network.EventRequestWillBeSent:
		if ev.FrameID == t.mainFrame && ev.Type == network.ResourceTypeDocument && ev.Request != nil {
			if t.docURLs == nil {
				t.docURLs = make(map[network.RequestID]string)
			}
			t.docURLs[ev.RequestID] = ev.Request.URL
			activity()
		}
	case *network.EventResponseReceived:
		if ev.FrameID == t.mainFrame && ev.Type == network.ResourceTypeDocument && ev.Response != nil {
			t.lastCode = ev.Response.Status
		}
	case *network.EventLoadingFailed:
		if u, ok := t.docURLs[ev.RequestID]; ok {
			t.failedURL, t.failedErr = u, ev.ErrorText
			activity()
		}
	}
}

// quiet reports whether the main frame is not loading and has had no
// activity for d. It also returns a counter of the activity, so that a caller
// can tell whether anything happened between two calls.
func (t *tracker) quiet(d time.Duration) (int, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.changes, !t.loading && time.Since(t.lastEvent) >= d
}

// status is the HTTP status of the last document the main frame received.
func (t *tracker) status() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lastCode
}

// loadError describes why the main frame shows Chromium's error page.
func (t *tracker) loadError(st pageState) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failedURL != "" {
		return fmt.Errorf("could not load %s: %s", t.failedURL, t.failedErr)
	}
	return fmt.Errorf("chromium shows an error page: %s", truncate(strings.TrimSpace(st.Text), 200))
}

// eventLog appends JSON lines to a file. It never writes the secret.
type eventLog struct {
	mu     sync.Mutex
	path   string
	secret string
}

func (l *eventLog) write(ev map[string]any) {
	ev["time"] = time.Now().UTC().Format(time.RFC3339Nano)
	for k, v := range ev {
		if s, ok := v.(string); ok {
			ev[k] = l.redact(s)
		}
	}
	if ev["event"] == "error" {
		fmt.Fprintf(os.Stderr, "testbrowser: %s\n", ev["error"])
	}
	if l.path == "" {
		return
	}
	line, err := json.Marshal(ev)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testbrowser: encoding a log line: %v\n", err)
		return
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testbrowser: opening TESTBROWSER_LOG: %v\n", err)
		return
	}
	defer f.Close()
	// One write with O_APPEND keeps lines whole when several runs share
	// the file; the lock keeps other processes from interleaving.
	if filelock.Lock(f) == nil {
		defer filelock.Unlock(f)
	}
	if _, err := f.Write(line); err != nil {
		fmt.Fprintf(os.Stderr, "testbrowser: writing TESTBROWSER_LOG: %v\n", err)
	}
}

// fail logs err as an error event and returns the error exit status.
func (l *eventLog) fail(err error) int {
	l.write(map[string]any{"event": "error", "error": err.Error()})
	return exitError
}

func (l *eventLog) redact(s string) string {
	if l.secret == "" {
		return s
	}
	return strings.ReplaceAll(s, l.secret, "[redacted]")
}

// truncate returns the first n characters of s.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

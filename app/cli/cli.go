// Package cli is ssotray's command line: the verbs scripts and headless
// machines use. It drives the core like the window does and never touches
// a display.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/config"
	"github.com/ssotray/ssotray/app/doctor"
	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/navidrome"
	"github.com/ssotray/ssotray/app/startup"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc"
)

// Env is everything a run needs from the process, so tests can run verbs
// in-process with their own store, clock and output.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Locator        config.Locator
	Store          func() tokenstore.Store
	// RenewLock keeps renewals of the stored session to one at a time
	// across processes (the window's, other verbs'); nil: within this
	// process only.
	// It is asked for only by the verbs that load a session.
	RenewLock func() app.RenewLock
	// ProbeStore is a keyring entry doctor may write and remove.
	ProbeStore func() tokenstore.Store
	Now        func() time.Time // nil: time.Now
	Version    string
	Logger     *slog.Logger // nil: discard
	// ReadPassword reads a line from the terminal with echo off; nil when
	// stdin is not a terminal.
	ReadPassword func() (string, error)
	// Interruptible returns ctx cancelled by the signals that end ssotray
	// (Ctrl-C, SIGTERM, SIGHUP), and its stop; nil: ctx as it is. Only what
	// can wait (the tray, the verbs but version) asks for it: setting up
	// signal handling costs a start-up like version's most of a millisecond.
	Interruptible func(ctx context.Context) (context.Context, context.CancelFunc)
	// GUI starts the window when no verb is given; nil prints the usage.
	GUI func(ctx context.Context, opts startup.Options) error
	// Announce tells a running ssotray (tray, window) that a verb changed
	// the stored session; nil: nobody is told.
	Announce func()
	// Borrow asks the running tray for the token it holds (the ID token
	// with id), which spares `token` the keyring; ok is false when there
	// is none to lend. nil: the keyring is always read.
	Borrow func(id bool) (l app.Lent, ok bool)
}

const usage = `Usage: ssotray [--config FILE] [--kiosk] [--background] [VERB [options]]

With no verb, ssotray opens its window and tray icon (--kiosk: the shared-machine
rules; --background: only the tray icon, as at login, while a tray shows it).

Verbs:
  login [--method authentik|navidrome] [--timeout 3m]   sign in
        [--username U] [--password-stdin]               (Navidrome: asks on the terminal when not given)
  status [--json]                                       who is signed in (exit 1 when nobody is)
  token [--id-token]                                    print a valid access token (or the ID token)
  logout [--local]                                      sign out; --local skips the browser step
  doctor                                                check the setup; exit 1 if something fails
  apps [--json]                                         the apps you may open
  open NAME                                             open one of them in the browser
  version                                               print the version
`

// exitError carries an exit code with the message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// Exit codes beyond 0 (done) and 1 (failed: the person has something to
// do, such as sign in), so that a script can tell a failure worth a retry.
const (
	ExitUsage       = 2   // wrong command line
	ExitUnreachable = 3   // the identity provider or Navidrome gave no answer: try again later
	ExitCancelled   = 130 // Ctrl-C, as shells report SIGINT
)

// Run runs one command line and returns the exit code.
func Run(ctx context.Context, env Env, args []string) int {
	err := run(ctx, env, args)
	if err == nil {
		return 0
	}
	if msg := oneLine(err); msg != "" {
		fmt.Fprintln(env.Stderr, "ssotray: "+msg)
	}
	return exitCode(err)
}

func exitCode(err error) int {
	var ee *exitError
	var oidcDown *oidc.UnreachableError
	var navidromeDown *navidrome.UnreachableError
	var busy *oidc.UnavailableError
	var dns *net.DNSError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, context.Canceled):
		return ExitCancelled
	case errors.As(err, &dns) && dns.IsNotFound:
		return 1 // most often a mistyped server_url: the person has to fix it
	case errors.As(err, &oidcDown), errors.As(err, &navidromeDown), errors.As(err, &busy):
		return ExitUnreachable
	}
	return 1
}

// oneLine keeps every error to one line, as scripts read stderr line by line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format+" (see ssotray --help)", args...)}
}

// globalFlags are the flags before the verb.
type globalFlags struct {
	*flag.FlagSet
	configPath        *string
	kiosk, background *bool
}

func newGlobalFlags() globalFlags {
	global := flag.NewFlagSet("ssotray", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	return globalFlags{
		FlagSet:    global,
		configPath: global.String("config", "", "configuration file"),
		kiosk:      global.Bool("kiosk", false, "run as a shared machine's sign-in screen (as kiosk.enabled)"),
		background: global.Bool("background", false, "start with the window hidden while a tray shows the icon"),
	}
}

// Prints reports whether args run a verb, or print help or a usage error:
// a command line whose output a terminal should see. The others start the
// tray (or the kiosk), which prints nothing a user reads.
func Prints(args []string) bool {
	global := newGlobalFlags()
	return global.Parse(args) != nil || global.NArg() > 0
}

func run(ctx context.Context, env Env, args []string) error {
	global := newGlobalFlags()
	configPath, kiosk, background := global.configPath, global.kiosk, global.background
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, usage)
			return nil
		}
		return usageError("%v", err)
	}
	if global.NArg() > 0 && global.Arg(0) == "version" {
		fmt.Fprintln(env.Stdout, "ssotray "+env.Version)
		return nil
	}
	if global.NArg() > 0 && global.Arg(0) == "token" {
		return token(ctx, env, *configPath, *kiosk, global.Args()[1:])
	}
	ctx, stop := env.interruptible(ctx)
	defer stop()
	if global.NArg() == 0 && env.GUI != nil {
		return env.GUI(ctx, startup.Options{ConfigPath: *configPath, Kiosk: *kiosk, Background: *background})
	}
	if global.NArg() == 0 {
		fmt.Fprint(env.Stderr, usage)
		return &exitError{code: ExitUsage, err: errors.New("")}
	}
	verb, rest := global.Arg(0), global.Args()[1:]
	switch verb {
	case "doctor":
		return doctorVerb(ctx, env, *configPath, *kiosk, rest)
	}
	verbs := map[string]func(context.Context, *session, []string) error{
		"login": login, "status": status, "logout": logout,
		"apps": apps, "open": openApp,
	}
	f, ok := verbs[verb]
	if !ok {
		return usageError("unknown verb %q", verb)
	}
	s, err := open(env, *configPath, *kiosk)
	if err != nil {
		return err
	}
	if s.cfg.Kiosk.Enabled && (verb == "login" || verb == "open") {
		return &KioskVerbError{Verb: verb, Path: s.cfg.Path}
	}
	defer s.core.Flush() // a renewed session is still being written
	return f(ctx, s, rest)
}

// KioskVerbError refuses a verb that would sign in or open a browser
// outside a kiosk's window, where none of the kiosk's rules would hold: a
// session kept in the shared account's keyring, a browser nobody closes.
type KioskVerbError struct{ Verb, Path string }

func (e *KioskVerbError) Error() string {
	return fmt.Sprintf("`ssotray %s` is not available on a kiosk (%s turns kiosk mode on): sign in and open apps in the kiosk's window", e.Verb, e.Path)
}

// session is a loaded configuration and its core, for one verb.
type session struct {
	env  Env
	cfg  *config.Config
	core *app.Core
}

func open(env Env, explicit string, kiosk bool) (*session, error) {
	// As the window finds it: a kiosk's file wins, checked as there.
	cfg, err := env.Locator.Open(explicit, kiosk)
	if err != nil {
		return nil, err
	}
	core := app.New(app.Deps{
		// A kiosk's sign-out opens no provider page: its browsers are the
		// window's to close, and none would close one opened from here.
		Kiosk:     cfg.Kiosk.Enabled,
		Config:    cfg,
		Store:     env.Store(),
		RenewLock: renewLock(env),
		Browser:   launch.NewBrowser(cfg.BrowserCommand).Open,
		Now:       env.Now,
		Logger:    env.Logger,
		Announce:  env.Announce,
	})
	return &session{env: env, cfg: cfg, core: core}, nil
}

// now is Env.Now, else the system's clock: the status line counts "today"
// by the clock the core runs on.
func (env Env) now() time.Time {
	if env.Now == nil {
		return time.Now()
	}
	return env.Now()
}

// interruptible is env.Interruptible, or ctx as it is.
func (env Env) interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	if env.Interruptible == nil {
		return ctx, func() {}
	}
	return env.Interruptible(ctx)
}

// renewLock is env's cross-process lock, or none.
func renewLock(env Env) app.RenewLock {
	if env.RenewLock == nil {
		return nil
	}
	return env.RenewLock()
}

func newFlags(verb string) *flag.FlagSet {
	fs := flag.NewFlagSet(verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return usageError("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// notice prints the core's one-line notice, if any, to stderr.
func (s *session) notice() {
	if n := s.core.Status().Notice; n != "" {
		fmt.Fprintln(s.env.Stderr, "ssotray: "+n)
	}
}

func login(ctx context.Context, s *session, args []string) error {
	fs := newFlags("login")
	method := fs.String("method", "", "authentik or navidrome")
	timeout := fs.Duration("timeout", 3*time.Minute, "how long to wait for the browser sign-in")
	username := fs.String("username", "", "Navidrome username")
	passwordStdin := fs.Bool("password-stdin", false, "read the Navidrome password from standard input")
	if err := parse(fs, args); err != nil {
		return err
	}
	m, err := pickMethod(s.core.Methods(), *method)
	if err != nil {
		return err
	}
	opts := app.SignInOptions{
		Timeout: *timeout,
		ShowURL: func(url string) {
			fmt.Fprintf(s.env.Stderr, "If your browser does not open, visit:\n  %s\n", url)
		},
		BrowserFailed: func(err error) {
			fmt.Fprintf(s.env.Stderr, "Could not open a browser: %v; open the address above by hand.\n", err)
		},
	}
	switch m {
	case app.Authentik:
		fmt.Fprintf(s.env.Stderr, "Opening your browser to sign in with %s…\n", m.Title())
	case app.Navidrome:
		if opts.Username, opts.Password, err = s.credentials(ctx, *username, *passwordStdin); err != nil {
			return err
		}
	}
	if err := s.core.SignIn(ctx, m, opts); err != nil {
		return err
	}
	s.notice()
	st := s.core.Status()
	fmt.Fprintln(s.env.Stdout, st.Profile.SignedInAs())
	return nil
}

// credentials gets the Navidrome username and password: from the flags and
// stdin for scripts, or by asking on the terminal (password not echoed). The
// password never comes from the command line, where other users could see it.
func (s *session) credentials(ctx context.Context, username string, passwordStdin bool) (string, string, error) {
	in := bufio.NewReader(s.env.Stdin)
	readLine := func() (string, error) {
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	if passwordStdin && username == "" {
		return "", "", usageError("login: --password-stdin needs --username")
	}
	if !passwordStdin && s.env.ReadPassword == nil {
		return "", "", usageError("login: standard input is not a terminal to ask for the password; pass --username and --password-stdin")
	}
	if username == "" {
		fmt.Fprintf(s.env.Stderr, "Navidrome username at %s: ", s.cfg.Navidrome.ServerURL)
		line, err := interruptible(ctx, readLine)
		if err != nil || strings.TrimSpace(line) == "" {
			return "", "", errors.Join(errors.New("login: no username entered"), ctxErr(ctx))
		}
		username = strings.TrimSpace(line)
	}
	read := readLine
	if s.env.ReadPassword != nil {
		// Typed at a terminal, also with --password-stdin: never echo it.
		read = s.env.ReadPassword
		fmt.Fprintf(s.env.Stderr, "Password for %s: ", username)
		defer fmt.Fprintln(s.env.Stderr)
	}
	password, err := interruptible(ctx, read)
	if err != nil {
		return "", "", errors.Join(errors.New("login: no password entered"), ctxErr(ctx))
	}
	return username, password, nil
}

// interruptible lets Ctrl-C end a prompt that is waiting for a line.
func interruptible(ctx context.Context, read func() (string, error)) (string, error) {
	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := read()
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// ctxErr is the error for a prompt that Ctrl-C ended.
func ctxErr(ctx context.Context) error {
	if ctx.Err() != nil {
		return app.ErrSignInCancelled
	}
	return nil
}

func pickMethod(enabled []app.Method, asked string) (app.Method, error) {
	if asked != "" {
		m := app.Method(asked)
		if m != app.Authentik && m != app.Navidrome {
			return "", usageError("login: --method must be authentik or navidrome, not %q", asked)
		}
		if !slices.Contains(enabled, m) {
			return "", &app.MethodDisabledError{Method: m}
		}
		return m, nil
	}
	if len(enabled) == 1 {
		return enabled[0], nil
	}
	return "", usageError("login: both Authentik and Navidrome sign-in are enabled; choose one with --method authentik or --method navidrome")
}

// statusJSON is the stable shape of `status --json`; it never holds a token.
type statusJSON struct {
	SignedIn  bool       `json:"signed_in"`
	Method    string     `json:"method"`
	Username  string     `json:"username"`
	Name      string     `json:"name"`
	Email     string     `json:"email"`
	Subject   string     `json:"subject"`
	Groups    []string   `json:"groups"`
	Role      string     `json:"role"` // Navidrome's role; "" for Authentik
	ExpiresAt *time.Time `json:"expires_at"`
}

func status(ctx context.Context, s *session, args []string) error {
	fs := newFlags("status")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	// A failed renewal leaves the session shown as signed in; the notice says why.
	_ = s.core.Restore(ctx)
	s.notice()
	st := s.core.Status()
	signedIn := st.State == app.SignedIn
	if *asJSON {
		out := statusJSON{SignedIn: signedIn, Groups: []string{}}
		if signedIn {
			p := st.Profile
			out.Method, out.Username, out.Name, out.Email, out.Subject, out.Role = string(st.Method), p.Username, p.Name, p.Email, p.Subject, p.Role
			if p.Groups != nil {
				out.Groups = p.Groups
			}
			if !st.ExpiresAt.IsZero() {
				t := st.ExpiresAt.UTC().Truncate(time.Second)
				out.ExpiresAt = &t
			}
		}
		enc := json.NewEncoder(s.env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		if signedIn {
			p := st.Profile
			fmt.Fprintf(s.env.Stdout, "Signed in with %s as %s\n", st.Method.Title(), p.DisplayName())
			line(s.env.Stdout, "Username", p.Username)
			line(s.env.Stdout, "Email", p.Email)
			line(s.env.Stdout, "Subject", p.Subject)
			if p.Role != "" {
				line(s.env.Stdout, "Role", p.Role)
			} else {
				line(s.env.Stdout, "Groups", strings.Join(p.Groups, ", "))
			}
			if !st.ExpiresAt.IsZero() {
				line(s.env.Stdout, "Token expires", st.ExpiresAt.Local().Format(time.RFC1123))
			}
			if l := st.SessionLine(s.env.now()); l != "" {
				line(s.env.Stdout, "Session", l)
			}
		} else {
			fmt.Fprintln(s.env.Stdout, "Not signed in.")
		}
	}
	if !signedIn {
		return &exitError{code: 1, err: errors.New("")}
	}
	return nil
}

func line(w io.Writer, label, value string) {
	if value != "" {
		fmt.Fprintf(w, "  %-14s %s\n", label+":", value)
	}
}

// token prints a token for scripts, which may call it often: it asks the
// running tray first (Env.Borrow), while the configuration loads, and only
// then, when the tray has none to lend or one this configuration would not
// use, reads the keyring and renews. Signal handling (a Ctrl-C during a
// renewal must not lose the rotated token) is set up for that part alone:
// it costs as much as the tray's answer.
func token(ctx context.Context, env Env, configPath string, kiosk bool, args []string) error {
	fs := newFlags("token")
	idToken := fs.Bool("id-token", false, "print the ID token instead of the access token")
	if err := parse(fs, args); err != nil {
		return err
	}
	lent := make(chan app.Lent, 1)
	if env.Borrow != nil {
		go func() {
			if l, ok := env.Borrow(*idToken); ok {
				lent <- l
			}
			close(lent)
		}()
	} else {
		close(lent)
	}
	s, err := open(env, configPath, kiosk)
	if err != nil {
		return err
	}
	if l, ok := <-lent; ok && s.core.Borrows(l) {
		fmt.Fprintln(env.Stdout, l.Token)
		return nil
	}
	ctx, stop := env.interruptible(ctx)
	defer stop()
	defer s.core.Flush() // a renewed session is still being written
	if err := s.core.Restore(ctx); err != nil {
		return err
	}
	get := s.core.AccessToken
	if *idToken {
		get = s.core.IDToken
	}
	t, err := get(ctx)
	if errors.Is(err, app.ErrNotSignedIn) {
		s.notice()
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(s.env.Stdout, t)
	return nil
}

func logout(ctx context.Context, s *session, args []string) error {
	fs := newFlags("logout")
	local := fs.Bool("local", false, "only forget the session here; do not open the provider's sign-out page")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !*local {
		fmt.Fprintln(s.env.Stderr, "Signing out…")
	}
	report, err := s.core.SignOut(ctx, app.SignOutOptions{Local: *local})
	if errors.Is(err, app.ErrNotSignedIn) {
		fmt.Fprintln(s.env.Stdout, "Not signed in.")
		return nil
	}
	var forget *app.ForgetError
	if errors.As(err, &forget) {
		return forget
	}
	if err != nil {
		// Locally the person is signed out whatever failed remotely.
		for _, e := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(s.env.Stderr, "ssotray: warning: "+e)
		}
	}
	fmt.Fprintln(s.env.Stdout, report)
	return nil
}

// appJSON is the shape of `apps --json`.
type appJSON struct {
	Name        string `json:"name"`
	URL         string `json:"url"`
	Description string `json:"description"`
}

func apps(ctx context.Context, s *session, args []string) error {
	fs := newFlags("apps")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	_ = s.core.Restore(ctx)
	if s.core.Status().State == app.SignedOut {
		s.notice()
		return app.ErrNotSignedIn
	}
	if err := s.core.LoadExtras(ctx); err != nil {
		fmt.Fprintln(s.env.Stderr, "ssotray: warning: "+oneLine(err))
	}
	list := s.core.Apps()
	if *asJSON {
		out := make([]appJSON, 0, len(list))
		for _, a := range list {
			out = append(out, appJSON{a.Name, a.URL, a.Description})
		}
		enc := json.NewEncoder(s.env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(list) == 0 {
		fmt.Fprintln(s.env.Stdout, "No apps are configured for you.")
	}
	for _, a := range list {
		fmt.Fprintf(s.env.Stdout, "%-20s %s", a.Name, a.URL)
		if a.Description != "" {
			fmt.Fprintf(s.env.Stdout, "  (%s)", a.Description)
		}
		fmt.Fprintln(s.env.Stdout)
	}
	return nil
}

func openApp(ctx context.Context, s *session, args []string) error {
	fs := newFlags("open")
	if err := fs.Parse(args); err != nil {
		return usageError("open: %v", err)
	}
	if fs.NArg() != 1 {
		return usageError("open: name one app, like: ssotray open Music")
	}
	_ = s.core.Restore(ctx)
	_ = s.core.LoadExtras(ctx) // imported apps can be opened too
	return s.core.OpenApp(ctx, fs.Arg(0))
}

func doctorVerb(ctx context.Context, env Env, configPath string, kiosk bool, args []string) error {
	if err := parse(newFlags("doctor"), args); err != nil {
		return err
	}
	// The file the window would read, checked as it would be (with --kiosk
	// the system one, which its user must not be able to change).
	cfg, err := env.Locator.Open(configPath, kiosk)
	if err != nil {
		fmt.Fprintln(env.Stdout, doctor.Finding{Level: doctor.Fail, Check: "configuration", Detail: oneLine(err)})
		return &exitError{code: 1, err: errors.New("")}
	}
	findings := doctor.Run(ctx, cfg, doctor.Deps{Keyring: env.ProbeStore()})
	for _, f := range findings {
		fmt.Fprintln(env.Stdout, f)
	}
	if doctor.Failed(findings) {
		return &exitError{code: 1, err: errors.New("")}
	}
	return nil
}

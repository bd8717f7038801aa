// Command bench measures ssotray against baselines and prints one table:
// every figure is measured in the same run as its baseline, interleaved
// with it, so a busy or slow machine affects both alike. `make bench` runs
// it inside the private desktop session (.ci/desktop-session: Xvfb, D-Bus,
// an unlocked gnome-keyring), after building the programs it compares:
//
//	bench -bin DIR
//
// DIR holds ssotray and ssotray-window (make build), barewindow
// (cmd/bench/barewindow, the bare Fyne window), minimal (cmd/bench/minimal,
// a Go program that prints a line) and testbrowser
// (oidc/oidctest/testbrowser, Chromium driven through chromedp). Everything runs on loopback against oidc/oidctest.
//
// Exit status: 0 when every target is met, 1 when a figure misses its
// target, 2 when something could not be measured at all.
//
// Like cmd/devidp this is development tooling: it links the test OpenID
// provider, and ssotray itself must never import it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc/oidctest"
)

func main() {
	b := &bench{}
	flag.StringVar(&b.binDir, "bin", "bin", "directory holding ssotray, ssotray-window, barewindow, minimal and testbrowser")
	flag.IntVar(&b.startRuns, "startup-runs", 41, "start-ups of each program (the median counts): one start-up varies by about 20 ms, so fewer leave a median a few per cent off")
	flag.IntVar(&b.tokenRuns, "token-runs", 41, "runs of `ssotray token` and of `ssotray version`")
	flag.IntVar(&b.refreshRuns, "refresh-runs", 51, "silent refreshes and bare refresh requests")
	flag.IntVar(&b.signInRuns, "signin-runs", 3, "browser sign-ins with ssotray and without")
	// A tray that wakes once every few seconds would stay under 0.1 % over
	// a short period; a minute shows it.
	flag.DurationVar(&b.idleCPU, "idle-cpu", 60*time.Second, "how long idle CPU is measured")
	only := flag.String("only", "", "comma-separated phases to run ("+strings.Join(b.phaseNames(), ",")+"); all when empty: to look into one row without the whole run")
	flag.Parse()
	if err := b.choose(*only); err != nil {
		say("%v", err)
		os.Exit(exitNoFigure)
	}
	os.Exit(b.run())
}

// Exit statuses, so a script (and make) can tell a missed target from a
// broken measurement.
const (
	exitMet      = 0
	exitMissed   = 1
	exitNoFigure = 2
)

type bench struct {
	binDir                                        string
	startRuns, tokenRuns, refreshRuns, signInRuns int
	idleCPU                                       time.Duration
	ssotray, window, bare, minimal, browser       string
	env                                           []string // for every program run
	tmp                                           string
	frames                                        *frames
	bus                                           *dbus.Conn
	trayHost                                      *proc
	keyring                                       *tokenstore.Keyring
	live, short                                   *oidctest.Provider
	liveConfig, shortConfig, downConfig           string
	downSession                                   *tokenstore.Session
	rows                                          []row
	only                                          map[string]bool // the phases to run; nil: all
}

// phase is a part of a run.
type phase struct {
	name string
	run  func(context.Context)
}

// phases are the parts of a run, in the order they run.
func (b *bench) phases() []phase {
	return []phase{
		{"sizes", func(context.Context) { b.sizes() }},
		{"startup", b.startup},
		{"token", b.token},
		{"refresh", b.refresh},
		{"signin", b.signIn},
		{"idle", b.idle},
	}
}

func (b *bench) phaseNames() []string {
	var names []string
	for _, p := range b.phases() {
		names = append(names, p.name)
	}
	return names
}

// choose sets the phases to run from -only (none: all).
func (b *bench) choose(only string) error {
	if only == "" {
		return nil
	}
	b.only = map[string]bool{}
	for _, name := range strings.Split(only, ",") {
		if !slices.Contains(b.phaseNames(), name) {
			return fmt.Errorf("-only: no phase %q (there are %s)", name, strings.Join(b.phaseNames(), ", "))
		}
		b.only[name] = true
	}
	return nil
}

// progress goes to stderr, the table to stdout.
func say(format string, args ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...) }

func (b *bench) run() int {
	if os.Getenv("SSOTRAY_TEST_DESKTOP") != "1" {
		say("needs the private desktop session (Xvfb, D-Bus, gnome-keyring): run `make bench`")
		return exitNoFigure
	}
	defer b.tearDown()
	if err := b.setUp(); err != nil {
		say("%v", err)
		return exitNoFigure
	}
	ctx := context.Background()

	for _, p := range b.phases() {
		if b.only == nil || b.only[p.name] {
			p.run(ctx)
		}
	}

	printTable(os.Stdout, b)
	code := exitMet
	for _, r := range b.rows {
		switch {
		case r.err != nil:
			code = exitNoFigure
		case !r.met() && code == exitMet:
			code = exitMissed
		}
	}
	return code
}

// figure is what one side of a row measured.
type figure struct {
	v    float64
	unit string // "ms", "MiB", "%"
}

type row struct {
	name              string
	ssotray, baseline figure
	// maxRatio is the target ssotray/baseline ≤ maxRatio; maxValue a target
	// on ssotray's figure alone (value ≤ maxValue), in its unit. A row with
	// both must meet both; with neither it is informational.
	maxRatio, maxValue float64
	err                error
}

func (r row) ratio() float64 {
	if r.baseline.v == 0 {
		return math.NaN()
	}
	return r.ssotray.v / r.baseline.v
}

func (r row) informational() bool { return r.maxRatio == 0 && r.maxValue == 0 }

func (r row) met() bool {
	return r.err == nil &&
		(r.maxRatio == 0 || r.ratio() <= r.maxRatio) &&
		(r.maxValue == 0 || r.ssotray.v <= r.maxValue)
}

// target is the target column: the ratio's, the figure's, or both.
func (r row) target() string {
	var t []string
	if r.maxRatio != 0 {
		t = append(t, fmt.Sprintf("≤ %.2f×", r.maxRatio))
	}
	if r.maxValue != 0 {
		t = append(t, "≤ "+format(figure{r.maxValue, r.ssotray.unit}))
	}
	if len(t) == 0 {
		return "-"
	}
	return strings.Join(t, ", ")
}

func (b *bench) add(r row) {
	if r.err != nil {
		say("%s: %v", r.name, r.err)
	}
	b.rows = append(b.rows, r)
}

func (b *bench) setUp() error {
	var err error
	progs := map[*string]string{&b.ssotray: "ssotray", &b.window: "ssotray-window", &b.bare: "barewindow", &b.minimal: "minimal", &b.browser: "testbrowser"}
	for p, name := range progs {
		*p = filepath.Join(b.binDir, name)
		if *p, err = filepath.Abs(*p); err != nil {
			return err
		}
		if _, err := os.Stat(*p); err != nil {
			return fmt.Errorf("%s is missing: build it first (make bench does)", *p)
		}
	}
	if b.tmp, err = os.MkdirTemp("", "ssotray-bench"); err != nil {
		return err
	}
	// Fyne logs a locale error under the C locale, which machines without
	// a locale setting have; and a developer's SSOTRAY_DEBUG would add the
	// cost of logging to ssotray's figures.
	b.env = append(os.Environ(), "LANG=en_US.UTF-8", "SSOTRAY_DEBUG=")
	if b.frames, err = openFrames(); err != nil {
		return err
	}
	if b.bus, err = dbus.SessionBus(); err != nil {
		return fmt.Errorf("the session bus: %w", err)
	}
	// The whole run has a tray host, as a desktop with a panel has: ssotray
	// then registers its tray icon at every start, as it would for real.
	if b.trayHost, err = startTrayHost(b.bus); err != nil {
		return err
	}
	b.keyring = tokenstore.NewKeyring()
	if err := b.keyring.Delete(); err != nil {
		return fmt.Errorf("the keyring does not work: %w", err)
	}

	// live issues access tokens valid for 5 minutes, so a stored session
	// is used without asking the provider; short's 30 s tokens are always
	// within ssotray's 30 s renewal margin, so every use renews them.
	if b.live, err = startProvider(5 * time.Minute); err != nil {
		return err
	}
	if b.short, err = startProvider(30 * time.Second); err != nil {
		return err
	}
	if b.liveConfig, err = writeConfig(b.tmp, "live", b.live.URL(), b.browser); err != nil {
		return err
	}
	if b.shortConfig, err = writeConfig(b.tmp, "short", b.short.URL(), b.browser); err != nil {
		return err
	}
	// A provider that was there when the person signed in and is gone now:
	// its port is closed, so every connection is refused at once.
	down, err := startProvider(30 * time.Second)
	if err != nil {
		return err
	}
	defer down.Close()
	if b.downConfig, err = writeConfig(b.tmp, "down", down.URL(), b.browser); err != nil {
		return err
	}
	b.downSession, err = signIn(context.Background(), b.downConfig)
	return err
}

// tearDown undoes whatever setUp got to.
func (b *bench) tearDown() {
	if b.keyring != nil {
		_ = b.keyring.Delete()
	}
	for _, p := range []*oidctest.Provider{b.live, b.short} {
		if p != nil {
			_ = p.Close()
		}
	}
	if b.frames != nil {
		b.frames.Close()
	}
	if b.trayHost != nil {
		b.trayHost.stop()
	}
	if b.tmp != "" {
		_ = os.RemoveAll(b.tmp)
	}
}

func (b *bench) sizes() {
	var sz [3]int64
	var err error
	for i, p := range []string{b.ssotray, b.window, b.bare} {
		var fi os.FileInfo
		if fi, err = os.Stat(p); err != nil {
			break
		}
		sz[i] = fi.Size()
	}
	b.add(row{name: "binary size, ssotray: verbs + tray, pure Go (vs bare Fyne window)", ssotray: mib(sz[0]), baseline: mib(sz[2]), err: err})
	b.add(row{name: "binary size, ssotray-window (vs bare Fyne window)", ssotray: mib(sz[1]), baseline: mib(sz[2]), err: err})
}

func mib(n int64) figure { return figure{float64(n) / (1 << 20), "MiB"} }

func ms(d time.Duration) figure { return figure{float64(d) / float64(time.Millisecond), "ms"} }

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// rotated gives the order of round i: who goes first changes every round,
// so no program always inherits a cold cache or a busy moment.
func rotated[T any](xs []T, i int) []T {
	k := ((i % len(xs)) + len(xs)) % len(xs)
	return append(slices.Clone(xs[k:]), xs[:k]...)
}

// refreshes counts the refresh requests a provider has answered.
func refreshes(p *oidctest.Provider) int {
	n := 0
	for _, e := range p.Events() {
		if e.Kind == "token" && e.Detail["grant_type"] == "refresh_token" {
			n++
		}
	}
	return n
}

// tempDir is a fresh directory under the run's temporary directory.
func (b *bench) tempDir() (string, error) { return os.MkdirTemp(b.tmp, "run") }

func printTable(w io.Writer, b *bench) {
	type line [6]string
	lines := []line{{"figure", "ssotray", "baseline", "ratio", "target", "ok"}}
	for _, r := range b.rows {
		l := line{r.name, "-", "-", "-", r.target(), "-"}
		switch {
		case r.err != nil:
			l[5] = "ERROR"
		default:
			l[1], l[2] = format(r.ssotray), format(r.baseline)
			if x := r.ratio(); !math.IsNaN(x) {
				l[3] = fmt.Sprintf("%.2f×", x)
			}
			switch {
			case r.informational():
				l[5] = "info"
			case r.met():
				l[5] = "yes"
			default:
				l[5] = "NO"
			}
		}
		lines = append(lines, l)
	}
	var width [6]int
	for _, l := range lines {
		for i, c := range l {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	fmt.Fprintf(w, "\nssotray benchmarks: medians, each interleaved with its baseline in this run\n"+
		"(start-up and window from the tray %d runs, token %d, refresh %d, sign-in %d; idle CPU over %s)\n\n",
		b.startRuns, b.tokenRuns, b.refreshRuns, b.signInRuns, b.idleCPU)
	for i, l := range lines {
		var cells []string
		for j, c := range l {
			pad := strings.Repeat(" ", width[j]-len([]rune(c)))
			if j == 0 || j == 5 {
				cells = append(cells, c+pad)
			} else {
				cells = append(cells, pad+c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(strings.Join(cells, "  "), " "))
		if i == 0 {
			fmt.Fprintln(w, strings.Repeat("-", sum(width[:])+2*(len(width)-1)))
		}
	}
	fmt.Fprint(w, legend)
	for _, r := range b.rows {
		if r.err != nil {
			fmt.Fprintf(w, "ERROR %s: %v\n", r.name, r.err)
		}
	}
}

// legend says how each figure is taken, so the table can be read alone.
const legend = `
start-up   exec until the first frame is drawn into the window (X DAMAGE on Xvfb),
           whichever process draws it (ssotray's window is its child process
           ssotray-window); ssotray signed in with an access token due for
           renewal, a tray host running; baseline cmd/bench/barewindow, a Fyne
           label in a window of ssotray's size. "down": the provider's port is
           closed.
token      whole process, the session in gnome-keyring, with ssotray --background
           running (it lends its token over the per-user socket) and with no
           tray; baseline the same binary printing its version, whose own
           baseline is cmd/bench/minimal, a Go program that prints a line.
refresh    in process, through ssotray's core as the window renews (new tokens,
           ID-token check) until the caller has the token; the keyring write
           that follows in the background is its own row. Baseline one plain
           refresh_token POST.
sign-in    Chromium through testbrowser: exec of ssotray login until it exits
           signed in; baseline the same browser doing authorize + token for a
           plain loopback client, until the token answer.
idle       side by side over the same period, signed in with their icon in the
           tray: ssotray started plainly (tray + window process, summed),
           ssotray --background (the tray alone), the bare Fyne window.
from tray  the dbusmenu click on "Show ssotray" in the tray alone until the new
           window process's first frame; the window is closed between rounds.
"ok": yes = target met, NO = missed, info = no target.

`

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func format(f figure) string {
	switch {
	case f.unit == "ms" && f.v < 10:
		return fmt.Sprintf("%.2f ms", f.v)
	case f.unit == "ms" && f.v >= 1000:
		return fmt.Sprintf("%.2f s", f.v/1000)
	case f.unit == "%":
		return fmt.Sprintf("%.2f %%", f.v)
	}
	return fmt.Sprintf("%.1f %s", f.v, f.unit)
}

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ssotray/ssotray/app"
	"github.com/ssotray/ssotray/app/renewlock"
	"github.com/ssotray/ssotray/app/tokenstore"
	"github.com/ssotray/ssotray/oidc"
)

const frameTimeout = 30 * time.Second

// interleave measures every kind once per round, in an order that rotates
// from round to round, so no kind always runs first (into a cold cache) or
// right after a heavy one. The first warm rounds are not counted. measure
// returns the figure of one run, usually its wall time (see timed).
func interleave(phase string, rounds, warm int, kinds []string, measure func(kind string) (time.Duration, error)) (map[string][]time.Duration, error) {
	times := map[string][]time.Duration{}
	say("%s: %d runs of each of %s", phase, rounds, strings.Join(kinds, ", "))
	for i := -warm; i < rounds; i++ {
		for _, k := range rotated(kinds, i) {
			d, err := measure(k)
			if err != nil {
				return times, fmt.Errorf("%s: %w", k, err)
			}
			if i >= 0 {
				times[k] = append(times[k], d)
			}
		}
	}
	return times, nil
}

func timed(f func() error) (time.Duration, error) {
	start := time.Now()
	err := f()
	return time.Since(start), err
}

// startup: exec to first frame of ssotray's window and of the bare Fyne
// window. ssotray starts signed in with an access token due for renewal,
// the usual state after a login to the desktop: it has to ask the provider
// at once, which is where a slow or missing provider could hold the window
// up. Once with the provider up, once with it down (a closed port).
func (b *bench) startup(ctx context.Context) {
	times, err := interleave("start-up", b.startRuns, 1, []string{"bare", "up", "down", "window"}, func(k string) (time.Duration, error) {
		return b.startOnce(ctx, k)
	})
	bare, up, down := ms(median(times["bare"])), ms(median(times["up"])), ms(median(times["down"]))
	b.add(row{name: "start-up to first frame, provider up (vs bare Fyne)", ssotray: up, baseline: bare, maxRatio: 1.15, err: err})
	// Where the time goes: the window's program started alone (then it is
	// the instance itself) against the whole, whose difference is the
	// tray's process, which starts it.
	b.add(row{name: "  of which ssotray-window alone, exec to first frame", ssotray: ms(median(times["window"])), baseline: bare, err: err})
	b.add(row{name: "start-up to first frame, provider down (vs bare Fyne)", ssotray: down, baseline: bare, maxRatio: 1.15, err: err})
	// "Unchanged" allows for the noise of a window start-up: medians of
	// the same program differ by a few per cent from run to run.
	b.add(row{name: "start-up, provider down vs provider up", ssotray: down, baseline: up, maxRatio: 1.10, err: err})
}

func (b *bench) startOnce(ctx context.Context, kind string) (time.Duration, error) {
	var cmd *exec.Cmd
	var before int
	var err error
	switch kind {
	case "bare":
		cmd = exec.Command(b.bare)
		cmd.Env = b.env
	case "up", "window":
		// A new session each time: a run stopped at its first frame may have
		// rotated the last one's refresh token without storing the new one.
		var s *tokenstore.Session
		if s, err = signIn(ctx, b.shortConfig); err == nil {
			err = b.keyring.Save(s)
		}
		if err != nil {
			return 0, err
		}
		before = refreshes(b.short)
		prog := b.ssotray
		if kind == "window" {
			prog = b.window
		}
		cmd, err = b.command(prog, "--config", b.shortConfig)
	case "down":
		if err = b.keyring.Save(b.downSession); err != nil {
			return 0, err
		}
		cmd, err = b.command(b.ssotray, "--config", b.downConfig)
	}
	if err != nil {
		return 0, err
	}
	p, d, err := b.frames.launch(cmd, frameTimeout)
	if err != nil {
		return 0, err
	}
	defer p.stop()
	if kind == "up" {
		// Not timed: the check that the start really renewed the session.
		for deadline := time.Now().Add(10 * time.Second); refreshes(b.short) == before; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				return 0, fmt.Errorf("ssotray did not renew its session at start, so it did not contact the provider as this figure claims; its output:\n%s", p.output())
			}
		}
	}
	return d, nil
}

// command is one of ssotray's programs as a desktop starts it, with a
// runtime directory of its own: ssotray's one-instance socket lives there,
// so every start is the first instance.
func (b *bench) command(prog string, args ...string) (*exec.Cmd, error) {
	run, err := b.tempDir()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(prog, args...)
	cmd.Env = append(slices.Clone(b.env), "XDG_RUNTIME_DIR="+run)
	return cmd, nil
}

// token: `ssotray token` with a valid session in the keyring, as a script
// runs it (the whole process), against `ssotray version`, the same binary
// doing nothing. Twice: with the tray running (`ssotray --background`, as
// autostart has it on a desktop), which lends the token it holds over the
// per-user socket, and with no tray, when the verb reads the keyring
// itself. And `ssotray version` against a minimal Go program that prints a
// line (cmd/bench/minimal): the difference is what ssotray's packages do
// before main runs, which every verb pays.
func (b *bench) token(ctx context.Context) {
	name := "`ssotray token`, valid stored session, tray running (vs `ssotray version`)"
	alone := "`ssotray token`, valid stored session, no tray (vs `ssotray version`)"
	versionName := "`ssotray version` (vs a minimal Go program printing a line)"
	fail := func(err error) {
		for _, n := range []string{name, alone, versionName} {
			b.add(row{name: n, err: err})
		}
	}
	s, err := signIn(ctx, b.liveConfig)
	if err == nil {
		err = b.keyring.Save(s)
	}
	if err != nil {
		fail(err)
		return
	}
	tray, trayEnv, err := b.lendingTray(ctx, s.AccessToken)
	if tray != nil {
		defer tray.stop()
	}
	if err != nil {
		fail(err)
		return
	}
	before := refreshes(b.live)
	times, err := interleave("token", b.tokenRuns, 2, []string{"token", "alone", "version", "minimal", "keyring"}, func(k string) (time.Duration, error) {
		return timed(func() error {
			switch k {
			case "token":
				return b.runPrinting(ctx, trayEnv, s.AccessToken+"\n", b.ssotray, "--config", b.liveConfig, "token")
			case "alone":
				return b.runPrinting(ctx, b.env, s.AccessToken+"\n", b.ssotray, "--config", b.liveConfig, "token")
			case "version":
				return b.runPrinting(ctx, b.env, "ssotray ", b.ssotray, "--config", b.liveConfig, "version")
			case "minimal":
				return b.runPrinting(ctx, b.env, "minimal", b.minimal)
			}
			_, err := b.keyring.Load()
			return err
		})
	})
	if err == nil && refreshes(b.live) != before {
		err = errors.New("`ssotray token` renewed a valid session; the figure would not be the one asked for")
	}
	if err == nil {
		err = b.stillLends(ctx, trayEnv, s.AccessToken)
	}
	version := ms(median(times["version"]))
	b.add(row{name: name, ssotray: ms(median(times["token"])), baseline: version, maxRatio: 1.5, err: err})
	b.add(row{name: alone, ssotray: ms(median(times["alone"])), baseline: version, err: err})
	// Where the time goes without a tray: the Secret Service lookups,
	// measured here over a bus connection that is already open.
	b.add(row{name: "  of which reading the session from the keyring", ssotray: ms(median(times["keyring"])), baseline: version, err: err})
	b.add(row{name: versionName, ssotray: version, baseline: ms(median(times["minimal"])), maxRatio: 2, err: err})
}

// lendingTray starts `ssotray --background` signed in, and waits until it
// lends token; env reaches it (its runtime directory).
func (b *bench) lendingTray(ctx context.Context, token string) (*proc, []string, error) {
	cmd, err := b.command(b.ssotray, "--config", b.liveConfig, "--background")
	if err != nil {
		return nil, nil, err
	}
	tray, err := startProc(cmd)
	if err != nil {
		return nil, nil, err
	}
	env := cmd.Env
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		err := b.stillLends(ctx, env, token)
		if err == nil {
			return tray, env, nil
		}
		if time.Now().After(deadline) {
			return tray, nil, fmt.Errorf("%w; its output:\n%s", err, tray.output())
		}
	}
}

// stillLends checks that the tray reached with env answers `ssotray token`:
// run with the keyring out of reach, only the tray can.
func (b *bench) stillLends(ctx context.Context, env []string, token string) error {
	noKeyring := append(slices.Clone(env), "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent")
	if err := b.runPrinting(ctx, noKeyring, token+"\n", b.ssotray, "--config", b.liveConfig, "token"); err != nil {
		return fmt.Errorf("the tray does not lend its token to `ssotray token`: %w", err)
	}
	return nil
}

// runPrinting runs a program to its end and checks that its output starts
// with want.
func (b *bench) runPrinting(ctx context.Context, env []string, want, prog string, args ...string) error {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: %s", err, errb.String())
	}
	if !strings.HasPrefix(out.String(), want) {
		return fmt.Errorf("%s %s printed something else than expected", filepath.Base(prog), strings.Join(args, " "))
	}
	return nil
}

// refresh: the silent refresh as the running window does it (the core's
// KeepFresh; `ssotray token` does the same when the token is stale): the
// core, with the provider discovered and its keys fetched, asks for new
// tokens, checks the new ID token and hands the token out, while the
// session is written to the keyring in the background (not timed, and
// finished before the next measurement).
// Against one bare refresh POST to the same token endpoint. Both run in
// this process over kept-alive loopback connections. Two more kinds show
// where the time goes: the oidc package's part alone, and the keyring
// write alone.
func (b *bench) refresh(ctx context.Context) {
	name := "silent refresh in the core, until the caller has the token (vs bare POST)"
	fail := func(err error) { b.add(row{name: name, err: err}) }
	core, err := newCore(b.shortConfig, b.keyring, newFormBrowser().open)
	if err == nil {
		err = core.SignIn(ctx, app.Authentik, app.SignInOptions{Timeout: 20 * time.Second})
	}
	if err != nil {
		fail(err)
		return
	}
	d, err := newDirect(ctx, b.short)
	var t *tokenResponse
	if err == nil {
		t, err = d.signIn(ctx, func(u string) error { return newFormBrowser().open(ctx, u) })
	}
	if err != nil {
		fail(err)
		return
	}
	rt := t.RefreshToken
	chain, err := signIn(ctx, b.shortConfig)
	var oc *oidc.Client
	if err == nil {
		oc, err = oidc.Discover(ctx, oidc.Config{ServerURL: b.short.URL(), Slug: "ssotray", ClientID: clientID})
	}
	if err != nil {
		fail(err)
		return
	}
	// An entry of its own, so the core's stored session is left alone; the
	// session written is of the same size.
	kr := &tokenstore.Keyring{Backend: tokenstore.System{}, Service: "ssotray-bench", Account: "session", MaxEntry: tokenstore.MaxEntryFor(runtime.GOOS)}
	defer func() { _ = kr.Delete() }()
	prev := ""
	// The warm round is the core's first renewal, which discovers the
	// provider and fetches its keys, as the window's first one does.
	lock, err := renewlock.Open(os.Getenv)
	if err != nil {
		fail(err)
		return
	}
	times, err := interleave("refresh", b.refreshRuns, 1, []string{"core", "bare", "oidc", "keyring", "lock"}, func(k string) (time.Duration, error) {
		// The core hands out the token while its keyring write goes on; that
		// write must not overlap the next measurement, baseline or not.
		defer core.Flush()
		return timed(func() (err error) {
			switch k {
			case "core":
				var tok string
				if tok, err = core.AccessToken(ctx); err == nil && tok == prev {
					err = errors.New("the core handed out the old token instead of renewing it")
				}
				prev = tok
			case "bare":
				rt, err = d.refresh(ctx, rt)
			case "oidc":
				var s *oidc.Session
				if s, err = oc.Refresh(ctx, chain.RefreshToken, oidc.Previous{Subject: chain.Subject, AuthTime: chain.AuthTime, IDToken: chain.IDToken}); err == nil {
					chain.RefreshToken, chain.AccessToken, chain.IDToken = s.Tokens.RefreshToken, s.Tokens.AccessToken, s.Tokens.IDToken
				}
			case "keyring":
				err = kr.Save(chain)
			case "lock":
				var unlock func()
				if unlock, err = lock.Lock(ctx); err == nil {
					_, err = b.keyring.Load()
					unlock()
				}
			}
			return err
		})
	})
	bare := ms(median(times["bare"]))
	b.add(row{name: name, ssotray: ms(median(times["core"])), baseline: bare, maxRatio: 1.3, err: err})
	b.add(row{name: "  of which request + ID-token check (oidc.Client.Refresh)", ssotray: ms(median(times["oidc"])), baseline: bare, err: err})
	b.add(row{name: "  only after another process changed it: the lock and a keyring read", ssotray: ms(median(times["lock"])), baseline: bare, err: err})
	b.add(row{name: "  of which the keyring write (tokenstore.Keyring.Save)", ssotray: ms(median(times["keyring"])), baseline: bare, err: err})
}

// signIn: `ssotray login` with Chromium (testbrowser) as the browser, until
// ssotray has exited signed in, against the provider's own authorize and
// token round trip in the same automated browser, until the token answer.
// Informational: Chromium's start dominates both.
func (b *bench) signIn(ctx context.Context) {
	name := "browser sign-in, Chromium (vs provider's own authorize+token)"
	d, err := newDirect(ctx, b.live)
	if err != nil {
		b.add(row{name: name, err: err})
		return
	}
	times, err := interleave("browser sign-in", b.signInRuns, 1, []string{"ssotray", "direct"}, func(k string) (time.Duration, error) {
		return b.signInOnce(ctx, k, d)
	})
	b.add(row{name: name, ssotray: ms(median(times["ssotray"])), baseline: ms(median(times["direct"])), err: err})
}

func (b *bench) signInOnce(ctx context.Context, kind string, d *direct) (time.Duration, error) {
	run, err := b.tempDir()
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(run)
	pidFile := filepath.Join(run, "browser.pid")
	// A fresh Chromium profile each time (testbrowser's default): no
	// session cookie, so the login form is filled in on every run.
	env := append(append([]string{}, b.env...), "TESTBROWSER_USERNAME="+alice.Username, "TESTBROWSER_PASSWORD="+alice.Password, "TESTBROWSER_PIDFILE="+pidFile)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var took time.Duration
	switch kind {
	case "ssotray":
		cmd := exec.CommandContext(ctx, b.ssotray, "--config", b.liveConfig, "login", "--timeout", "90s")
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("%w: %s", err, out.String())
		}
		took = time.Since(start)
	case "direct":
		var p *proc
		var start time.Time
		_, err := d.signIn(ctx, func(u string) error {
			cmd := exec.Command(b.browser, u)
			cmd.Env = env
			start = time.Now()
			var err error
			p, err = startProc(cmd)
			return err
		})
		took = time.Since(start)
		if err != nil {
			if p != nil {
				p.stop()
			}
			return 0, err
		}
	}
	// Not timed: the browser finishes its page and quits before the next
	// run, so two Chromiums never compete.
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, fmt.Errorf("testbrowser did not start: %w", err)
	}
	browserPID, err := strconv.Atoi(strings.TrimSpace(string(pid)))
	if err != nil {
		return 0, fmt.Errorf("testbrowser's pid file: %w", err)
	}
	for deadline := time.Now().Add(30 * time.Second); !gone(browserPID); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return 0, errors.New("the browser did not finish within 30s")
		}
	}
	return took, nil
}

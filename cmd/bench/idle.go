package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// The rows of the idle phase and of the window shown from the tray, in
// table order; idle fills in the figures.
const (
	openRSS = iota
	openCPU
	trayRSS
	trayCPU
	trayShow
)

func (b *bench) idleRows() []row {
	return []row{
		openRSS:  {name: "window open: RSS after 10 s, tray + window process (vs bare Fyne)", maxRatio: 1.25},
		openCPU:  {name: fmt.Sprintf("window open: CPU over %s, tray + window process (vs bare Fyne)", b.idleCPU), maxRatio: 1.25},
		trayRSS:  {name: "in the tray, window closed: RSS after 10 s (vs bare Fyne)", maxRatio: 0.25, maxValue: 30},
		trayCPU:  {name: fmt.Sprintf("in the tray, window closed: CPU over %s, of one core (bare Fyne alongside)", b.idleCPU), maxValue: 0.1},
		trayShow: {name: "window shown from the tray: click to first frame (vs bare Fyne start-up)", maxRatio: 1.2},
	}
}

// idle: three programs side by side, all left alone over the same period,
// so one busy moment of the machine affects all alike and the run waits
// only once: ssotray started plainly (its tray process and the window
// process it starts), ssotray --background (the tray alone, as autostart
// at login starts it), and the bare Fyne window. Both ssotrays are signed
// in with their icon in the tray. RSS 10 s after they are up, then CPU
// over the next idleCPU. Nothing happens meanwhile: the access token is
// valid for minutes, so not even a renewal is due.
// Then the tray alone serves the rounds of the window shown from the tray.
func (b *bench) idle(ctx context.Context) {
	rows := b.idleRows()
	defer func() {
		for _, r := range rows {
			b.add(r)
		}
	}()
	fail := func(err error) {
		for i := range rows {
			rows[i].err = err
		}
	}
	say("idle, %s", 10*time.Second+b.idleCPU)
	i, err := b.startIdlers(ctx)
	defer i.stop()
	if err != nil {
		fail(err)
		return
	}
	time.Sleep(10 * time.Second)
	open, tray, bare := group{i.open.pid()}, group{i.tray.pid()}, group{i.bare.pid()}
	// The window process of the plain start; the tray alone has none.
	kids := children(i.open.pid())
	if len(kids) != 1 {
		fail(fmt.Errorf("ssotray started plainly has %d window processes, want 1\n%s", len(kids), i.open.output()))
		return
	}
	open = append(open, kids...)
	if kids := children(i.tray.pid()); len(kids) != 0 {
		fail(fmt.Errorf("ssotray --background started a window although a tray host runs\n%s", i.tray.output()))
		return
	}
	var errs []error
	mem := func(g group) figure { n, err := g.rss(); errs = append(errs, err); return mib(n) }
	rows[openRSS].ssotray, rows[openRSS].baseline = mem(open), mem(bare)
	rows[trayRSS].ssotray, rows[trayRSS].baseline = mem(tray), mem(bare)
	cpu, err := cpuOver(b.idleCPU, open, tray, bare)
	if err = errors.Join(append(errs, err)...); err != nil {
		fail(err)
		return
	}
	rows[openCPU].ssotray, rows[openCPU].baseline = cpu[0], cpu[2]
	rows[trayCPU].ssotray, rows[trayCPU].baseline = cpu[1], cpu[2]

	i.open.stop()
	i.bare.stop()
	rows[trayShow] = b.showFromTray(ctx, i.tray, i.trayMenu, rows[trayShow])
}

// idlers are the programs of the idle phase.
type idlers struct {
	open, tray, bare *proc
	trayMenu         *trayMenu
}

func (i *idlers) stop() {
	for _, p := range []*proc{i.open, i.tray, i.bare} {
		if p != nil {
			p.stop()
		}
	}
}

func (b *bench) startIdlers(ctx context.Context) (*idlers, error) {
	i := &idlers{}
	s, err := signIn(ctx, b.liveConfig)
	if err == nil {
		err = b.keyring.Save(s)
	}
	if err != nil {
		return i, err
	}
	cmd, err := b.command(b.ssotray, "--config", b.liveConfig)
	if err != nil {
		return i, err
	}
	if i.open, _, err = b.frames.launch(cmd, frameTimeout); err != nil {
		return i, err
	}
	if cmd, err = b.command(b.ssotray, "--config", b.liveConfig, "--background"); err != nil {
		return i, err
	}
	if i.tray, err = startProc(cmd); err != nil {
		return i, err
	}
	cmd = exec.Command(b.bare)
	cmd.Env = b.env
	if i.bare, _, err = b.frames.launch(cmd, frameTimeout); err != nil {
		return i, err
	}
	if _, err := b.signedInTray(i.open); err != nil {
		return i, err
	}
	i.trayMenu, err = b.signedInTray(i.tray)
	return i, err
}

// signedInTray waits until p's icon is in the tray and its menu says that
// someone is signed in (the stored session restored), and returns the menu.
func (b *bench) signedInTray(p *proc) (*trayMenu, error) {
	m, err := waitTrayMenu(b.bus, p.pid(), 15*time.Second)
	if err == nil {
		err = m.waitSignedIn(15 * time.Second)
	}
	if err != nil {
		return nil, fmt.Errorf("%w\nssotray's output:\n%s", err, p.output())
	}
	return m, nil
}

// group is the processes one figure covers: a program and the window
// process it started.
type group []int

// rss is the group's resident memory, summed: pages shared between the
// processes count twice, as they would if the two were separate programs.
func (g group) rss() (int64, error) { return summed(g, rss) }

func (g group) cpu() (time.Duration, error) { return summed(g, cpuTime) }

// summed adds up a figure over the group's processes.
func summed[T int64 | time.Duration](g group, figure func(pid int) (T, error)) (T, error) {
	var total T
	for _, pid := range g {
		n, err := figure(pid)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// cpuOver is the CPU each group uses over the same period d, in per cent
// of one core.
func cpuOver(d time.Duration, groups ...group) ([]figure, error) {
	before := make([]time.Duration, len(groups))
	for i, g := range groups {
		var err error
		if before[i], err = g.cpu(); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	time.Sleep(d)
	wall := time.Since(start)
	figs := make([]figure, len(groups))
	for i, g := range groups {
		after, err := g.cpu()
		if err != nil {
			return nil, err
		}
		figs[i] = figure{100 * float64(after-before[i]) / float64(wall), "%"}
	}
	return figs, nil
}

// showFromTray fills in r: in the tray alone, from the click on "Show
// ssotray" (a dbusmenu event, as a panel sends it) until the first frame
// of the window process it starts, against the bare Fyne window's
// start-up, interleaved. Every click starts a window process afresh:
// between rounds the window is closed as a person closes it, and its
// process has ended.
func (b *bench) showFromTray(ctx context.Context, tray *proc, menu *trayMenu, r row) row {
	times, err := interleave("window from the tray", b.startRuns, 1, []string{"bare", "tray"}, func(k string) (time.Duration, error) {
		if k == "bare" {
			return b.startOnce(ctx, k)
		}
		return b.showOnce(tray, menu)
	})
	r.ssotray, r.baseline, r.err = ms(median(times["tray"])), ms(median(times["bare"])), err
	return r
}

func (b *bench) showOnce(tray *proc, menu *trayMenu) (time.Duration, error) {
	click := func() (<-chan struct{}, error) { return tray.done, menu.click("Show ssotray") }
	owns := func(pid int) bool { return pid != tray.pid() && descends(pid, tray.pid()) }
	d, win, err := b.frames.first(click, owns, frameTimeout)
	var pid int
	if err == nil {
		pid = b.frames.pidOf(win)
		err = b.frames.close(win)
	}
	// Not timed: the window's process ends once its window is closed, and
	// the tray collects it. Until then the tray counts the window as open,
	// and a click would only ask the closing window to show itself.
	for deadline := time.Now().Add(10 * time.Second); err == nil && !reaped(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			err = errors.New("the window's process did not end within 10s of its window closing")
		}
	}
	if err != nil {
		return 0, fmt.Errorf("%w; the tray's output:\n%s", err, tray.output())
	}
	// A person does not click again within milliseconds of closing; and
	// the tray takes note of the ended process just after collecting it.
	time.Sleep(100 * time.Millisecond)
	return d, nil
}

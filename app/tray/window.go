package tray

import (
	"cmp"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/ssotray/ssotray/app/instance"
	"github.com/ssotray/ssotray/app/ownenv"
)

// Process is a running window process.
type Process interface {
	Wait() error
	// Interrupt asks it to end as a signal does (it signs out a kiosk,
	// writes what it must, and ends within 15 s).
	Interrupt() error
	Kill() error
}

// window is the window's process as the tray sees it: at most one, started
// on demand, gone when its window closes.
type window struct {
	start     func() (Process, error)
	broadcast func(instance.Message) int // to the watching window (none: 0)
	onExit    func()                     // after the process has ended
	logger    *slog.Logger

	mu     sync.Mutex
	closed bool // the tray is going: no more windows
	proc   Process
	exited chan struct{} // closed when proc has ended
}

// closingWait is how long a Show waits for a window that took no message
// to end.
const closingWait = 500 * time.Millisecond

// quitWait is how long a window gets to close after Quit before it is
// interrupted, and interruptWait after that before it is killed (the
// window's own limit after a signal is 15 s).
const (
	quitWait      = 3 * time.Second
	interruptWait = 20 * time.Second
)

// show brings the window up: the running one is asked, or a process
// starts; the error says why none could.
func (w *window) show() error {
	w.mu.Lock()
	if w.proc != nil && w.broadcast(instance.Show) == 0 {
		// Nobody took it: the window is still starting (it shows itself),
		// or has just closed and is being reaped; then start another.
		exited := w.exited
		w.mu.Unlock()
		select {
		case <-exited:
		case <-time.After(closingWait):
			return nil
		}
		w.mu.Lock()
	}
	defer w.mu.Unlock()
	if w.closed || w.proc != nil {
		return nil
	}
	p, err := w.start()
	if err != nil {
		return err
	}
	w.proc, w.exited = p, make(chan struct{})
	go func(exited chan struct{}) {
		if err := p.Wait(); err != nil {
			w.logger.Warn("the window's process ended", "err", err)
		}
		w.mu.Lock()
		w.proc = nil
		onExit := w.onExit
		w.mu.Unlock()
		close(exited)
		if onExit != nil {
			onExit()
		}
	}(w.exited)
	return nil
}

// setOnExit sets what runs after the process ends.
func (w *window) setOnExit(f func()) {
	w.mu.Lock()
	w.onExit = f
	w.mu.Unlock()
}

// running tells whether a window process runs.
func (w *window) running() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.proc != nil
}

// close asks the window to close, and kills it if it has not within quitWait.
func (w *window) close() {
	w.mu.Lock()
	p, exited := w.proc, w.exited
	w.closed, w.onExit = true, nil
	w.mu.Unlock()
	if p == nil {
		return
	}
	w.broadcast(instance.Quit)
	select {
	case <-exited:
		return
	case <-time.After(quitWait):
		_ = p.Interrupt()
	}
	select {
	case <-exited:
	case <-time.After(interruptWait):
		_ = p.Kill()
		<-exited
	}
}

// WindowProgram is the window's binary beside this one: ssotray-window, the
// only part of ssotray that links Fyne's driver.
func WindowProgram() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding ssotray-window: %w", err)
	}
	name := "ssotray-window"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return filepath.Join(filepath.Dir(self), name), nil
}

// StartWindow is the real window starter: ssotray-window with args, its
// output on stderr, and ssotray's own settings written to its standard
// input rather than left in an environment it would pass on.
func StartWindow(own ownenv.Env, stderr io.Writer, args []string) func() (Process, error) {
	return func() (Process, error) {
		prog, err := WindowProgram()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(prog, append([]string{"--" + ownenv.StdinFlag}, args...)...)
		cmd.Env = quietLocale(os.Environ())
		cmd.Stdout, cmd.Stderr = stderr, stderr
		endWithTray(cmd)
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("starting the window (%s): %w; reinstall ssotray: ssotray-window belongs beside ssotray", prog, err)
		}
		_, _ = own.WriteTo(in)
		_ = in.Close()
		return execProcess{cmd}, nil
	}
}

// quietLocale keeps Fyne from logging "Error parsing user locale C" at
// every window start where the locale is C.UTF-8 (containers, SSH, systemd
// units): Fyne reads "C" as a language, unless LANGUAGE names one. The
// window's process removes it again at once (ownenv.WindowLanguage), so
// nothing it starts inherits it.
func quietLocale(env []string) []string {
	get := func(k string) string { return ownenv.Lookup(env, k) }
	loc := cmp.Or(get("LC_ALL"), get("LC_MESSAGES"), get("LANG"))
	if get("LANGUAGE") != "" || !strings.HasPrefix(loc, "C.") {
		return env
	}
	return append(env, "LANGUAGE=en", ownenv.WindowLanguage+"=1")
}

type execProcess struct{ cmd *exec.Cmd }

func (p execProcess) Wait() error { return p.cmd.Wait() }
func (p execProcess) Kill() error { return p.cmd.Process.Kill() }

// Interrupt is SIGINT; where there are no signals (Windows) it kills.
func (p execProcess) Interrupt() error {
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		return p.cmd.Process.Kill()
	}
	return nil
}

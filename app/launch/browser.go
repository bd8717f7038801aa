// Package launch opens URLs in the person's browser: the sign-in pages and,
// later, the apps of the launcher.
package launch

import (
	"context"
	"fmt"
	"os/exec"
	"sync"
	"time"

	"github.com/pkg/browser"
)

// Browser opens URLs. With a Command (argv, the URL appended last) it runs
// that program, which is how kiosks pick a private window and tests pick a
// scripted browser; without one it asks the desktop (xdg-open and friends).
type Browser struct {
	Command []string

	mu      sync.Mutex
	running map[*exec.Cmd]chan struct{} // closed when the command has exited
}

// NewBrowser opens URLs with command (argv), or the desktop's browser when empty.
func NewBrowser(command []string) *Browser { return &Browser{Command: command} }

// Open starts the browser on url. With a Command it returns once the program
// has started; the program may keep running (a browser usually does).
func (b *Browser) Open(ctx context.Context, url string) error {
	if len(b.Command) == 0 {
		// pkg/browser waits for xdg-open, which usually returns once the
		// browser has the URL, but is not bound by ctx: wait for it only as
		// long as ctx allows.
		done := make(chan error, 1)
		go func() { done <- browser.OpenURL(url) }()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("no browser could be started (%v); set browser_command in the configuration", err)
			}
			return nil
		case <-ctx.Done():
			return fmt.Errorf("the browser did not start in time: %w", ctx.Err())
		}
	}
	cmd := exec.Command(b.Command[0], append(b.Command[1:len(b.Command):len(b.Command)], url)...)
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("browser_command %q cannot be started (%v); fix browser_command in the configuration", b.Command[0], err)
	}
	exited := make(chan struct{})
	b.mu.Lock()
	if b.running == nil {
		b.running = map[*exec.Cmd]chan struct{}{}
	}
	b.running[cmd] = exited
	b.mu.Unlock()
	go func() { // reap it whenever it ends
		_ = cmd.Wait()
		close(exited)
		b.mu.Lock()
		delete(b.running, cmd)
		b.mu.Unlock()
	}()
	return nil
}

// CloseAll ends every browser_command this Browser started that still runs,
// with all the processes it started (its process group): on a shared
// machine the next person must not find the last one's browser windows.
func (b *Browser) CloseAll() {
	b.mu.Lock()
	running := make(map[*exec.Cmd]chan struct{}, len(b.running))
	for cmd, exited := range b.running {
		running[cmd] = exited
	}
	b.mu.Unlock()
	for cmd, exited := range running {
		endGroup(cmd, false)
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
		}
		endGroup(cmd, true) // whatever of the group is left, or ignored the polite ask
	}
}

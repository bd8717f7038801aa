// Package launch opens URLs in the person's browser: the sign-in pages and,
// later, the apps of the launcher.
package launch

import (
	"context"
	"fmt"
	"os/exec"

	"github.com/pkg/browser"
)

// Browser opens URLs. With a Command (argv, the URL appended last) it runs
// that program, which is how kiosks pick a private window and tests pick a
// scripted browser; without one it asks the desktop (xdg-open and friends).
type Browser struct {
	Command []string
}

// Open starts the browser on url. With a Command it returns once the program
// has started; the program may keep running (a browser usually does).
func (b Browser) Open(ctx context.Context, url string) error {
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
	go func() { _ = cmd.Wait() }() // reap it whenever it ends
	return nil
}

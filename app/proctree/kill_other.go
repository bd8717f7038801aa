//go:build !unix

package proctree

import "os"

// OS signals real processes; there is no polite ask here, only an end.
type OS struct{}

func (OS) Signal(pid int, _ Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

func (OS) Reap(int) {}

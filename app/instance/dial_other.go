//go:build !linux

package instance

import (
	"io"
	"net"
	"time"
)

// dialBlocking connects to the socket at path; reads and writes time out
// after wait.
func dialBlocking(path string, wait time.Duration) (io.ReadWriteCloser, error) {
	c, err := net.DialTimeout("unix", path, wait)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(wait))
	return c, nil
}

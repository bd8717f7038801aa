package instance

import (
	"io"
	"os"
	"syscall"
	"time"
)

// dialBlocking connects to the socket at path with a plain blocking socket
// whose reads and writes time out after wait (SO_RCVTIMEO, SO_SNDTIMEO).
// `ssotray token` asks the tray this way: one exchange, read in the calling
// thread, costs less than the net package's poller, which it would start
// for nothing else.
func dialBlocking(path string, wait time.Duration) (io.ReadWriteCloser, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	tv := syscall.NsecToTimeval(wait.Nanoseconds())
	_ = syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	_ = syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv)
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

//go:build !linux

package instance

import "net"

// peerIsUs is true: without SO_PEERCRED the socket's private directory
// (its permissions, or its ACL on Windows) is what keeps other users out.
func peerIsUs(net.Conn) bool { return true }

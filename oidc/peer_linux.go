package oidc

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// loopbackPeerUID finds the user owning the other end of a loopback TCP
// connection: remote is the client's address and local the listener's, as
// the server sees them. Linux lists every socket of the network namespace,
// with its owner, in /proc/net/tcp and tcp6 (readable by every user), so a
// local client's socket is there while its request is served. A socket
// that is not listed is nobody's to trust: a client that reset its
// connection after sending (SO_LINGER 0) is gone from the table while its
// request is still read. So unlisted, or tables that cannot be read, give
// unknownPeer, which is never this process's user.
func loopbackPeerUID(local, remote netip.AddrPort) (uid int, known bool) {
	for _, f := range []struct {
		path string
		v6   bool
	}{{"/proc/net/tcp", false}, {"/proc/net/tcp6", true}} {
		if uid, ok := socketOwner(f.path, procAddr(remote, f.v6), procAddr(local, f.v6)); ok {
			return uid, true
		}
	}
	return unknownPeer, true
}

// unknownPeer stands for a client whose owner the system does not show.
const unknownPeer = -1

// socketOwner reads a /proc/net/tcp-style table for the socket whose local
// address is self and remote address peer.
func socketOwner(path, self, peer string) (int, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid ...
		fs := strings.Fields(sc.Text())
		if len(fs) < 8 || fs[1] != self || fs[2] != peer {
			continue
		}
		if uid, err := strconv.Atoi(fs[7]); err == nil {
			return uid, true
		}
	}
	return 0, false
}

// procAddr writes ap as /proc/net/tcp{,6} does: each 32-bit word of the
// address in host byte order, then the port, all in upper-case hex. In tcp6
// an IPv4 address appears mapped (::ffff:a.b.c.d).
func procAddr(ap netip.AddrPort, v6 bool) string {
	var b []byte
	if v6 {
		a := ap.Addr().As16()
		b = a[:]
	} else {
		if !ap.Addr().Unmap().Is4() {
			return ""
		}
		a := ap.Addr().Unmap().As4()
		b = a[:]
	}
	var sb strings.Builder
	for i := 0; i < len(b); i += 4 {
		fmt.Fprintf(&sb, "%08X", binary.NativeEndian.Uint32(b[i:i+4]))
	}
	fmt.Fprintf(&sb, ":%04X", ap.Port())
	return sb.String()
}

package oidctest

import (
	"net"
	"os"
)

// StrictEnv names the environment variable .ci/run sets: there the machine
// has everything the tests need (root, curl, Linux's /proc), so a test that
// would skip fails instead, as a skip proves nothing.
const StrictEnv = "SSOTRAY_TESTS_STRICT"

// T is what NeedMachine uses of a *testing.T (this package is linked into
// the demo too, which has no business importing testing).
type T interface {
	Helper()
	Skip(args ...any)
	Fatal(args ...any)
}

// NeedMachine skips t unless ok (the machine has what, e.g. "root"): on a
// developer's machine without it the test cannot run; in CI (StrictEnv set)
// it fails instead.
func NeedMachine(t T, ok bool, what string) {
	t.Helper()
	switch {
	case ok:
	case os.Getenv(StrictEnv) != "":
		t.Fatal("this test needs " + what + ", which " + StrictEnv + " says this machine has")
	default:
		t.Skip("needs " + what)
	}
}

// FreePorts are n loopback ports that were free a moment ago, for callback
// ports a test configures: ssotray's defaults may be in use by another test
// package running at the same time.
func FreePorts(t T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close() // all held at once: n different ports
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

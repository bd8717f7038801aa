//go:build !unix

package instance

// lockFile is a no-op where flock does not exist; the socket alone decides.
func lockFile(string) (func(), error) { return func() {}, nil }

//go:build !unix

package proctree

import "os"

// readOwn reads path; the directory it is in is the user's private one.
func readOwn(path string) ([]byte, error) { return os.ReadFile(path) }

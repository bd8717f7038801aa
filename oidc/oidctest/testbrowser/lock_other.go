//go:build !unix

package main

import "os"

// lockFile does nothing where there is no flock: an appending write there
// (FILE_APPEND_DATA on Windows) is already one piece.
func lockFile(*os.File) (unlock func()) { return func() {} }

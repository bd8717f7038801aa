// Package tempdir gives tests a temporary directory that also works under
// Wine: t.TempDir checks that removing it worked, and Wine 8 cannot do
// what Go's os.RemoveAll asks of it there ("Invalid function"), so on
// Windows the removal is tried and its failure ignored.
package tempdir

import (
	"os"
	"runtime"
	"testing"
)

// New is t.TempDir, without the removal check on Windows.
func New(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "windows" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", "ssotray-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

//go:build windows

// credlist prints the generic credentials of the Windows Credential Manager
// whose target name starts with the argument (all of them without one), one
// a line: the target name, a tab, and the size of the secret in bytes. It
// never prints a secret. The Wine tests (cmd/ssotray) build it with
//
//	GOOS=windows go build -o credlist.exe .ci/wine/credlist.go
//
// to see what ssotray.exe left in Wine's credential store.
package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"

	"github.com/danieljoos/wincred"
)

func main() {
	prefix := ""
	if len(os.Args) > 1 {
		prefix = os.Args[1]
	}
	creds, err := wincred.List()
	if errors.Is(err, errNotFound) { // CredEnumerate's answer for an empty store
		creds, err = nil, nil
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "credlist: CredEnumerate:", err)
		os.Exit(1)
	}
	var lines []string
	for _, c := range creds {
		if strings.HasPrefix(c.TargetName, prefix) {
			lines = append(lines, fmt.Sprintf("%s\t%d", c.TargetName, len(c.CredentialBlob)))
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
}

// errNotFound is ERROR_NOT_FOUND.
const errNotFound = syscall.Errno(1168)

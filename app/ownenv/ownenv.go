// Package ownenv keeps ssotray's own environment variables (SSOTRAY_*, the
// client secret among them) away from the programs it starts: they are
// taken out of the process environment at start, and reach the window's
// process over a pipe, never through an environment another program could
// inherit.
package ownenv

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// Env holds the SSOTRAY_* variables.
type Env map[string]string

// StdinFlag (as --own-env-stdin) tells ssotray-window to Read ssotray's
// own variables from its standard input.
const StdinFlag = "own-env-stdin"

// WindowLanguage, set, says that ssotray set LANGUAGE for the window's
// process only (to quiet Fyne under the C locale); it unsets it at start.
const WindowLanguage = "SSOTRAY_WINDOW_LANGUAGE"

// Prefix starts the name of every variable of ssotray's own.
const Prefix = "SSOTRAY_"

// Take removes the SSOTRAY_* variables from the process environment and
// returns them.
func Take() Env {
	own := Env{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(strings.ToUpper(k), Prefix) {
			own[k] = v
			_ = os.Unsetenv(k)
		}
	}
	return own
}

// Getenv sees the variables of e, then the process environment.
func (e Env) Getenv(k string) string {
	if v, ok := e[k]; ok {
		return v
	}
	return os.Getenv(k)
}

// Environ is the process environment with e put back, for this process
// replaced by another ssotray (exec), which takes them out again at once.
func (e Env) Environ() []string {
	env := os.Environ()
	for k, v := range e {
		env = append(env, k+"="+v)
	}
	return env
}

// Lookup is key's value in env, a list like os.Environ's: the last one,
// which is what a program started with env sees.
func Lookup(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// WriteTo writes e for Read, one variable a line. A value with a line
// break cannot be passed and is left out.
func (e Env) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	for k, v := range e {
		if !strings.ContainsAny(k+v, "\r\n") {
			b.WriteString(k + "=" + v + "\n")
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// Read takes what WriteTo wrote, up to the end of r.
func Read(r io.Reader) (Env, error) {
	e := Env{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok || !strings.HasPrefix(strings.ToUpper(k), Prefix) {
			return nil, fmt.Errorf("ssotray's own settings: a line that is not SSOTRAY_NAME=value")
		}
		e[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ssotray's own settings: %w", err)
	}
	return e, nil
}

// Over is e with the variables of other added; other's win.
func (e Env) Over(other Env) Env {
	for k, v := range other {
		e[k] = v
	}
	return e
}

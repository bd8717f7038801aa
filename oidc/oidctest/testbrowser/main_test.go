package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	testUser     = "alice"
	testPassword = "s3cret pass/word+\"quoted\""
	cookieName   = "testsso"
)

const loginPage = `<!doctype html>
<html><head><title>Sign in</title></head><body>
<h1>Sign in</h1>
%s
<form method="post">
<input id="username" name="username" required>
<input id="password" name="password" type="password" required>
<button id="submit" type="submit">Sign in</button>
</form>
</body></html>`

// newSite serves a small login site on 127.0.0.1:
//
//	/login     the login form; a good POST sets a session cookie and goes
//	           302 /hop -> 302 /final (or to ?next=)
//	/final     the end of the redirect chain
//	/plain     a page without a form
//	/protected a page that needs the session cookie, else 302 to /login
//	/logout    clears the session cookie
//	/hang      a page that never answers
func newSite(t *testing.T) *httptest.Server {
	t.Helper()
	session := strconv.FormatInt(time.Now().UnixNano(), 36)
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.Method != http.MethodPost {
			fmt.Fprintf(w, loginPage, "")
			return
		}
		if d, err := time.ParseDuration(r.URL.Query().Get("delay")); err == nil {
			// A slow server: the old page stays quiet for longer than
			// testbrowser's settle time while the POST is on its way.
			time.Sleep(d)
		}
		if r.PostFormValue("username") != testUser || r.PostFormValue("password") != testPassword {
			fmt.Fprintf(w, loginPage, `<p id="error">Invalid username or password</p>`)
			return
		}
		// A session cookie, as the test provider and Authentik set by
		// default: Chromium drops it at a restart, testbrowser keeps it.
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: session, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		next := r.URL.Query().Get("next")
		if next == "" {
			next = "/final"
		}
		http.Redirect(w, r, "/hop?"+url.Values{"next": {next}, "delay": {r.URL.Query().Get("delay")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("/hop", func(w http.ResponseWriter, r *http.Request) {
		if d, err := time.ParseDuration(r.URL.Query().Get("delay")); err == nil {
			time.Sleep(d)
		}
		http.Redirect(w, r, r.URL.Query().Get("next"), http.StatusFound)
	})
	mux.HandleFunc("/final", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>Signed in</title><p>You are signed in. You can close this window.</p>`)
	})
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>Plain</title><p>Nothing to fill in here.</p>`)
	})
	mux.HandleFunc("/protected", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(cookieName)
		if err != nil || c.Value != session {
			http.Redirect(w, r, "/login?next=/protected", http.StatusFound)
			return
		}
		fmt.Fprintf(w, `<!doctype html><title>Protected</title><p>Welcome back, session %s</p>`, html.EscapeString(c.Value))
	})
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: cookieName, Path: "/", MaxAge: -1})
		fmt.Fprint(w, `<!doctype html><title>Signed out</title><p>Signed out.</p>`)
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// chromium returns the browser to use, or skips the test when there is none
// outside the desktop test session.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CHROMIUM_PATH")
	if path == "" {
		path = defaultChromium
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("SSOTRAY_TEST_DESKTOP") == "1" {
			t.Fatalf("chromium is missing at %s inside the desktop test session; run make deps", path)
		}
		t.Skipf("chromium is not installed at %s; run the tests with make test (make deps installs it)", path)
	}
	return path
}

// buildTestbrowser builds this command into a temporary directory.
func buildTestbrowser(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "testbrowser")
	// go test puts the go command of its own GOROOT first on PATH.
	cmd := exec.Command("go", "build", "-buildvcs=false", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type result struct {
	code   int
	events []map[string]any
	log    string
	stderr string
}

// event returns the first event with the name, or nil.
func (r result) event(name string) map[string]any {
	for _, ev := range r.events {
		if ev["event"] == name {
			return ev
		}
	}
	return nil
}

func (r result) names() []string {
	var names []string
	for _, ev := range r.events {
		names = append(names, fmt.Sprint(ev["event"]))
	}
	return names
}

// runTestbrowser runs bin with url and the extra environment, and reads the
// log it wrote.
func runTestbrowser(t *testing.T, bin, url string, env ...string) result {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "events.jsonl")
	cmd := exec.Command(bin, url)
	cmd.Env = append(os.Environ(),
		"TESTBROWSER_USERNAME=", "TESTBROWSER_PASSWORD=", "TESTBROWSER_PROFILE=", "TESTBROWSER_PIDFILE=",
		"TESTBROWSER_LOG="+logPath, "TESTBROWSER_TIMEOUT=45s")
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	var r result
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
	default:
		t.Fatalf("running testbrowser: %v", err)
	}
	t.Logf("testbrowser %s: exit %d after %s", url, r.code, time.Since(start).Round(time.Millisecond))
	r.stderr = stderr.String()
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading the event log: %v (stderr: %s)", err, r.stderr)
	}
	r.log = string(data)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		r.events = append(r.events, ev)
	}
	if strings.Contains(r.log, testPassword) || strings.Contains(r.stderr, testPassword) {
		t.Errorf("the password leaked into the log or stderr:\n%s\n%s", r.log, r.stderr)
	}
	return r
}

func (r result) expect(t *testing.T, code int, names ...string) {
	t.Helper()
	if r.code != code || strings.Join(r.names(), ",") != strings.Join(names, ",") {
		t.Fatalf("exit %d with events %v, want exit %d with %v\nlog:\n%s\nstderr:\n%s",
			r.code, r.names(), code, names, r.log, r.stderr)
	}
}

func TestTestbrowser(t *testing.T) {
	chromium(t)
	bin := buildTestbrowser(t)
	site := newSite(t)
	creds := []string{"TESTBROWSER_USERNAME=" + testUser, "TESTBROWSER_PASSWORD=" + testPassword}

	t.Run("correct password follows the redirects", func(t *testing.T) {
		t.Parallel()
		pidfile := filepath.Join(t.TempDir(), "pid")
		r := runTestbrowser(t, bin, site.URL+"/login", append(creds, "TESTBROWSER_PIDFILE="+pidfile)...)
		r.expect(t, 0, "start", "form", "submitted", "done")
		done := r.event("done")
		if done["url"] != site.URL+"/final" || done["title"] != "Signed in" {
			t.Errorf("done at %v titled %v, want %s/final titled Signed in", done["url"], done["title"], site.URL)
		}
		if text, _ := done["text"].(string); !strings.Contains(text, "You are signed in") {
			t.Errorf("done text = %q", text)
		}
		if done["status"] != float64(200) {
			t.Errorf("done status = %v, want 200", done["status"])
		}
		if start := r.event("start"); start["url"] != site.URL+"/login" {
			t.Errorf("start url = %v", start["url"])
		}
		pid, err := os.ReadFile(pidfile)
		if err != nil || strings.TrimSpace(string(pid)) == "" {
			t.Errorf("pidfile: %q, %v", pid, err)
		}
	})

	t.Run("slow server", func(t *testing.T) {
		t.Parallel()
		r := runTestbrowser(t, bin, site.URL+"/login?delay=1s", creds...)
		r.expect(t, 0, "start", "form", "submitted", "done")
		if url := r.event("done")["url"]; url != site.URL+"/final" {
			t.Errorf("done at %v, want %s/final", url, site.URL)
		}
		r = runTestbrowser(t, bin, site.URL+"/login?delay=1s",
			"TESTBROWSER_USERNAME="+testUser, "TESTBROWSER_PASSWORD=wrong")
		r.expect(t, 3, "start", "form", "submitted", "form_error")
	})

	t.Run("wrong password is a form error", func(t *testing.T) {
		t.Parallel()
		r := runTestbrowser(t, bin, site.URL+"/login",
			"TESTBROWSER_USERNAME="+testUser, "TESTBROWSER_PASSWORD=wrong-"+testPassword)
		r.expect(t, 3, "start", "form", "submitted", "form_error")
		if ev := r.event("form_error"); ev["text"] != "Invalid username or password" {
			t.Errorf("form_error text = %v", ev["text"])
		}
		if strings.Contains(r.log, "wrong-") {
			t.Errorf("the wrong password leaked into the log:\n%s", r.log)
		}
	})

	t.Run("page without a form is done at once", func(t *testing.T) {
		t.Parallel()
		r := runTestbrowser(t, bin, site.URL+"/plain")
		r.expect(t, 0, "start", "done")
		done := r.event("done")
		if done["url"] != site.URL+"/plain" || done["text"] != "Nothing to fill in here." {
			t.Errorf("done = %v", done)
		}
	})

	t.Run("empty required password is an error at once", func(t *testing.T) {
		t.Parallel()
		r := runTestbrowser(t, bin, site.URL+"/login", "TESTBROWSER_USERNAME="+testUser)
		r.expect(t, 2, "start", "form", "error")
		if msg, _ := r.event("error")["error"].(string); !strings.Contains(msg, "refuses to send the form (password: ") {
			t.Errorf("error = %q", msg)
		}
	})

	t.Run("login form without credentials is an error", func(t *testing.T) {
		t.Parallel()
		r := runTestbrowser(t, bin, site.URL+"/protected")
		r.expect(t, 2, "start", "form", "error")
	})

	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		r := runTestbrowser(t, bin, site.URL+"/hang", "TESTBROWSER_TIMEOUT=2s")
		r.expect(t, 2, "start", "error")
		if msg, _ := r.event("error")["error"].(string); !strings.Contains(msg, "timed out after 2s") {
			t.Errorf("error = %q, want a timeout", msg)
		}
	})

	t.Run("unreachable URL is an error", func(t *testing.T) {
		t.Parallel()
		// A port that was free a moment ago; Chromium refuses low ports
		// such as 1 as unsafe before it tries them.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := "http://" + l.Addr().String() + "/nothing"
		l.Close()
		r := runTestbrowser(t, bin, addr)
		r.expect(t, 2, "start", "error")
		if msg, _ := r.event("error")["error"].(string); !strings.Contains(msg, "ERR_CONNECTION_REFUSED") {
			t.Errorf("error = %q, want it to name ERR_CONNECTION_REFUSED", msg)
		}
	})

	t.Run("profile keeps the session cookie across runs", func(t *testing.T) {
		t.Parallel()
		profile := filepath.Join(t.TempDir(), "profile")
		first := runTestbrowser(t, bin, site.URL+"/protected", append(creds, "TESTBROWSER_PROFILE="+profile)...)
		first.expect(t, 0, "start", "form", "submitted", "done")
		if url := first.event("done")["url"]; url != site.URL+"/protected" {
			t.Fatalf("first run done at %v, want %s/protected", url, site.URL)
		}
		// No credentials this time: a login form would be an error.
		second := runTestbrowser(t, bin, site.URL+"/protected", "TESTBROWSER_PROFILE="+profile)
		second.expect(t, 0, "start", "done")
		if text, _ := second.event("done")["text"].(string); !strings.HasPrefix(text, "Welcome back") {
			t.Errorf("second run text = %q, want the protected page", text)
		}
		// A fresh profile has no cookie and gets the form.
		fresh := runTestbrowser(t, bin, site.URL+"/protected")
		fresh.expect(t, 2, "start", "form", "error")
		// A cookie that the site removed stays removed.
		runTestbrowser(t, bin, site.URL+"/logout", "TESTBROWSER_PROFILE="+profile).expect(t, 0, "start", "done")
		after := runTestbrowser(t, bin, site.URL+"/protected", "TESTBROWSER_PROFILE="+profile)
		after.expect(t, 2, "start", "form", "error")
	})
}

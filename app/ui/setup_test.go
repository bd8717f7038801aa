package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssotray/ssotray/app/doctor"
	"github.com/ssotray/ssotray/app/setup"
)

// fakeSetup stands in for setup.Service. Like fakeCore it keeps its work
// apart from the test's interaction with the window (uiMu), because
// fyne/test runs fyne.Do at once on the calling goroutine.
type fakeSetup struct {
	uiMu sync.Mutex
	mu   sync.Mutex

	findings []doctor.Finding
	// hold, when set, keeps Test running until it is closed or ctx ends.
	hold     chan struct{}
	started  chan struct{}
	savePath string
	saveErr  error

	tests []setup.Input
	saves []setup.Input
	ctxs  []context.Context
}

func (f *fakeSetup) ui(do func()) {
	f.uiMu.Lock()
	defer f.uiMu.Unlock()
	do()
}

func (f *fakeSetup) tap(o fyne.Tappable) { f.ui(func() { test.Tap(o) }) }

func (f *fakeSetup) barrier() {
	f.uiMu.Lock()
	defer f.uiMu.Unlock()
}

func (f *fakeSetup) Test(ctx context.Context, in setup.Input) []doctor.Finding {
	f.barrier()
	f.mu.Lock()
	f.tests = append(f.tests, in)
	f.ctxs = append(f.ctxs, ctx)
	hold, started, out := f.hold, f.started, f.findings
	f.mu.Unlock()
	if started != nil {
		close(started)
	}
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
		}
	}
	return out
}

func (f *fakeSetup) Save(in setup.Input) (string, error) {
	f.barrier()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.saves = append(f.saves, in)
	if f.saveErr != nil {
		return "", f.saveErr
	}
	return f.savePath, nil
}

// someFindings are what a test against a provider with a wrong slug and
// a Navidrome that is down would find.
var someFindings = []doctor.Finding{
	{Level: doctor.OK, Check: "health", Detail: "Authentik is ready"},
	{Level: doctor.Fail, Check: "discovery", Detail: "no OpenID provider at https://auth.example.com/application/o/music/.well-known/openid-configuration (404 Not Found)",
		Fix: "check the Application slug against the application's slug in Authentik"},
	{Level: doctor.Warn, Check: "PKCE", Detail: "the provider does not advertise S256", Fix: "enable PKCE on the provider"},
	{Level: doctor.OK, Check: "callback port", Detail: "127.0.0.1:38917 is free"},
	{Level: doctor.OK, Check: doctor.CheckRedirectURIs, Detail: "register in Authentik, under the provider's Redirect URIs/Origins (RegEx)",
		Register: doctor.RedirectURIs([]int{38917, 38918, 38919})},
}

type setupHarness struct {
	*fakeSetup
	w    *SetupWindow
	a    fyne.App
	mu   sync.Mutex
	done []string
}

func newTestSetup(t *testing.T, f *fakeSetup) *setupHarness {
	t.Helper()
	h := &setupHarness{fakeSetup: f, a: test.NewTempApp(t)}
	h.w = NewSetup(h.a, f, Options{Icon: testIcon}, func(path string) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.done = append(h.done, path)
	})
	h.w.Show()
	t.Cleanup(func() {
		h.w.Close()
		h.w.waitIdle()
	})
	return h
}

func (h *setupHarness) doneCalls() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.done...)
}

func (h *setupHarness) screen() string { return test.RenderToMarkup(h.w.win.Canvas()) }

// fill types into the form's entries (empty strings leave them alone).
func (h *setupHarness) fill(in setup.Input) {
	h.ui(func() {
		for _, f := range []struct {
			e    *widget.Entry
			text string
		}{{h.w.server, in.ServerURL}, {h.w.slug, in.Slug}, {h.w.clientID, in.ClientID}, {h.w.navidrome, in.NavidromeURL}} {
			if f.text != "" {
				f.e.SetText("")
				h.w.win.Canvas().Focus(f.e)
				test.Type(f.e, f.text)
			}
		}
	})
}

func TestSetupForm(t *testing.T) {
	h := newTestSetup(t, &fakeSetup{})
	w := h.w
	if got := w.win.Title(); got != "Set up ssotray" {
		t.Errorf("title %q", got)
	}
	if w.server.Text != "" || w.server.PlaceHolder != "https://auth.example.com" {
		t.Errorf("server entry %q (placeholder %q)", w.server.Text, w.server.PlaceHolder)
	}
	if w.slug.Text != "ssotray" || w.clientID.Text != "ssotray" || w.navidrome.Text != "" {
		t.Errorf("defaults: slug %q, client ID %q, navidrome %q", w.slug.Text, w.clientID.Text, w.navidrome.Text)
	}
	if w.save.Importance != widget.HighImportance || w.test.Importance == widget.HighImportance {
		t.Error("Save and continue must be the one primary button")
	}
	if w.win.Canvas().Focused() != w.server {
		t.Error("the cursor is not in the server URL field")
	}
	m := h.screen()
	for _, want := range []string{
		"No configuration yet: tell ssotray where your Authentik is.",
		"Authentik server URL", "Application slug", "Client ID", "Navidrome URL (optional)",
		"Test connection", "Save and continue", "https://auth.example.com",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("the setup window lacks %q", want)
		}
	}
	test.AssertRendersToMarkup(t, "setup.xml", w.win.Canvas())
}

func TestSetupTestShowsFindings(t *testing.T) {
	f := &fakeSetup{findings: someFindings, hold: make(chan struct{}), started: make(chan struct{})}
	h := newTestSetup(t, f)
	w := h.w
	h.fill(setup.Input{ServerURL: "https://auth.example.com", Slug: "music", NavidromeURL: "https://music.example.com"})

	h.tap(w.test)
	<-f.started
	h.ui(func() {
		if !w.test.Disabled() || !w.save.Disabled() {
			t.Error("the buttons stay enabled while testing")
		}
		if !w.busyBox.Visible() || !strings.Contains(w.busyLabel.Text, "Testing the connection to https://auth.example.com") {
			t.Errorf("busy line %q (visible %v)", w.busyLabel.Text, w.busyBox.Visible())
		}
		if !strings.Contains(h.screen(), "ProgressBarInfinite") {
			t.Error("no progress indicator while testing")
		}
	})
	close(f.hold)
	w.waitIdle()

	want := setup.Input{ServerURL: "https://auth.example.com", Slug: "music", ClientID: "ssotray", NavidromeURL: "https://music.example.com"}
	if len(f.tests) != 1 || f.tests[0] != want {
		t.Fatalf("Test calls %+v, want one with %+v", f.tests, want)
	}
	if _, ok := f.ctxs[0].Deadline(); !ok {
		t.Error("the test runs without a deadline")
	}
	if w.test.Disabled() || w.save.Disabled() || w.busyBox.Visible() {
		t.Error("still busy after the test")
	}
	if len(w.rows) != len(someFindings) {
		t.Fatalf("%d rows for %d findings", len(w.rows), len(someFindings))
	}
	m := h.screen()
	for _, want := range []string{
		"1 problem found: fix what is marked FAIL, then test again.",
		"OK  health", "Authentik is ready",
		"FAIL  discovery", "no OpenID provider at", "Fix: check the Application slug against",
		"WARN  PKCE", "Fix: enable PKCE on the provider",
		"OK  redirect URIs", "register in Authentik, under the provider's Redirect URIs/Origins",
		"http://127.0.0.1:38917/callback (Strict)", "http://127.0.0.1:38918/callback (Strict)", "http://127.0.0.1:38919/callback (Strict)",
		"Copy redirect URIs", "confirmIcon", "errorIcon", "warningIcon",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("the findings lack %q", want)
		}
	}
	// What needs doing comes first: the failure, the warning, the
	// redirect URIs; then the rest.
	var order []string
	for _, r := range w.rows {
		order = append(order, r.finding.Check)
	}
	if got := strings.Join(order, ","); got != "discovery,PKCE,redirect URIs,health,callback port" {
		t.Errorf("order %s", got)
	}
	redirect := w.rows[2]
	if !redirect.detail.Selectable || redirect.copy == nil {
		t.Error("the redirect URIs cannot be selected or copied")
	}
	h.tap(redirect.copy)
	if got := h.a.Clipboard().Content(); got != "http://127.0.0.1:38917/callback\nhttp://127.0.0.1:38918/callback\nhttp://127.0.0.1:38919/callback" {
		t.Errorf("clipboard %q", got)
	}
	for _, r := range w.rows {
		if r.copy != nil && r != redirect {
			t.Errorf("%s has a copy button", r.finding.Check)
		}
	}
	test.AssertRendersToMarkup(t, "setup_findings.xml", w.win.Canvas())

	// Testing again replaces the list.
	f.mu.Lock()
	f.findings, f.hold, f.started = someFindings[:1], nil, nil
	f.mu.Unlock()
	h.tap(w.test)
	w.waitIdle()
	if len(w.rows) != 1 || len(w.results.Objects) != 3 {
		t.Errorf("after a second test: %d rows, %d objects", len(w.rows), len(w.results.Objects))
	}
	if m := h.screen(); !strings.Contains(m, "Everything works.") || strings.Contains(m, "FAIL") {
		t.Errorf("second test:\n%s", m)
	}
}

func TestSetupEnterInLastEntryTests(t *testing.T) {
	f := &fakeSetup{findings: someFindings[:1]}
	h := newTestSetup(t, f)
	w := h.w
	h.fill(setup.Input{ServerURL: "https://auth.example.com"})
	// Enter moves through the fields, and tests in the last one.
	h.ui(func() { w.server.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
	if w.win.Canvas().Focused() != w.slug {
		t.Error("Enter in the server URL did not move to the slug")
	}
	if len(f.tests) != 0 {
		t.Fatal("Enter in the first field tested")
	}
	h.ui(func() { w.navidrome.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
	w.waitIdle()
	if len(f.tests) != 1 || f.tests[0].ServerURL != "https://auth.example.com" {
		t.Fatalf("Test calls %+v", f.tests)
	}
	if !strings.Contains(h.screen(), "Authentik is ready") {
		t.Error("the finding is not shown")
	}
}

func TestSetupSaveError(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		want  []string
		focus func(w *SetupWindow) fyne.Focusable
	}{
		{"invalid field",
			&setup.InputError{Field: setup.FieldServerURL, Err: errors.New(`authentik.server_url: "auth.example.com" is not an absolute URL; write it with its scheme, like https://auth.example.com`)},
			[]string{"The configuration was not saved: authentik.server_url:", "is not an absolute URL", "Correct the “Authentik server URL” field and save again."},
			func(w *SetupWindow) fyne.Focusable { return w.server }},
		{"file exists",
			fmt.Errorf("/home/a/.config/ssotray/config.yaml already exists and is left as it is; edit it, or move it away and run the setup again: %w", fs.ErrExist),
			[]string{"The configuration was not saved: /home/a/.config/ssotray/config.yaml already exists"},
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSetup{saveErr: tc.err}
			h := newTestSetup(t, f)
			w := h.w
			h.fill(setup.Input{ServerURL: "auth.example.com", Slug: "music"})
			h.ui(func() { w.win.Canvas().Focus(w.slug) })
			h.tap(w.save)
			w.waitIdle()
			if len(f.saves) != 1 || f.saves[0].ServerURL != "auth.example.com" || f.saves[0].Slug != "music" {
				t.Errorf("Save calls %+v", f.saves)
			}
			if got := h.doneCalls(); len(got) != 0 {
				t.Errorf("done called with %q after an error", got)
			}
			if !w.saveErr.root.Visible() {
				t.Fatal("the error is not shown")
			}
			m := h.screen()
			for _, want := range tc.want {
				if !strings.Contains(m, want) && !strings.Contains(w.saveErr.label.Text, want) {
					t.Errorf("the error lacks %q: %q", want, w.saveErr.label.Text)
				}
			}
			if tc.focus != nil && w.win.Canvas().Focused() != tc.focus(w) {
				t.Error("the cursor is not in the field to correct")
			}
			if w.save.Disabled() || w.test.Disabled() {
				t.Error("the buttons stay disabled after a failed save")
			}
			if tc.name == "invalid field" {
				test.AssertRendersToMarkup(t, "setup_save_error.xml", w.win.Canvas())
			}

			// Saving again clears the old error first.
			f.mu.Lock()
			f.saveErr, f.savePath = nil, "/tmp/x/config.yaml"
			f.mu.Unlock()
			h.tap(w.save)
			w.waitIdle()
			if w.saveErr.root.Visible() {
				t.Error("the old error stays after a successful save")
			}
		})
	}
}

func TestSetupSaveCallsDone(t *testing.T) {
	f := &fakeSetup{savePath: "/home/a/.config/ssotray/config.yaml"}
	h := newTestSetup(t, f)
	w := h.w
	h.fill(setup.Input{ServerURL: "https://auth.example.com", ClientID: "abc123", NavidromeURL: "https://music.example.com"})
	h.tap(w.save)
	w.waitIdle()
	want := setup.Input{ServerURL: "https://auth.example.com", Slug: "ssotray", ClientID: "abc123", NavidromeURL: "https://music.example.com"}
	if len(f.saves) != 1 || f.saves[0] != want {
		t.Errorf("Save calls %+v, want %+v", f.saves, want)
	}
	if got := h.doneCalls(); len(got) != 1 || got[0] != f.savePath {
		t.Errorf("done calls %q", got)
	}
	if w.saveErr.root.Visible() {
		t.Error("an error is shown after saving")
	}
	// Saved once: a second tap does not save again.
	h.tap(w.save)
	w.waitIdle()
	if len(f.saves) != 1 || len(h.doneCalls()) != 1 {
		t.Errorf("saved %d times, done %d times", len(f.saves), len(h.doneCalls()))
	}
}

func TestSetupCloseCancelsTest(t *testing.T) {
	f := &fakeSetup{hold: make(chan struct{}), started: make(chan struct{})}
	h := newTestSetup(t, f)
	h.fill(setup.Input{ServerURL: "https://auth.example.com"})
	h.tap(h.w.test)
	<-f.started
	h.ui(func() { h.w.win.Close() })
	h.w.waitIdle() // returns only because the test's context was cancelled
	if f.ctxs[0].Err() == nil {
		t.Error("closing the window did not cancel the test")
	}
}

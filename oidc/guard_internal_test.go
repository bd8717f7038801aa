package oidc

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestGuardRefusesOtherUsers: a request from another user's program is
// refused before it can use the start path or bring a callback, and does
// not use up the start path.
func TestGuardRefusesOtherUsers(t *testing.T) {
	g := &callbackGuard{state: "the-state", startPath: startPathPrefix + "one-time", binding: "b", bindingAge: time.Minute, uid: 1000}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := g.middleware(next)
	serve := func(peer int, path string, cookie bool) int {
		g.peerUID = func(*http.Request) (int, bool) { return peer, true }
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if cookie {
			r.AddCookie(&http.Cookie{Name: bindingCookie, Value: "b"})
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for _, tt := range []struct {
		name   string
		peer   int
		path   string
		cookie bool
		want   int
	}{
		{"another user at the start path", 1001, g.startPath, false, http.StatusForbidden},
		{"another user's callback", 1001, CallbackPath + "?code=c&state=the-state", true, http.StatusForbidden},
		{"the user at the start path, not used up", 1000, g.startPath, false, http.StatusTeapot},
		{"the start path a second time", 1000, g.startPath, false, http.StatusNotFound},
		{"the user's callback", 1000, CallbackPath + "?code=c&state=the-state", true, http.StatusTeapot},
	} {
		if got := serve(tt.peer, tt.path, tt.cookie); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

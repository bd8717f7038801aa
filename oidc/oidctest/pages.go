package oidctest

import (
	"bytes"
	"html/template"
	"net/http"
)

// The pages carry the ids the tests and testbrowser look for (username,
// password, submit, error, title, message), not Authentik's web components.
var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} - authentik</title></head>
<body>{{end}}

{{define "login"}}{{template "head" "Log in"}}
<main>
<h1>Welcome to authentik!</h1>
<p>Log in to continue to {{.App}}.</p>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<label for="username">Username or Email</label>
<input id="username" name="username" type="text" autocomplete="username" value="{{.Username}}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="submit" type="submit">Log in</button>
</form>
</main>
</body></html>{{end}}

{{define "message"}}{{template "head" .Title}}
<main>
<h1 id="title">{{.Title}}</h1>
<p id="message">{{.Message}}</p>
</main>
</body></html>{{end}}

{{define "loggedout"}}{{template "head" "Logout"}}
<main>
<h1 id="title">You've logged out of {{.App}}.</h1>
<p id="message">You can go back to the overview to launch another application, or log out of your authentik account.</p>
<a id="overview" href="/">Go back to overview</a>
<a id="logout" href="{{.LogoutURL}}">Log out of authentik</a>
</main>
</body></html>{{end}}
`))

func render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (p *Provider) errorPage(w http.ResponseWriter, status int, title, message string) {
	render(w, status, "message", map[string]string{"Title": title, "Message": message})
}

package launch

import (
	"strings"
	"testing"
)

func TestVisible(t *testing.T) {
	apps := []App{
		{Name: "Music"},
		{Name: "Admin", Groups: []string{"admins"}},
		{Name: "Wiki", Groups: []string{"users", "guests"}},
	}
	tests := []struct {
		groups []string
		want   string
	}{
		{nil, "Music"},
		{[]string{"users"}, "Music,Wiki"},
		{[]string{"admins", "users"}, "Music,Admin,Wiki"},
		{[]string{"navidrome-admins"}, "Music"},
	}
	for _, tt := range tests {
		var names []string
		for _, a := range Visible(apps, tt.groups) {
			names = append(names, a.Name)
		}
		if got := strings.Join(names, ","); got != tt.want {
			t.Errorf("groups %v see %s, want %s", tt.groups, got, tt.want)
		}
	}
	if a, ok := Find(apps, "wiki"); !ok || a.Name != "Wiki" {
		t.Error("Find ignores case")
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url  string
		want string // "" = allowed
	}{
		{"https://music.example.com/", ""},
		{"http://127.0.0.1:4533/app", ""},
		{"file:///etc/passwd", "only http:// and https://"},
		{"javascript:alert(1)", "only http:// and https://"},
		{"-–-incognito", "starts with '-'"},
		{"--user-data-dir=/tmp/x", "starts with '-'"},
		{"music.example.com", "only http:// and https://"},
		{"https://", "only http:// and https://"},
		{"smb://nas/share", "only http:// and https://"},
	}
	for _, tt := range tests {
		err := CheckURL(tt.url)
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("CheckURL(%q) = %v, want %q", tt.url, err, tt.want)
		}
	}
}

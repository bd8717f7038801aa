package tokenstore

import (
	"strings"

	"github.com/godbus/dbus/v5"
	ss "github.com/zalando/go-keyring/secret_service"
)

// loginItems is where go-keyring keeps its items on a usual desktop: the
// login collection.
const loginItems = "/org/freedesktop/secrets/collection/login/"

// quickGet reads an entry from the Secret Service in four D-Bus calls where
// go-keyring makes seven (it asks which collection to use, and unlocks the
// collection and then the item, before every read): `ssotray token` runs
// for scripts and its time is mostly these round trips. It only answers for
// an unlocked item of the login collection, where go-keyring would have
// found it; ok is false otherwise (not found, locked, another collection,
// any error), and the caller asks go-keyring, which handles all of that.
func quickGet(service, user string) (secret string, ok bool) {
	svc, err := ss.NewSecretService()
	if err != nil {
		return "", false
	}
	var unlocked, locked []dbus.ObjectPath
	attrs := map[string]string{"username": user, "service": service}
	if svc.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").Call("org.freedesktop.Secret.Service.SearchItems", 0, attrs).Store(&unlocked, &locked) != nil ||
		len(unlocked) != 1 || len(locked) != 0 || !strings.HasPrefix(string(unlocked[0]), loginItems) {
		return "", false
	}
	session, err := svc.OpenSession()
	if err != nil {
		return "", false
	}
	defer svc.Close(session)
	s, err := svc.GetSecret(unlocked[0], session.Path())
	if err != nil {
		return "", false
	}
	return string(s.Value), true
}

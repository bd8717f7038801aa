package tokenstore

import (
	"strings"

	"github.com/godbus/dbus/v5"
	ss "github.com/zalando/go-keyring/secret_service"
)

// loginItems is where go-keyring keeps its items on a usual desktop: the
// login collection.
const loginItems = "/org/freedesktop/secrets/collection/login/"

// quickGet reads an entry from the Secret Service in two round trips over
// the session bus where go-keyring waits for seven (it asks which
// collection to use, and unlocks the collection and then the item, before
// every read): the search and the opening of a session go out together,
// then the secret is read, and the session is closed without waiting for
// the answer (the service also ends it with the connection). `ssotray
// token` runs for scripts and its time is mostly these round trips. It
// only answers for an unlocked item of the login collection, where
// go-keyring would have found it; ok is false otherwise (not found,
// locked, another collection, any error), and the caller asks go-keyring,
// which handles all of that.
func quickGet(service, user string) (secret string, ok bool) {
	svc, err := ss.NewSecretService()
	if err != nil {
		return "", false
	}
	secrets := svc.Object(secretsName, "/org/freedesktop/secrets")
	attrs := map[string]string{"username": user, "service": service}
	search := secrets.Go("org.freedesktop.Secret.Service.SearchItems", 0, nil, attrs)
	open := secrets.Go("org.freedesktop.Secret.Service.OpenSession", 0, nil, "plain", dbus.MakeVariant(""))
	var unlocked, locked []dbus.ObjectPath
	searchErr := (<-search.Done).Store(&unlocked, &locked)
	var disregard dbus.Variant
	var session dbus.ObjectPath
	if err := (<-open.Done).Store(&disregard, &session); err != nil {
		return "", false
	}
	defer svc.Object(secretsName, session).Go("org.freedesktop.Secret.Session.Close", dbus.FlagNoReplyExpected, nil)
	if searchErr != nil || len(unlocked) != 1 || len(locked) != 0 || !strings.HasPrefix(string(unlocked[0]), loginItems) {
		return "", false
	}
	s, err := svc.GetSecret(unlocked[0], session)
	if err != nil {
		return "", false
	}
	return string(s.Value), true
}

// secretsName is the Secret Service's bus name.
const secretsName = "org.freedesktop.secrets"

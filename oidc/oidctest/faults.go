package oidctest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Faults make the provider misbehave the way a misconfigured or broken
// Authentik would. The zero value is a well-behaved provider.
type Faults struct {
	// WrongIssuer makes discovery claim the issuer
	// "https://evil.example/application/o/<slug>/".
	WrongIssuer bool
	// HS256 is Authentik with no signing key selected: discovery advertises
	// only HS256, the JWKS is empty, and ID tokens are signed HS256 with the
	// client secret (the client ID for a public client).
	HS256 bool
	// RefuseRefresh answers every refresh_token grant with 400 invalid_grant.
	RefuseRefresh bool
	// OmitRefreshToken leaves refresh_token out of refresh responses and
	// keeps the presented one valid (no rotation).
	OmitRefreshToken bool
	// IDToken tampers with the id_token of code and refresh responses.
	IDToken IDTokenFault
	// UserinfoSubject, if set, is the "sub" userinfo answers with.
	UserinfoSubject string
	// OmitExpiresIn leaves expires_in out of token responses, as generic
	// providers may (RFC 6749 only recommends it).
	OmitExpiresIn bool
	// AuthorizeError, if set, is sent back to the (valid) redirect_uri as
	// error=<this> with error_description and state, without a login form.
	AuthorizeError string
	// RevokeDelay holds every revocation answer this long: a slow provider.
	RevokeDelay time.Duration
	// TokenEndpointPage, if set, is the HTTP status with which the token
	// endpoint answers an HTML page instead of OAuth's JSON, as the reverse
	// proxy in front of Authentik does while it is down (502, 503) or an
	// SSO gateway does with its login page (200).
	TokenEndpointPage int
}

// IDTokenFault selects one way to spoil an ID token.
type IDTokenFault int

const (
	IDTokenOK            IDTokenFault = iota
	IDTokenBadSignature               // signed with another RSA key under the same kid
	IDTokenWrongIssuer                // iss names https://evil.example
	IDTokenWrongAudience              // aud (and azp, client_id where present) name another client
	IDTokenExpired                    // exp an hour ago
	IDTokenWrongNonce                 // nonce that the client never sent
	IDTokenAlgNone                    // header alg "none", empty signature
	// IDTokenManyAudiencesNoAZP: aud names the client and another one, and
	// azp is missing.
	IDTokenManyAudiencesNoAZP
	// IDTokenManyAudiencesOtherAZP: aud names the client and another one,
	// and azp names the other one.
	IDTokenManyAudiencesOtherAZP
	// IDTokenNoAZP: azp left out (one audience: still a valid token). With
	// Quirks.IDTokenWithoutAZP (Authentik's default) the ID token has none
	// anyway and this changes nothing.
	IDTokenNoAZP
	IDTokenFutureIAT     // iat an hour ahead (exp after it)
	IDTokenOtherAuthTime // auth_time an hour before the real one
)

func (f IDTokenFault) String() string {
	switch f {
	case IDTokenOK:
		return "ok"
	case IDTokenBadSignature:
		return "bad-signature"
	case IDTokenWrongIssuer:
		return "wrong-issuer"
	case IDTokenWrongAudience:
		return "wrong-audience"
	case IDTokenExpired:
		return "expired"
	case IDTokenWrongNonce:
		return "wrong-nonce"
	case IDTokenAlgNone:
		return "alg-none"
	case IDTokenManyAudiencesNoAZP:
		return "many-audiences-no-azp"
	case IDTokenManyAudiencesOtherAZP:
		return "many-audiences-other-azp"
	case IDTokenNoAZP:
		return "no-azp"
	case IDTokenFutureIAT:
		return "future-iat"
	case IDTokenOtherAuthTime:
		return "other-auth-time"
	default:
		return fmt.Sprintf("IDTokenFault(%d)", int(f))
	}
}

// remintIDToken re-signs the library's ID token as Authentik would have
// made it, then applies the faults. It keeps the claims the library
// computed (auth_time, nonce ...) but: iat and exp are those of at, the
// access token issued alongside (Authentik's IDToken.new sets exp to
// token.expires and iat to the same moment give or take), so they follow a
// custom clock too; azp and client_id go with Quirks.IDTokenWithoutAZP;
// at_hash is computed again over accessToken, the string the client will
// get. clientID is the client the tokens are for.
func (p *Provider) remintIDToken(raw string, f Faults, accessToken, clientID string, at *tokenRecord) (string, error) {
	payload, err := libraryPayload(raw)
	if err != nil {
		return "", err
	}
	claims := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		return "", err
	}
	if clientID == "" {
		clientID, _ = claims["azp"].(string)
	}
	if p.cfg.quirks.IDTokenWithoutAZP {
		delete(claims, "azp")
		delete(claims, "client_id")
	}
	if _, ok := claims["at_hash"]; ok && accessToken != "" {
		claims["at_hash"] = leftHalfHash(accessToken)
	}
	now := p.cfg.now()
	switch {
	case at != nil:
		claims["iat"] = at.issued.Unix()
		claims["exp"] = at.expires.Unix()
	case p.customClock:
		claims["iat"] = now.Unix()
		claims["exp"] = now.Add(p.cfg.accessTokenLifetime).Unix()
	}
	// Faults that name another client do so wherever the token names one.
	setIfPresent := func(k string, v any) {
		if _, ok := claims[k]; ok {
			claims[k] = v
		}
	}
	switch f.IDToken {
	case IDTokenWrongIssuer:
		claims["iss"] = "https://evil.example" + pathPrefix + "/" + p.cfg.slug + "/"
	case IDTokenWrongAudience:
		other := "not-" + clientID
		claims["aud"] = []string{other}
		setIfPresent("azp", other)
		setIfPresent("client_id", other)
	case IDTokenExpired:
		claims["iat"] = now.Add(-2 * time.Hour).Unix()
		claims["exp"] = now.Add(-time.Hour).Unix()
		claims["auth_time"] = now.Add(-2 * time.Hour).Unix()
	case IDTokenWrongNonce:
		claims["nonce"] = "not-your-nonce-" + randomID()
	case IDTokenManyAudiencesNoAZP:
		claims["aud"] = []string{clientID, "another-app"}
		delete(claims, "azp")
	case IDTokenManyAudiencesOtherAZP:
		claims["aud"] = []string{clientID, "another-app"}
		claims["azp"] = "another-app"
	case IDTokenNoAZP:
		delete(claims, "azp")
	case IDTokenFutureIAT:
		claims["iat"] = now.Add(time.Hour).Unix()
		claims["exp"] = now.Add(time.Hour + p.cfg.accessTokenLifetime).Unix()
	case IDTokenOtherAuthTime:
		if n, ok := claims["auth_time"].(json.Number); ok {
			if at, err := n.Int64(); err == nil {
				claims["auth_time"] = at - int64(time.Hour.Seconds())
			}
		}
	}
	payload, err = json.Marshal(claims)
	if err != nil {
		return "", err
	}

	switch {
	case f.IDToken == IDTokenAlgNone:
		return compactJWS(map[string]string{"alg": "none", "typ": "JWT"}, payload, nil), nil
	case f.HS256:
		key := p.hmacKey(clientID)
		if f.IDToken == IDTokenBadSignature {
			key = append(key, "-tampered"...)
		}
		return signHS256(payload, key), nil
	}
	key, keyID := p.cfg.keys.signing()
	if f.IDToken == IDTokenBadSignature {
		if key, err = p.impostorKey(); err != nil {
			return "", err
		}
	}
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.RS256,
		Key:       &jose.JSONWebKey{Key: key, KeyID: keyID},
	}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// impostorKey is made on first use only: most providers never need it and
// RSA key generation is the slowest part of Start.
func (p *Provider) impostorKey() (*rsa.PrivateKey, error) {
	p.otherKeyOnce.Do(func() {
		p.otherKey, p.otherKeyErr = rsa.GenerateKey(rand.Reader, 2048)
	})
	return p.otherKey, p.otherKeyErr
}

// hmacKey is what Authentik keys HS256 with: the client secret. Public
// clients have none here, so their ID is used.
func (p *Provider) hmacKey(clientID string) []byte {
	if c, ok := p.store.client(clientID); ok && !c.public() {
		return []byte(c.Secret)
	}
	return []byte(clientID)
}

// HMAC is computed directly rather than through go-jose, which refuses keys
// shorter than 256 bits; client IDs used as keys are usually shorter.
func signHS256(payload, key []byte) string {
	return compactJWS(map[string]string{"alg": "HS256", "typ": "JWT"}, payload, func(signingInput []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(signingInput)
		return m.Sum(nil)
	})
}

func verifyHS256(token string, key []byte) ([]byte, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("oidctest: not a compact JWS")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, m.Sum(nil)) {
		return nil, errors.New("oidctest: HS256 signature mismatch")
	}
	return base64.RawURLEncoding.DecodeString(parts[1])
}

func compactJWS(header map[string]string, payload []byte, sign func([]byte) []byte) string {
	h, _ := json.Marshal(header)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(payload)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func randomID() string { return rand.Text() }

// randomToken is long like Authentik's refresh tokens.
func randomToken() string { return rand.Text() + rand.Text() + rand.Text() }

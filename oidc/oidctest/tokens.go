package oidctest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// finishTokens turns the library's successful token response into what
// Authentik sends: the access token signed like the ID token (HS256 with
// the client secret when no signing key is selected) and, with an
// Encryption Key, both tokens encrypted. The final access token string is
// bound to its record, since that string is what clients present. The ID
// token is always signed again here: its iat and exp become the access
// token's issue and expiry times exactly, and Authentik's claims replace the library's (see
// remintIDToken).
func (p *Provider) finishTokens(body map[string]any, f Faults) error {
	libraryAT, _ := body["access_token"].(string)
	finalAT := libraryAT
	var clientID string
	var at *tokenRecord // the access token's record, a copy
	if libraryAT != "" {
		payload, err := libraryPayload(libraryAT)
		if err != nil {
			return fmt.Errorf("reading the access token: %w", err)
		}
		var claims struct {
			ID       string `json:"jti"`
			ClientID string `json:"client_id"`
		}
		if err := json.Unmarshal(payload, &claims); err != nil || claims.ID == "" {
			return fmt.Errorf("the access token has no jti (%v)", err)
		}
		clientID = claims.ClientID
		_, at = p.store.accessState(claims.ID)
		if f.HS256 {
			finalAT = signHS256(payload, p.hmacKey(claims.ClientID))
		}
		if finalAT, err = p.cfg.keys.encrypt(finalAT); err != nil {
			return err
		}
		body["access_token"] = finalAT
		p.store.bindAccessToken(finalAT, claims.ID)
	}
	idt, ok := body["id_token"].(string)
	if !ok {
		return nil
	}
	idt, err := p.remintIDToken(idt, f, finalAT, clientID, at)
	if err != nil {
		return fmt.Errorf("re-signing the ID token: %w", err)
	}
	if idt, err = p.cfg.keys.encrypt(idt); err != nil {
		return err
	}
	body["id_token"] = idt
	return nil
}

// libraryPayload reads a JWT the library just signed in this process. Its
// signature is not checked again: the signing key may have been rotated in
// between, and the token never left the provider.
func libraryPayload(raw string) ([]byte, error) {
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	return jws.UnsafePayloadWithoutVerification(), nil
}

// leftHalfHash is at_hash for the SHA-256 based algorithms (RS256, HS256).
func leftHalfHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"maps"
	"sync"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Authentik encrypts with these when a provider has an Encryption Key
// (OAuth2Provider.encrypt in authentik/providers/oauth2/models.py), and
// publishes the key in the JWKS with use "enc" and the same alg/enc
// (authentik/providers/oauth2/views/jwks.py).
const (
	jweKeyAlgorithm     = jose.RSA_OAEP_256
	jweContentAlgorithm = jose.A256CBC_HS512
)

// keyring holds the provider's signing key, which RotateSigningKey replaces,
// and the optional encryption key. Only the current signing key is
// published and trusted, as in Authentik, where a provider has exactly one
// selected signing key.
type keyring struct {
	mu    sync.RWMutex
	key   *rsa.PrivateKey
	keyID string

	enc   *rsa.PrivateKey // nil: no Encryption Key selected
	encID string
}

func newKeyring(encrypt bool) (*keyring, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("oidctest: generating the signing key: %w", err)
	}
	k := &keyring{key: key, keyID: rand.Text()[:16]}
	if encrypt {
		// The client never gets the private half: an ID token encrypted to
		// this key is unreadable to it, which is what such an Authentik does
		// to a desktop client.
		if k.enc, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, fmt.Errorf("oidctest: generating the encryption key: %w", err)
		}
		k.encID = rand.Text()[:16]
	}
	return k, nil
}

func (k *keyring) signing() (*rsa.PrivateKey, string) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.key, k.keyID
}

// rotate generates the key outside the lock: RSA generation is slow and
// requests keep being served with the old key meanwhile.
func (k *keyring) rotate() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("oidctest: generating the new signing key: %w", err)
	}
	k.mu.Lock()
	k.key, k.keyID = key, rand.Text()[:16]
	k.mu.Unlock()
	return nil
}

// encrypt wraps a compact JWS into a compact JWE the way Authentik does.
func (k *keyring) encrypt(compact string) (string, error) {
	if k.enc == nil {
		return compact, nil
	}
	enc, err := jose.NewEncrypter(jweContentAlgorithm, jose.Recipient{
		Algorithm: jweKeyAlgorithm,
		Key:       &k.enc.PublicKey,
		KeyID:     k.encID,
	}, (&jose.EncrypterOptions{}).WithType("JWE"))
	if err != nil {
		return "", fmt.Errorf("oidctest: preparing the token encryption: %w", err)
	}
	obj, err := enc.Encrypt([]byte(compact))
	if err != nil {
		return "", fmt.Errorf("oidctest: encrypting a token: %w", err)
	}
	return obj.CompactSerialize()
}

// RotateSigningKey replaces the signing key, as an admin selecting another
// key on the provider would: ID tokens issued before no longer verify
// against the JWKS, nor as an end-session id_token_hint. Tokens the
// provider looks up by value (access and refresh tokens) keep working.
func (p *Provider) RotateSigningKey() {
	if err := p.cfg.keys.rotate(); err != nil {
		// Only a broken random source makes this fail; a test cannot go on
		// meaningfully, and the event makes the cause visible.
		p.record("signing_key_rotation_failed", "", map[string]string{"error": err.Error()})
		return
	}
	p.record("signing_key_rotated", "", nil)
}

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct {
	id  string
	key *rsa.PublicKey
}

func (k publicKey) ID() string                         { return k.id }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }

// SigningKey stays RS256 even in HS256 mode: the library signs with it and
// the token endpoint wrapper re-signs with the client's secret.
func (s *store) SigningKey(context.Context) (op.SigningKey, error) {
	key, id := s.cfg.keys.signing()
	return signingKey{id: id, key: key}, nil
}

func (s *store) SignatureAlgorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	if s.cfg.faults(ctx).HS256 {
		return []jose.SignatureAlgorithm{jose.HS256}, nil
	}
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet is the signing key the JWKS publishes: none in HS256 mode, as
// Authentik without a signing key. The encryption key is added by the JWKS
// handler only, so the library never mistakes it for a verification key.
func (s *store) KeySet(ctx context.Context) ([]op.Key, error) {
	if s.cfg.faults(ctx).HS256 {
		return []op.Key{}, nil
	}
	key, id := s.cfg.keys.signing()
	return []op.Key{publicKey{id: id, key: &key.PublicKey}}, nil
}

// jwks is the JWKS document: the signing key, then the encryption key with
// use "enc" and Authentik's alg and enc.
func (p *Provider) jwks(ctx context.Context) ([]map[string]any, error) {
	keys, err := p.store.KeySet(ctx)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	add := func(jwk jose.JSONWebKey, extra map[string]any) error {
		raw, err := jwk.MarshalJSON()
		if err != nil {
			return fmt.Errorf("oidctest: encoding a JWK: %w", err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("oidctest: encoding a JWK: %w", err)
		}
		maps.Copy(m, extra)
		out = append(out, m)
		return nil
	}
	for _, k := range keys {
		if err := add(jose.JSONWebKey{Key: k.Key(), KeyID: k.ID(), Algorithm: string(k.Algorithm()), Use: k.Use()}, nil); err != nil {
			return nil, err
		}
	}
	if k := p.cfg.keys; k.enc != nil {
		jwk := jose.JSONWebKey{Key: &k.enc.PublicKey, KeyID: k.encID, Algorithm: string(jweKeyAlgorithm), Use: "enc"}
		if err := add(jwk, map[string]any{"enc": string(jweContentAlgorithm)}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

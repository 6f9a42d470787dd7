package encryption

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"

	"gatehouse.dev/gatehouse"
)

// MetaEntry is the one user-metadata entry the inner store holds for an
// encrypted object: the whole user map, sealed. Clients never see it.
//
// Its value is base64 (standard, padded) of:
//
//	version 1 (1 byte) | nonce (12 bytes) |
//	AES-256-GCM under HMAC(path key, "gatehouse/v1/meta\x00") of the JSON
//	of the user map, with AAD "gatehouse/v1/meta"
//
// The entry is written even for an empty map, so that one removed from
// the database is noticed rather than read as "no metadata".
const MetaEntry = "gatehouse-sealed"

const metaAAD = "gatehouse/v1/meta"

// sealMeta returns m with its user map replaced by the sealed entry.
func sealMeta(m gatehouse.ObjectMeta, pathKey Key) (gatehouse.ObjectMeta, error) {
	plain, err := json.Marshal(m.User)
	if err != nil {
		return m, fmt.Errorf("encode user metadata: %w", err)
	}
	g, err := newGCM(pathKey.metaKey())
	if err != nil {
		return m, err
	}
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plain)+tagSize)
	out[0] = version1
	rand.Read(out[1:])
	out = g.Seal(out, out[1:1+nonceSize], plain, []byte(metaAAD))
	m.User = map[string]string{MetaEntry: base64.StdEncoding.EncodeToString(out)}
	return m, nil
}

// openMeta returns m with its sealed entry replaced by the user map it
// holds. A wrong key fails with ErrAccessDenied; a missing, extra or
// damaged entry fails as damage.
func openMeta(m gatehouse.ObjectMeta, pathKey Key) (gatehouse.ObjectMeta, error) {
	sealed, ok := m.User[MetaEntry]
	if !ok || len(m.User) != 1 {
		return m, fmt.Errorf("user metadata is not sealed: %w", errDamaged)
	}
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < 1+nonceSize+tagSize || raw[0] != version1 {
		return m, fmt.Errorf("sealed user metadata: %w", errDamaged)
	}
	g, err := newGCM(pathKey.metaKey())
	if err != nil {
		return m, err
	}
	plain, err := g.Open(nil, raw[1:1+nonceSize], raw[1+nonceSize:], []byte(metaAAD))
	if err != nil {
		return m, fmt.Errorf("open user metadata: %w", errWrongKey)
	}
	var user map[string]string
	if err := json.Unmarshal(plain, &user); err != nil {
		return m, fmt.Errorf("decode user metadata: %w", errDamaged)
	}
	m.User = user
	return m, nil
}

// stripMeta removes the sealed entry, for listings whose caller holds
// no key for the object: it shows no user metadata rather than
// ciphertext.
func stripMeta(m gatehouse.ObjectMeta) gatehouse.ObjectMeta {
	if _, ok := m.User[MetaEntry]; ok {
		m.User = maps.Clone(m.User)
		delete(m.User, MetaEntry)
		if len(m.User) == 0 {
			m.User = nil
		}
	}
	return m
}

package grant

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gatehouse.dev/gatehouse"
)

// Grant is an access grant: a macaroon (what the holder may do), the
// encryption keys for what the holder may read, and the endpoint to use
// them at. Only the macaroon is signed; see the package threat model.
type Grant struct {
	Macaroon Macaroon
	// EncryptionAccess holds one key per covered bucket and prefix.
	// Package encryption derives them; a grant only carries them.
	EncryptionAccess []EncryptionKey
	// Endpoint is the S3 endpoint URL the grant is meant for.
	Endpoint string
}

// EncryptionKey is the encryption key for the objects under a bucket and a
// key prefix.
type EncryptionKey struct {
	Bucket gatehouse.BucketName
	Prefix string
	Key    SecretKey
}

// SecretKey is 32 bytes of key material. Formatting it with fmt, with any
// verb, prints a placeholder, so that keys do not end up in logs by
// accident; use the bytes directly where the key is really needed.
type SecretKey [32]byte

// Format implements fmt.Formatter.
func (SecretKey) Format(f fmt.State, _ rune) { f.Write([]byte("[secret key]")) }

// Prefix starts every serialized grant: "gh" for Gatehouse, and an
// underscore, which is not base58, so that the prefix stands apart and a
// double click still selects the whole grant.
const Prefix = "gh_"

// Limits on a grant, enforced by Serialize and Parse.
const (
	maxGrantLen    = 64 << 10 // characters of a serialized grant
	maxEndpointLen = 2048
	maxKeys        = 64
)

const grantVersion = 1

// Grant encoding, version 1, written as Prefix + base58(bytes):
//
//	grant    = 0x01 macaroon:bytes endpoint:bytes count:uvarint key* checksum
//	bytes    = length:uvarint byte[length]
//	key      = bucket:bytes prefix:bytes key:byte[32]
//	checksum = the first 4 bytes of SHA-256 of everything before it
//
// The macaroon is the macaroon encoding. The checksum catches typing and
// truncation; the macaroon's own chain is what protects against forgery.

// Serialize returns the grant as one string that is easy to copy and paste.
// The string holds encryption keys and the right to use the grant: treat
// it as a secret.
func (g Grant) Serialize() (string, error) {
	if err := g.validate(); err != nil {
		return "", err
	}
	m, _ := g.Macaroon.MarshalBinary()
	b := appendBytes([]byte{grantVersion}, m)
	b = appendBytes(b, []byte(g.Endpoint))
	b = binary.AppendUvarint(b, uint64(len(g.EncryptionAccess)))
	for _, k := range g.EncryptionAccess {
		b = appendBytes(b, []byte(k.Bucket))
		b = appendBytes(b, []byte(k.Prefix))
		b = append(b, k.Key[:]...)
	}
	sum := sha256.Sum256(b)
	s := Prefix + base58Encode(append(b, sum[:4]...))
	if len(s) > maxGrantLen {
		return "", fmt.Errorf("grant is %d characters, more than the limit of %d",
			len(s), maxGrantLen)
	}
	return s, nil
}

func (g Grant) validate() error {
	if len(g.Endpoint) > maxEndpointLen || !utf8.ValidString(g.Endpoint) ||
		strings.IndexFunc(g.Endpoint, unicode.IsControl) >= 0 {
		return fmt.Errorf("endpoint %q is not a URL", g.Endpoint)
	}
	if len(g.EncryptionAccess) > maxKeys {
		return fmt.Errorf("grant has %d encryption keys, more than the limit of %d",
			len(g.EncryptionAccess), maxKeys)
	}
	for _, k := range g.EncryptionAccess {
		p := Path{Bucket: k.Bucket, Prefix: k.Prefix}
		if err := p.validate(); err != nil {
			return fmt.Errorf("encryption key: %w", err)
		}
	}
	return nil
}

// Parse decodes a serialized grant. It rejects, with an error saying which,
// a string that is not a grant, one that was mistyped or truncated (the
// checksum), and an unknown version. The result is unverified: only the
// server, holding the API key secret, can verify its macaroon.
func Parse(s string) (Grant, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, Prefix) {
		return Grant{}, fmt.Errorf("not an access grant: it does not start with %q", Prefix)
	}
	if len(s) > maxGrantLen {
		return Grant{}, fmt.Errorf("access grant is %d characters, more than the limit of %d",
			len(s), maxGrantLen)
	}
	b, err := base58Decode(s[len(Prefix):])
	if err != nil {
		return Grant{}, fmt.Errorf("access grant: %w", err)
	}

	// The checksum first: a typo should read as a typo, not a bad field.
	if len(b) < 5 {
		return Grant{}, errors.New("access grant is truncated")
	}
	body, sum := b[:len(b)-4], b[len(b)-4:]
	if want := sha256.Sum256(body); !bytes.Equal(sum, want[:4]) {
		return Grant{}, errors.New("access grant checksum does not match: " +
			"it was mistyped or cut short")
	}
	if body[0] != grantVersion {
		return Grant{}, fmt.Errorf("access grant version %d is not supported", body[0])
	}
	g, err := decodeGrant(body[1:])
	if err != nil {
		return Grant{}, fmt.Errorf("access grant: %w", err)
	}
	return g, nil
}

func decodeGrant(b []byte) (Grant, error) {
	var g Grant
	r := reader{b: b}
	m, err := ParseMacaroon(r.bytes(r.uvarint()))
	if r.err == nil && err != nil {
		return g, err
	}
	g.Macaroon = m
	g.Endpoint = string(r.bytes(r.uvarint()))
	n := r.uvarint()
	if n > maxKeys {
		return g, fmt.Errorf("%d encryption keys, more than the limit of %d", n, maxKeys)
	}
	for range n {
		var k EncryptionKey
		k.Bucket = gatehouse.BucketName(r.bytes(r.uvarint()))
		k.Prefix = string(r.bytes(r.uvarint()))
		copy(k.Key[:], r.fixed(len(k.Key)))
		g.EncryptionAccess = append(g.EncryptionAccess, k)
	}
	if r.err == nil && r.len() > 0 {
		r.err = errors.New("trailing bytes")
	}
	if r.err != nil {
		return Grant{}, r.err
	}
	return g, g.validate()
}

// Inspection describes a grant for people: what it allows, where, and for
// which paths it carries keys. It holds no key material and no tag, and is
// meant to be printed as JSON. Its caveats are what the grant claims; only
// the server can verify them.
type Inspection struct {
	// APIKeyID identifies the API key the grant derives from (see APIKeyID).
	APIKeyID string `json:"api_key_id"`
	// RevocationID is what revoking this grant stores.
	RevocationID string       `json:"revocation_id"`
	Endpoint     string       `json:"endpoint,omitempty"`
	Caveats      []CaveatInfo `json:"caveats"`
	Encryption   []PathInfo   `json:"encryption_access"`
}

// CaveatInfo is one caveat, in JSON-friendly form; zero fields are left out.
type CaveatInfo struct {
	DisallowReads   bool       `json:"disallow_reads,omitempty"`
	DisallowWrites  bool       `json:"disallow_writes,omitempty"`
	DisallowLists   bool       `json:"disallow_lists,omitempty"`
	DisallowDeletes bool       `json:"disallow_deletes,omitempty"`
	AllowedPaths    []PathInfo `json:"allowed_paths,omitempty"`
	// NotBefore and NotAfter are RFC 3339 times in UTC.
	NotBefore     string   `json:"not_before,omitempty"`
	NotAfter      string   `json:"not_after,omitempty"`
	AllowedIPs    []string `json:"allowed_ips,omitempty"`
	MaxObjectSize int64    `json:"max_object_size,omitempty"`
}

// PathInfo is a bucket and a key prefix.
type PathInfo struct {
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix"`
}

// Inspect describes g without any of its secrets.
func (g Grant) Inspect() Inspection {
	in := Inspection{
		APIKeyID:     APIKeyID(g.Macaroon.Head()),
		RevocationID: g.Macaroon.RevocationID().String(),
		Endpoint:     g.Endpoint,
		Caveats:      []CaveatInfo{},
		Encryption:   []PathInfo{},
	}
	for _, c := range g.Macaroon.UnverifiedCaveats() {
		in.Caveats = append(in.Caveats, describe(c))
	}
	for _, k := range g.EncryptionAccess {
		in.Encryption = append(in.Encryption,
			PathInfo{Bucket: string(k.Bucket), Prefix: k.Prefix})
	}
	return in
}

func describe(c Caveat) CaveatInfo {
	ci := CaveatInfo{
		DisallowReads:   c.DisallowReads,
		DisallowWrites:  c.DisallowWrites,
		DisallowLists:   c.DisallowLists,
		DisallowDeletes: c.DisallowDeletes,
		NotBefore:       formatTime(c.NotBefore),
		NotAfter:        formatTime(c.NotAfter),
		MaxObjectSize:   c.MaxObjectSize,
	}
	for _, p := range c.AllowedPaths {
		ci.AllowedPaths = append(ci.AllowedPaths,
			PathInfo{Bucket: string(p.Bucket), Prefix: p.Prefix})
	}
	for _, p := range c.AllowedIPs {
		ci.AllowedIPs = append(ci.AllowedIPs, p.String())
	}
	return ci
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

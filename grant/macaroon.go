package grant

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/netip"
)

// Macaroon is an API key head with a chain of caveats and the tag that
// seals them (the "tail"). The chain follows the macaroon construction:
//
//	tag_0 = HMAC-SHA256(api key secret, head)
//	tag_i = HMAC-SHA256(tag_(i-1), encoded caveat i)
//	tail  = the last tag
//
// Appending a caveat needs only the tail, so any holder can narrow a
// macaroon; removing one needs the tag before it, which the holder does not
// have. Only the server, which knows the secret, can verify the chain.
//
// A Macaroon is immutable and safe for concurrent use. Its zero value is
// invalid: it verifies under no secret. A parsed macaroon is unverified
// until [Macaroon.Verify] succeeds; until then its caveats are claims.
type Macaroon struct {
	head    [32]byte
	raw     [][]byte // encoded caveats, as signed
	caveats []Caveat // raw, decoded
	tail    [32]byte
}

// MinSecretSize is the shortest API key secret accepted, in bytes.
const MinSecretSize = 32

// NewMacaroon returns the root macaroon of an API key: its head and no
// caveats. The secret must be at least [MinSecretSize] bytes.
func NewMacaroon(head [32]byte, secret []byte) (Macaroon, error) {
	if len(secret) < MinSecretSize {
		return Macaroon{}, fmt.Errorf("api key secret is %d bytes, fewer than %d",
			len(secret), MinSecretSize)
	}
	return Macaroon{head: head, tail: mac(secret, head[:])}, nil
}

// Head returns the API key head the macaroon starts from. The head is not
// secret; it identifies the API key (see [APIKeyID]).
func (m Macaroon) Head() [32]byte { return m.head }

// UnverifiedCaveats returns a copy of the caveats, in the order they were
// added. They are trustworthy only after [Macaroon.Verify] succeeds.
func (m Macaroon) UnverifiedCaveats() []Caveat {
	out := make([]Caveat, len(m.caveats))
	for i, c := range m.caveats {
		out[i] = c.clone()
	}
	return out
}

// Restrict returns a copy of m with c appended. It needs no secret. A zero
// nonce is filled with random bytes, and IP ranges are masked ("10.0.0.1/8"
// means 10.0.0.0/8); anything else invalid is an error (see
// [Caveat.Validate]). The receiver is unchanged.
func (m Macaroon) Restrict(c Caveat) (Macaroon, error) {
	if len(m.raw) >= MaxCaveats {
		return Macaroon{}, fmt.Errorf("grant already has the maximum of %d caveats",
			MaxCaveats)
	}

	// Normalize, then encode exactly what will be signed.
	c = c.clone()
	if c.Nonce == ([16]byte{}) {
		rand.Read(c.Nonce[:]) // never fails (crypto/rand)
	}
	for i, p := range c.AllowedIPs {
		c.AllowedIPs[i] = p.Masked()
	}
	b, err := c.MarshalBinary()
	if err != nil {
		return Macaroon{}, fmt.Errorf("restrict: %w", err)
	}
	d, err := decodeCaveat(b) // the signed form: times in UTC, no monotonic reading
	if err != nil {
		return Macaroon{}, fmt.Errorf("restrict: %w", err)
	}

	// Extend the chain on fresh slices, so that m and its copies never share.
	return Macaroon{
		head:    m.head,
		raw:     append(m.raw[:len(m.raw):len(m.raw)], b),
		caveats: append(m.caveats[:len(m.caveats):len(m.caveats)], d),
		tail:    mac(m.tail[:], b),
	}, nil
}

// ErrInvalidMacaroon is wrapped by every error of [Macaroon.Verify] and
// [Macaroon.RevocationIDs]: the chain does not match the secret.
var ErrInvalidMacaroon = errors.New("grant signature does not verify")

// Verify recomputes the chain from the API key secret and compares the
// result with the tail in constant time. A nil error means the head and
// every caveat are exactly as issued and appended.
func (m Macaroon) Verify(secret []byte) error {
	_, err := m.RevocationIDs(secret)
	return err
}

// RevocationID names a grant for revocation: the SHA-256 of a tag of its
// chain. It is safe to store and show; the tag itself is not, since it
// lets its holder append caveats to a grant they may not hold.
type RevocationID [32]byte

// String returns the ID in hex.
func (id RevocationID) String() string { return hex.EncodeToString(id[:]) }

// RevocationID returns the ID that revoking m stores: the SHA-256 of its
// tail. It needs no secret, so a holder can name what to revoke.
func (m Macaroon) RevocationID() RevocationID { return sha256.Sum256(m.tail[:]) }

// RevocationIDs verifies m like [Macaroon.Verify] and returns the
// revocation ID of every tag in its chain: the API key's root grant first,
// m's own ID last. A request must be refused if any of them is revoked,
// which is how revoking a grant revokes everything derived from it.
func (m Macaroon) RevocationIDs(secret []byte) ([]RevocationID, error) {
	if len(secret) < MinSecretSize {
		return nil, fmt.Errorf("%w: api key secret is too short", ErrInvalidMacaroon)
	}
	var h chainHasher
	ids := make([]RevocationID, 0, len(m.raw)+1)
	tag := h.mac(secret, m.head[:])
	ids = append(ids, sha256.Sum256(tag[:]))
	for _, b := range m.raw {
		tag = h.mac(tag[:], b)
		ids = append(ids, sha256.Sum256(tag[:]))
	}
	if !hmac.Equal(tag[:], m.tail[:]) {
		return nil, ErrInvalidMacaroon
	}
	return ids, nil
}

// Verified checks m against the secret and returns its caveats and its
// revocation IDs: everything a server needs to decide a request, from one
// pass over the chain.
func (m Macaroon) Verified(secret []byte) ([]Caveat, []RevocationID, error) {
	ids, err := m.RevocationIDs(secret)
	if err != nil {
		return nil, nil, err
	}
	return m.UnverifiedCaveats(), ids, nil
}

// String describes m without its tail, so that printing a macaroon never
// leaks the tag that lets its holder use and extend it.
func (m Macaroon) String() string {
	return fmt.Sprintf("grant.Macaroon{api_key_id: %s, caveats: %d}",
		APIKeyID(m.head), len(m.raw))
}

// GoString is String, so that %#v hides the tail too.
func (m Macaroon) GoString() string { return m.String() }

// APIKeyID returns the identifier shown for an API key head: the first 8
// bytes of its SHA-256, in hex.
func APIKeyID(head [32]byte) string {
	h := sha256.Sum256(head[:])
	return hex.EncodeToString(h[:8])
}

// mac returns HMAC-SHA256(key, msg).
func mac(key, msg []byte) [32]byte {
	var h chainHasher
	return h.mac(key, msg)
}

// chainHasher computes HMAC-SHA256 (RFC 2104, section 2) with one SHA-256
// state reused for every step of a chain. crypto/hmac keys each instance
// once, and allocating one per caveat was half the cost of verifying a
// grant. TestChainFollowsTheDocumentedConstruction checks this against
// crypto/hmac.
type chainHasher struct {
	h   hash.Hash
	pad [sha256.BlockSize]byte
}

func (c *chainHasher) mac(key, msg []byte) [32]byte {
	if c.h == nil {
		c.h = sha256.New()
	}
	// Keys longer than a block are hashed first (RFC 2104, section 2).
	if len(key) > sha256.BlockSize {
		k := sha256.Sum256(key)
		key = k[:]
	}

	// inner = H((K ^ ipad) || msg)
	var inner [32]byte
	c.keyPad(key, 0x36)
	c.h.Reset()
	c.h.Write(c.pad[:])
	c.h.Write(msg)
	c.h.Sum(inner[:0])

	// tag = H((K ^ opad) || inner)
	var tag [32]byte
	c.keyPad(key, 0x5c)
	c.h.Reset()
	c.h.Write(c.pad[:])
	c.h.Write(inner[:])
	c.h.Sum(tag[:0])
	return tag
}

func (c *chainHasher) keyPad(key []byte, pad byte) {
	for i := range c.pad {
		c.pad[i] = pad
	}
	for i, k := range key {
		c.pad[i] ^= k
	}
}

func (c Caveat) clone() Caveat {
	c.AllowedPaths = append([]Path(nil), c.AllowedPaths...)
	c.AllowedIPs = append([]netip.Prefix(nil), c.AllowedIPs...)
	return c
}

// macaroonVersion is the first byte of an encoded macaroon.
const macaroonVersion = 1

// Macaroon encoding, version 1:
//
//	macaroon = 0x01 head:byte[32] count:uvarint caveat* tail:byte[32]
//	caveat   = length:uvarint bytes:byte[length]   (the caveat encoding)
//
// count is at most MaxCaveats. Trailing bytes are rejected.

// MarshalBinary encodes m in the version 1 macaroon format. It never fails.
func (m Macaroon) MarshalBinary() ([]byte, error) {
	b := append([]byte{macaroonVersion}, m.head[:]...)
	b = binary.AppendUvarint(b, uint64(len(m.raw)))
	for _, c := range m.raw {
		b = appendBytes(b, c)
	}
	return append(b, m.tail[:]...), nil
}

// ParseMacaroon decodes a version 1 macaroon. The result is unverified.
func ParseMacaroon(b []byte) (Macaroon, error) {
	var m Macaroon
	r := reader{b: bytes.Clone(b)} // the caveats keep slices of it
	if r.byte() != macaroonVersion && r.err == nil {
		return m, errors.New("macaroon has an unknown version")
	}
	copy(m.head[:], r.fixed(32))
	n := r.uvarint()
	if n > MaxCaveats {
		return m, fmt.Errorf("macaroon has %d caveats, more than the limit of %d",
			n, MaxCaveats)
	}
	for i := range n {
		raw := r.bytes(r.uvarint())
		if r.err != nil {
			break
		}
		c, err := decodeCaveat(raw)
		if err != nil {
			return Macaroon{}, fmt.Errorf("macaroon caveat %d: %w", i+1, err)
		}
		m.raw = append(m.raw, raw)
		m.caveats = append(m.caveats, c)
	}
	copy(m.tail[:], r.fixed(32))
	if r.err == nil && r.len() > 0 {
		r.err = errors.New("trailing bytes")
	}
	if r.err != nil {
		return Macaroon{}, fmt.Errorf("macaroon: %w", r.err)
	}
	return m, nil
}

package grant

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"
	"unicode/utf8"

	"gatehouse.dev/gatehouse"
)

// Caveat is one restriction step of a grant. Its zero fields mean "no
// restriction"; a caveat with every field zero but the nonce allows
// everything, and still makes a grant distinct from its parent. All caveats
// of a grant must allow a request (see [Allow]).
type Caveat struct {
	// DisallowReads denies GetObject, HeadObject and copy sources.
	DisallowReads bool
	// DisallowWrites denies PutObject, multipart uploads, copy targets and
	// bucket-level changes.
	DisallowWrites bool
	// DisallowLists denies object listings, HeadBucket and ListBuckets.
	DisallowLists bool
	// DisallowDeletes denies DeleteObject(s), AbortMultipartUpload and
	// bucket-level changes.
	DisallowDeletes bool

	// AllowedPaths, when not empty, limits the grant to these paths; a
	// request matches if it lies within any of them.
	AllowedPaths []Path

	// NotBefore and NotAfter bound the time the grant is valid in; the
	// bounds are inclusive. The zero time means no bound.
	NotBefore time.Time
	NotAfter  time.Time

	// AllowedIPs, when not empty, limits the grant to requests from these
	// source address ranges. A request whose source is unknown is denied.
	AllowedIPs []netip.Prefix

	// MaxObjectSize, when positive, is the largest object, or part, in
	// bytes that the grant may write.
	MaxObjectSize int64

	// Nonce makes every caveat distinct, so that the same restriction
	// applied twice yields two grants that can be revoked separately.
	// [Macaroon.Restrict] fills a zero nonce with random bytes; a caveat
	// whose nonce is zero cannot be encoded.
	Nonce [16]byte
}

// Path is a bucket and a key prefix within it. The empty prefix is the
// whole bucket. The prefix is matched as a string, as in S3 policies:
// "photos" covers "photos/a.jpg" and also "photos-old/b.jpg", so a
// directory-like restriction should end with "/".
type Path struct {
	Bucket gatehouse.BucketName
	Prefix string
}

// Limits on what a caveat and a macaroon may hold. They bound the work a
// server does for one request; the decoders reject anything larger.
const (
	// MaxCaveats is the most caveats one macaroon may carry.
	MaxCaveats = 32
	// MaxCaveatSize is the largest encoded caveat, in bytes.
	MaxCaveatSize = 8 << 10
)

// caveatVersion is the first byte of every encoded caveat.
const caveatVersion = 1

// fieldTag identifies a field of an encoded caveat.
//
// The values are signed into every grant ever issued: the list is
// append-only. Never renumber a tag or reuse a retired one.
type fieldTag uint8

// Caveat field tags.
const (
	tagNonce           fieldTag = 1
	tagDisallowReads   fieldTag = 2
	tagDisallowWrites  fieldTag = 3
	tagDisallowLists   fieldTag = 4
	tagDisallowDeletes fieldTag = 5
	tagAllowedPaths    fieldTag = 6
	tagNotBefore       fieldTag = 7
	tagNotAfter        fieldTag = 8
	tagAllowedIPs      fieldTag = 9
	tagMaxObjectSize   fieldTag = 10
)

// Caveat encoding, version 1:
//
//	caveat  = 0x01 field*
//	field   = tag:uint8 length:uvarint value:byte[length]
//
// Fields appear in strictly ascending tag order, each at most once. A field
// whose value is zero is left out; the nonce is always present. Values:
//
//	1  nonce             16 bytes, not all zero
//	2  disallow reads    empty (presence means true)
//	3  disallow writes   empty
//	4  disallow lists    empty
//	5  disallow deletes  empty
//	6  allowed paths     path+, path = uvarint len, bucket, uvarint len, prefix
//	7  not before        int64 big-endian, Unix nanoseconds
//	8  not after         int64 big-endian, Unix nanoseconds
//	9  allowed IPs       cidr+, cidr = uint8 4|16, address, uint8 prefix bits
//	10 max object size   int64 big-endian, positive
//
// Lengths are minimal uvarints (encoding/binary). Unknown tags, empty lists,
// trailing bytes and anything the encoder would not produce are rejected.

// MarshalBinary encodes c in the version 1 caveat format. It fails if the
// nonce is zero or a field is invalid (see [Caveat.Validate]).
func (c Caveat) MarshalBinary() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	b := []byte{caveatVersion}
	b = appendField(b, tagNonce, c.Nonce[:])
	b = appendFlag(b, tagDisallowReads, c.DisallowReads)
	b = appendFlag(b, tagDisallowWrites, c.DisallowWrites)
	b = appendFlag(b, tagDisallowLists, c.DisallowLists)
	b = appendFlag(b, tagDisallowDeletes, c.DisallowDeletes)
	if len(c.AllowedPaths) > 0 {
		b = appendField(b, tagAllowedPaths, encodePaths(c.AllowedPaths))
	}
	if !c.NotBefore.IsZero() {
		b = appendField(b, tagNotBefore, encodeInt64(c.NotBefore.UnixNano()))
	}
	if !c.NotAfter.IsZero() {
		b = appendField(b, tagNotAfter, encodeInt64(c.NotAfter.UnixNano()))
	}
	if len(c.AllowedIPs) > 0 {
		b = appendField(b, tagAllowedIPs, encodeIPs(c.AllowedIPs))
	}
	if c.MaxObjectSize > 0 {
		b = appendField(b, tagMaxObjectSize, encodeInt64(c.MaxObjectSize))
	}
	if len(b) > MaxCaveatSize {
		return nil, fmt.Errorf("caveat is %d bytes, more than the limit of %d",
			len(b), MaxCaveatSize)
	}
	return b, nil
}

// Earliest and latest times a caveat can hold: those whose Unix
// nanoseconds fit in an int64 (years 1678 to 2262).
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// Validate reports whether c can be encoded: a non-zero nonce, paths that
// name a bucket, valid and masked IPv4 or IPv6 prefixes, times in the
// years 1678 to 2262, NotBefore not after NotAfter, and a size that is not
// negative.
func (c Caveat) Validate() error {
	if c.Nonce == ([16]byte{}) {
		return errors.New("caveat has no nonce")
	}
	for _, p := range c.AllowedPaths {
		if err := p.validate(); err != nil {
			return err
		}
	}
	for _, t := range []time.Time{c.NotBefore, c.NotAfter} {
		if !t.IsZero() && (t.Before(minTime) || t.After(maxTime)) {
			return fmt.Errorf("time %s is outside the years 1678 to 2262",
				t.Format(time.RFC3339))
		}
	}
	if !c.NotBefore.IsZero() && !c.NotAfter.IsZero() && c.NotBefore.After(c.NotAfter) {
		return fmt.Errorf("not_before %s is after not_after %s",
			c.NotBefore.Format(time.RFC3339Nano), c.NotAfter.Format(time.RFC3339Nano))
	}
	for _, p := range c.AllowedIPs {
		if err := validatePrefix(p); err != nil {
			return err
		}
	}
	if c.MaxObjectSize < 0 {
		return fmt.Errorf("max object size %d is negative", c.MaxObjectSize)
	}
	return nil
}

func (p Path) validate() error {
	if p.Bucket == "" {
		return fmt.Errorf("allowed path with prefix %q names no bucket", p.Prefix)
	}
	if len(p.Bucket) > 255 || !utf8.ValidString(string(p.Bucket)) {
		return fmt.Errorf("allowed path bucket %q is not a bucket name", p.Bucket)
	}
	if len(p.Prefix) > gatehouse.MaxKeyLength || !utf8.ValidString(p.Prefix) {
		return fmt.Errorf("allowed path prefix %q is not an object key prefix", p.Prefix)
	}
	return nil
}

func validatePrefix(p netip.Prefix) error {
	switch {
	case !p.IsValid():
		return fmt.Errorf("allowed IP range %s is not valid", p)
	case p.Addr().Is4In6():
		return fmt.Errorf("allowed IP range %s is IPv4-mapped; write it as IPv4", p)
	case p != p.Masked():
		return fmt.Errorf("allowed IP range %s has host bits set; did you mean %s",
			p, p.Masked())
	}
	return nil
}

func appendField(b []byte, t fieldTag, v []byte) []byte {
	b = append(b, byte(t))
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendFlag(b []byte, t fieldTag, set bool) []byte {
	if !set {
		return b
	}
	return appendField(b, t, nil)
}

func encodePaths(paths []Path) []byte {
	var b []byte
	for _, p := range paths {
		b = appendBytes(b, []byte(p.Bucket))
		b = appendBytes(b, []byte(p.Prefix))
	}
	return b
}

func encodeIPs(prefixes []netip.Prefix) []byte {
	var b []byte
	for _, p := range prefixes {
		a := p.Addr().AsSlice()
		b = append(b, byte(len(a)))
		b = append(b, a...)
		b = append(b, byte(p.Bits()))
	}
	return b
}

func encodeInt64(v int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(v))
}

// appendBytes appends v with its uvarint length.
func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// UnmarshalBinary decodes a version 1 caveat into c. It accepts exactly
// what [Caveat.MarshalBinary] produces, so that re-encoding c gives back b.
func (c *Caveat) UnmarshalBinary(b []byte) error {
	d, err := decodeCaveat(b)
	if err != nil {
		return err
	}
	*c = d
	return nil
}

func decodeCaveat(b []byte) (Caveat, error) {
	var c Caveat
	if len(b) > MaxCaveatSize {
		return c, fmt.Errorf("caveat is %d bytes, more than the limit of %d",
			len(b), MaxCaveatSize)
	}
	if len(b) == 0 || b[0] != caveatVersion {
		return c, errors.New("caveat has an unknown version")
	}

	// Read the fields in ascending tag order.
	r := reader{b: b[1:]}
	var last fieldTag
	for r.len() > 0 {
		t := fieldTag(r.byte())
		v := r.bytes(r.uvarint())
		if r.err != nil {
			return c, fmt.Errorf("caveat: %w", r.err)
		}
		if t <= last {
			return c, fmt.Errorf("caveat field %d is out of order", t)
		}
		last = t
		if err := c.setField(t, v); err != nil {
			return c, fmt.Errorf("caveat field %d: %w", t, err)
		}
	}

	// The nonce is mandatory, and the whole must be valid.
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("caveat: %w", err)
	}
	return c, nil
}

func (c *Caveat) setField(t fieldTag, v []byte) error {
	switch t {
	case tagNonce:
		if len(v) != len(c.Nonce) {
			return errors.New("nonce is not 16 bytes")
		}
		copy(c.Nonce[:], v)
		return nil
	case tagDisallowReads:
		return setFlag(&c.DisallowReads, v)
	case tagDisallowWrites:
		return setFlag(&c.DisallowWrites, v)
	case tagDisallowLists:
		return setFlag(&c.DisallowLists, v)
	case tagDisallowDeletes:
		return setFlag(&c.DisallowDeletes, v)
	case tagAllowedPaths:
		return c.setPaths(v)
	case tagNotBefore:
		return setTime(&c.NotBefore, v)
	case tagNotAfter:
		return setTime(&c.NotAfter, v)
	case tagAllowedIPs:
		return c.setIPs(v)
	case tagMaxObjectSize:
		if len(v) != 8 || int64(binary.BigEndian.Uint64(v)) <= 0 {
			return errors.New("max object size is not a positive int64")
		}
		c.MaxObjectSize = int64(binary.BigEndian.Uint64(v))
		return nil
	}
	return errors.New("unknown field")
}

func setFlag(f *bool, v []byte) error {
	if len(v) != 0 {
		return errors.New("flag has a value")
	}
	*f = true
	return nil
}

func setTime(t *time.Time, v []byte) error {
	if len(v) != 8 {
		return errors.New("time is not 8 bytes")
	}
	*t = time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC()
	return nil
}

func (c *Caveat) setPaths(v []byte) error {
	r := reader{b: v}
	for r.len() > 0 {
		bucket := r.bytes(r.uvarint())
		prefix := r.bytes(r.uvarint())
		if r.err != nil {
			return r.err
		}
		c.AllowedPaths = append(c.AllowedPaths,
			Path{Bucket: gatehouse.BucketName(bucket), Prefix: string(prefix)})
	}
	if len(c.AllowedPaths) == 0 {
		return errors.New("empty list of paths")
	}
	return nil
}

func (c *Caveat) setIPs(v []byte) error {
	r := reader{b: v}
	for r.len() > 0 {
		n := r.byte()
		if r.err == nil && n != 4 && n != 16 {
			return fmt.Errorf("address of %d bytes", n)
		}
		a, _ := netip.AddrFromSlice(r.bytes(uint64(n)))
		bits := r.byte()
		if r.err != nil {
			return r.err
		}
		c.AllowedIPs = append(c.AllowedIPs, netip.PrefixFrom(a, int(bits)))
	}
	if len(c.AllowedIPs) == 0 {
		return errors.New("empty list of IP ranges")
	}
	return nil
}

// reader reads a binary format and remembers the first error, so that a
// decoder can read several values and check once.
type reader struct {
	b   []byte
	err error
}

var errTruncated = errors.New("truncated")

func (r *reader) len() int { return len(r.b) }

func (r *reader) byte() byte {
	v := r.bytes(1)
	if v == nil {
		return 0
	}
	return v[0]
}

// bytes returns the next n bytes, which alias the input.
func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errTruncated
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// uvarint reads a minimally encoded uvarint.
func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	switch {
	case n == 0:
		r.err = errTruncated
		return 0
	case n < 0 || n != len(binary.AppendUvarint(nil, v)):
		r.err = errors.New("malformed length")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) fixed(n int) []byte { return r.bytes(uint64(n)) }

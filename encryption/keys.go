package encryption

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"gatehouse.dev/gatehouse"
)

// Argon2id parameters for RootKey. They are above the OWASP Password
// Storage Cheat Sheet's minimum for Argon2id (19 MiB, 2 passes, 1 lane)
// and, once keys exist, part of the stored format: changing them changes
// every key. One derivation takes a few hundred milliseconds and 64 MiB
// (see BenchmarkRootKey), which is why it runs when a grant is created
// and never per request.
const (
	ArgonMemoryKiB = 64 << 10 // 64 MiB
	ArgonTime      = 3
	ArgonThreads   = 2
	KeySize        = 32
)

// Domain-separation labels for the HMAC steps. Part of the key format.
const (
	labelBucket = "gatehouse/v1/bucket\x00"
	labelPath   = "gatehouse/v1/path\x00"
	labelMeta   = "gatehouse/v1/meta\x00"
)

// Key is a 256-bit key: a root, bucket, prefix or object path key. Its
// String method never prints the bytes, so a Key logged by mistake
// leaks nothing.
type Key [KeySize]byte

// String hides the key.
func (Key) String() string { return "encryption.Key(redacted)" }

// GoString hides the key from %#v too.
func (k Key) GoString() string { return k.String() }

// RootKey derives a project's root key from a passphrase with Argon2id.
// salt is the project's salt: at least 16 random bytes, not secret. The
// caller keeps the passphrase out of logs and zeroes it when done.
func RootKey(passphrase, salt []byte) Key {
	var k Key
	copy(k[:], argon2.IDKey(passphrase, salt, ArgonTime, ArgonMemoryKiB, ArgonThreads, KeySize))
	return k
}

// derive is one HMAC-SHA256 step: HMAC(k, label || name).
func (k Key) derive(label, name string) Key {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(label))
	m.Write([]byte(name))
	var out Key
	m.Sum(out[:0])
	return out
}

// Bucket derives the key of bucket b from a root key.
func (k Key) Bucket(b gatehouse.BucketName) Key { return k.derive(labelBucket, string(b)) }

// Path derives, from a bucket or prefix key, the key after each of the
// given path components in turn. With no components it returns k.
func (k Key) Path(components ...string) Key {
	for _, c := range components {
		k = k.derive(labelPath, c)
	}
	return k
}

// Object derives the path key of object key rel from a bucket key, or
// from a prefix key when rel is the object key with the covered prefix
// removed. rel is split on "/"; every piece, empty ones included, is a
// component.
func (k Key) Object(rel string) Key { return k.Path(strings.Split(rel, "/")...) }

// KeyFor is the path key of object k under bucket key bucketKey.
func KeyFor(bucketKey Key, k gatehouse.ObjectKey) Key { return bucketKey.Object(string(k)) }

// PrefixKey derives the key a grant limited to bucket/prefix carries:
// the key after the last complete component of prefix, which is the
// part of prefix up to and including its last "/" (returned as covered).
// "a/b/" covers "a/b/"; "a/b" covers only "a/", so such a key can also
// decrypt a/c; the grant's caveats still deny keys outside "a/b".
func PrefixKey(root Key, b gatehouse.BucketName, prefix string) (k Key, covered string) {
	covered = prefix[:strings.LastIndex(prefix, "/")+1]
	k = root.Bucket(b)
	if covered == "" {
		return k, ""
	}
	parts := strings.Split(covered, "/")
	return k.Path(parts[:len(parts)-1]...), covered
}

// metaKey is the key that seals an object's user metadata, kept apart
// from the path key that wraps its data keys.
func (k Key) metaKey() Key { return k.derive(labelMeta, "") }

// KeySource yields the path key for objects of a request. Implementations
// return an error wrapping gatehouse.ErrAccessDenied for an object their
// keys do not cover. They must be safe for concurrent use.
type KeySource interface {
	KeyFor(b gatehouse.BucketName, k gatehouse.ObjectKey) (Key, error)
}

// Access is the key material of a grant: the key at Bucket/Prefix, or
// the project's root key when Bucket is empty. Prefix is a covered prefix
// as PrefixKey returns it: empty or ending in "/". Access is a KeySource.
type Access struct {
	Bucket gatehouse.BucketName
	Prefix string
	Key    Key
}

// RootAccess is the Access of a root key: every bucket and object.
func RootAccess(root Key) Access { return Access{Key: root} }

// KeyFor derives the path key of b/k, or fails with AccessDenied when
// k is outside the access's bucket and prefix.
func (a Access) KeyFor(b gatehouse.BucketName, k gatehouse.ObjectKey) (Key, error) {
	if a.Bucket == "" {
		return KeyFor(a.Key.Bucket(b), k), nil
	}
	if b != a.Bucket || !strings.HasPrefix(string(k), a.Prefix) {
		return Key{}, fmt.Errorf("no key for %s/%s: %w", b, k,
			gatehouse.ErrAccessDenied.With("The grant holds no key for this object."))
	}
	return a.Key.Object(string(k)[len(a.Prefix):]), nil
}

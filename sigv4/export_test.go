package sigv4

import (
	"crypto/sha256"
	"hash"
)

func newSHA256() hash.Hash { return sha256.New() }

// sha256Hash adapts crypto/sha256 to minio's md5simd.Hasher.
type sha256Hash struct{ hash.Hash }

func (sha256Hash) Close() {}

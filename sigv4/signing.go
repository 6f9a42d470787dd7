package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"sync"
)

// Protocol constants from "Signature Calculations for the Authorization
// Header" and "Signature Calculations for the Authorization Header:
// Transferring Payload in Multiple Chunks".
const (
	algorithm       = "AWS4-HMAC-SHA256"
	algorithmECDSA  = "AWS4-ECDSA-P256-SHA256"
	scopeTerminator = "aws4_request"
	serviceS3       = "s3"
	amzDateFormat   = "20060102T150405Z"
	scopeDateFormat = "20060102"

	chunkAlgorithm   = "AWS4-HMAC-SHA256-PAYLOAD"
	trailerAlgorithm = "AWS4-HMAC-SHA256-TRAILER"

	// emptySHA256 is the hex SHA-256 of no bytes.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// hmacSHA256 returns HMAC-SHA256(key, data).
func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// deriveKey computes the SigV4 signing key for one day, region and
// service: the HMAC chain kSecret -> kDate -> kRegion -> kService ->
// kSigning.
func deriveKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, scopeTerminator)
}

// sha256Hex returns the lower-case hex SHA-256 of s.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// keyCache remembers derived signing keys, which change once a day per
// credential and region, so that a request costs one HMAC instead of five.
// Entries are looked up by access key, date and region and are valid only
// while the secret they were derived from is unchanged: a rotated secret
// misses the cache. The cache is bounded; when full it is emptied. It is
// safe for concurrent use.
type keyCache struct {
	mu      sync.Mutex
	entries map[keyCacheID]keyCacheEntry
}

type keyCacheID struct {
	accessKey, date, region string
}

type keyCacheEntry struct {
	secret string
	key    []byte
}

// maxCachedKeys bounds the cache: far more than one server's credentials
// times the two dates in use around midnight.
const maxCachedKeys = 4096

// signingKey returns the signing key for secret on date in region, for
// the s3 service.
func (c *keyCache) signingKey(accessKey, secret, date, region string) []byte {
	id := keyCacheID{accessKey, date, region}
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && subtle.ConstantTimeCompare([]byte(e.secret), []byte(secret)) == 1 {
		return e.key
	}

	key := deriveKey(secret, date, region, serviceS3)
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxCachedKeys {
		c.entries = make(map[keyCacheID]keyCacheEntry)
	}
	c.entries[id] = keyCacheEntry{secret: secret, key: key}
	c.mu.Unlock()
	return key
}

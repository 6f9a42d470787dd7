package registry

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"gatehouse.dev/gatehouse"
)

// Access key IDs are "GH" and 26 characters of base32 (RFC 4648, upper
// case): 130 random bits. Secret keys are 40 characters of URL-safe
// base64 (RFC 4648 section 5): 240 random bits.
const (
	accessKeyPrefix = "GH"
	accessKeyLen    = 28
	secretKeyLen    = 40
)

// newAccessKeyID returns a fresh random access key ID.
func newAccessKeyID() gatehouse.AccessKeyID {
	var b [17]byte
	rand.Read(b[:])
	s := base32.StdEncoding.EncodeToString(b[:])
	return gatehouse.AccessKeyID(accessKeyPrefix + s[:accessKeyLen-len(accessKeyPrefix)])
}

// newSecretKey returns a fresh random SigV4 secret key.
func newSecretKey() string {
	var b [30]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// wellFormed reports whether id could be an access key ID we issued, so
// that junk is turned away before it reaches the database.
func wellFormed(id gatehouse.AccessKeyID) bool {
	s := string(id)
	if len(s) != accessKeyLen || !strings.HasPrefix(s, accessKeyPrefix) {
		return false
	}
	for _, c := range s[len(accessKeyPrefix):] {
		if !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// lookupHash is the key a credential's row is found by.
func lookupHash(id gatehouse.AccessKeyID) [32]byte { return sha256.Sum256([]byte(id)) }

// recordKey derives the AES-256 key that seals the record of id
// (HKDF-SHA256, RFC 5869, with a label apart from the lookup hash).
func recordKey(id gatehouse.AccessKeyID) []byte {
	k, err := hkdf.Key(sha256.New, []byte(id), nil, "gatehouse/v1/credential-record", 32)
	if err != nil {
		panic(err) // only for lengths out of range, and 32 is not
	}
	return k
}

// Sealed record, version 1:
//
//	record    = 0x01 nonce:byte[12] AES-256-GCM(plaintext)
//	AAD       = 0x01 lookup:byte[32]
//	plaintext = public:byte(0|1) secret:byte[40] grant:the serialized grant
//
// The AAD binds the record to its row, so a record moved to another row
// fails to open even under the right key.
const recordVersion = 1

// plainRecord is an unsealed record.
type plainRecord struct {
	public bool
	secret string
	grant  string
}

var errBadRecord = errors.New("credential record does not open")

func newGCM(id gatehouse.AccessKeyID) cipher.AEAD {
	block, err := aes.NewCipher(recordKey(id))
	if err != nil {
		panic(err) // 32-byte key
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return gcm
}

func seal(id gatehouse.AccessKeyID, rec plainRecord) []byte {
	lookup := lookupHash(id)
	pt := make([]byte, 0, 1+secretKeyLen+len(rec.grant))
	if rec.public {
		pt = append(pt, 1)
	} else {
		pt = append(pt, 0)
	}
	pt = append(append(pt, rec.secret...), rec.grant...)

	out := make([]byte, 1+12, 1+12+len(pt)+16)
	out[0] = recordVersion
	rand.Read(out[1:13])
	aad := append([]byte{recordVersion}, lookup[:]...)
	return newGCM(id).Seal(out, out[1:13], pt, aad)
}

func unseal(id gatehouse.AccessKeyID, sealed []byte) (plainRecord, error) {
	if len(sealed) < 1+12+16 || sealed[0] != recordVersion {
		return plainRecord{}, fmt.Errorf("%w: unknown version or truncated", errBadRecord)
	}
	lookup := lookupHash(id)
	aad := append([]byte{recordVersion}, lookup[:]...)
	pt, err := newGCM(id).Open(nil, sealed[1:13], sealed[13:], aad)
	if err != nil {
		return plainRecord{}, fmt.Errorf("%w: %w", errBadRecord, err)
	}
	if len(pt) < 1+secretKeyLen || pt[0] > 1 {
		return plainRecord{}, fmt.Errorf("%w: malformed", errBadRecord)
	}
	return plainRecord{
		public: pt[0] == 1,
		secret: string(pt[1 : 1+secretKeyLen]),
		grant:  string(pt[1+secretKeyLen:]),
	}, nil
}

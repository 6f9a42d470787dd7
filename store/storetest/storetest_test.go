package storetest

import (
	"encoding/hex"
	"testing"

	"gatehouse.dev/gatehouse"
)

// The suite's reference checksums must themselves be right: check them
// against the published check values over "123456789".
func TestReferenceChecksumsMatchCheckValues(t *testing.T) {
	for alg, want := range map[gatehouse.ChecksumAlgorithm]string{
		gatehouse.ChecksumCRC32:     "cbf43926",
		gatehouse.ChecksumCRC32C:    "e3069283",
		gatehouse.ChecksumCRC64NVME: "ae8b14860a799888",
	} {
		h := newHash(alg)
		h.Write([]byte("123456789"))
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%s check value = %s, want %s", alg, got, want)
		}
	}
}

func TestMultipartETagMatchesKnownValue(t *testing.T) {
	// md5("a") = 0cc175b9c0f1b6a831c399e269772661, md5("b") =
	// 92eb5ffee6ae2fec3ad71c777531578f; the MD5 of their concatenated
	// binary digests, computed with coreutils (xxd -r -p | md5sum).
	const want = `"96e024ba2074fe77e8e965ba43a704be-2"`
	if got := multipartETag([]byte("a"), []byte("b")); got != want {
		t.Errorf("multipartETag(a, b) = %s, want %s", got, want)
	}
}

package encryption_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/encryption"
)

// seqKey is the key 00 01 02 ... 1f.
func seqKey() encryption.Key {
	var k encryption.Key
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

func hexKey(k encryption.Key) string { return hex.EncodeToString(k[:]) }

// hmacStep is one derivation step computed here, independently of the
// package: HMAC-SHA256(key, label || name).
func hmacStep(key []byte, label, name string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label + name))
	return m.Sum(nil)
}

// The root key vector was computed once with golang.org/x/crypto/argon2
// (no second Argon2id implementation was at hand) and is pinned so that
// a change of parameters, which would orphan every stored object, fails.
func TestRootKeyKnownAnswer(t *testing.T) {
	got := encryption.RootKey([]byte("correct horse battery staple"), []byte("gatehouse salt 1"))
	const want = "151be705bcce6a6025f4e0beb46abcf924348b76973acb9fcd20f5f250696756"
	if hexKey(got) != want {
		t.Errorf("RootKey = %s, want %s", hexKey(got), want)
	}
	other := encryption.RootKey([]byte("correct horse battery staple"), []byte("gatehouse salt 2"))
	if other == got {
		t.Error("RootKey ignores the salt")
	}
}

// The derivation vectors below were also checked with
// `openssl dgst -sha256 -mac HMAC` (bucket and prefix keys).
func TestPathKeysKnownAnswers(t *testing.T) {
	root := seqKey()
	bucket := root.Bucket("customer-a")
	cases := []struct {
		name string
		got  encryption.Key
		want string
	}{
		{"bucket key", bucket,
			"0b19eeea4580dff9cf4996743c38510473d53d7e5c34bf9cc5f9adb5ed8473a0"},
		{"object key photos/2024/cat.jpg", encryption.KeyFor(bucket, "photos/2024/cat.jpg"),
			"311e84ebd02f023401d4e87bdadd6afe6817daea20500e05167b7822e70616e8"},
		{"object key a//b has an empty component", bucket.Object("a//b"),
			"59767b3b6fa0613659631a44bdab2af07d6a57578f06e11ac45d80a0c47f56cf"},
	}
	for _, c := range cases {
		if hexKey(c.got) != c.want {
			t.Errorf("%s = %s, want %s", c.name, hexKey(c.got), c.want)
		}
	}

	// The same keys, computed step by step with crypto/hmac.
	b := hmacStep(root[:], "gatehouse/v1/bucket\x00", "customer-a")
	k := b
	for _, c := range []string{"photos", "2024", "cat.jpg"} {
		k = hmacStep(k, "gatehouse/v1/path\x00", c)
	}
	if hex.EncodeToString(b) != cases[0].want || hex.EncodeToString(k) != cases[1].want {
		t.Errorf("independent HMAC chain gives bucket %x, object %x", b, k)
	}
	k = b
	for _, c := range []string{"a", "", "b"} {
		k = hmacStep(k, "gatehouse/v1/path\x00", c)
	}
	if hex.EncodeToString(k) != cases[2].want {
		t.Errorf("independent HMAC chain for a//b gives %x", k)
	}
}

func TestPrefixKeyCoversDeepestCompleteComponent(t *testing.T) {
	root := seqKey()
	cases := []struct {
		prefix, covered string
		components      []string
	}{
		{"", "", nil},
		{"photos", "", nil},
		{"photos/", "photos/", []string{"photos"}},
		{"photos/20", "photos/", []string{"photos"}},
		{"a/b/", "a/b/", []string{"a", "b"}},
		{"a//b", "a//", []string{"a", ""}},
	}
	for _, c := range cases {
		k, covered := encryption.PrefixKey(root, "customer-a", c.prefix)
		want := root.Bucket("customer-a").Path(c.components...)
		if covered != c.covered || k != want {
			t.Errorf("PrefixKey(%q) covers %q with key %s; want %q, key after %q",
				c.prefix, covered, hexKey(k), c.covered, c.components)
		}
	}
	k, _ := encryption.PrefixKey(root, "customer-a", "photos/20")
	if hexKey(k) != "cbd92b57095846f294b53cd97ee463e39f38c419fa908284955b4a14b492e151" {
		t.Errorf("PrefixKey(photos/20) = %s", hexKey(k))
	}
}

// A grant's key at a prefix derives exactly the keys the root derives
// below that prefix, and refuses every key outside it.
func TestAccessAtPrefixMatchesRootBelowIt(t *testing.T) {
	root := seqKey()
	pk, covered := encryption.PrefixKey(root, "customer-a", "photos/2024/")
	grant := encryption.Access{Bucket: "customer-a", Prefix: covered, Key: pk}
	full := encryption.RootAccess(root)
	for _, k := range []gatehouse.ObjectKey{"photos/2024/cat.jpg", "photos/2024/", "photos/2024//x",
		"photos/2024/a/b/c"} {
		got, err := grant.KeyFor("customer-a", k)
		want, _ := full.KeyFor("customer-a", k)
		if err != nil || got != want {
			t.Errorf("grant key for %q = %s, %v; root gives %s", k, hexKey(got), err, hexKey(want))
		}
	}
	for _, c := range []struct {
		b gatehouse.BucketName
		k gatehouse.ObjectKey
	}{
		{"customer-a", "photos/2023/cat.jpg"},
		{"customer-a", "photos/2024"},
		{"customer-b", "photos/2024/x"},
	} {
		_, err := grant.KeyFor(c.b, c.k)
		if !errors.Is(err, gatehouse.ErrAccessDenied) {
			t.Errorf("grant key for %s/%s: %v, want AccessDenied", c.b, c.k, err)
		}
	}
}

func TestKeyNeverPrintsItsBytes(t *testing.T) {
	k := seqKey()
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %s %#v", k, k, k)} {
		if s == "" || strings.Contains(s, "0102") || strings.Contains(s, "[0 1 2") {
			t.Errorf("a formatted Key shows its bytes: %q", s)
		}
	}
}

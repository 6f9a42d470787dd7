package grant

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse"
)

// testGrant is a small grant with every kind of content.
func testGrant(t testing.TB) Grant {
	t.Helper()
	m := restrict(t, rootMacaroon(t),
		Caveat{AllowedPaths: []Path{{Bucket: "customer-a", Prefix: "docs/"}}, Nonce: nonce(1)},
		Caveat{DisallowWrites: true, NotAfter: t0, Nonce: nonce(2),
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	return Grant{
		Macaroon: m,
		EncryptionAccess: []EncryptionKey{
			{Bucket: "customer-a", Prefix: "docs/", Key: SecretKey(bytes.Repeat([]byte{0xc3}, 32))},
		},
		Endpoint: "http://127.0.0.1:7700",
	}
}

func serialize(t testing.TB, g Grant) string {
	t.Helper()
	s, err := g.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGrantRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    Grant
	}{
		{"a root grant with no keys and no endpoint", Grant{Macaroon: rootMacaroon(t)}},
		{"a restricted grant with a key and an endpoint", testGrant(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := serialize(t, tc.g)
			if !strings.HasPrefix(s, "gh_") || strings.ContainsAny(s[3:], "0OIl_ \n") {
				t.Errorf("grant %q is not gh_ followed by base58", s)
			}
			got, err := Parse("  " + s + "\n") // as pasted from a terminal
			if err != nil {
				t.Fatal(err)
			}
			if err := got.Macaroon.Verify(testSecret); err != nil {
				t.Errorf("parsed macaroon does not verify: %v", err)
			}
			if d := cmp.Diff(tc.g.EncryptionAccess, got.EncryptionAccess); d != "" {
				t.Errorf("keys differ (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.g.Macaroon.UnverifiedCaveats(), got.Macaroon.UnverifiedCaveats(),
				cmpCaveat...); d != "" {
				t.Errorf("caveats differ (-want +got):\n%s", d)
			}
			if got.Endpoint != tc.g.Endpoint || serialize(t, got) != s {
				t.Errorf("re-serializing gives another string")
			}
		})
	}
}

// TestEveryCharacterChangeOfAGrantIsRejected replaces each character of a
// serialized grant with every other base58 character.
func TestEveryCharacterChangeOfAGrantIsRejected(t *testing.T) {
	s := serialize(t, testGrant(t))
	tried := 0
	for i := len(Prefix); i < len(s); i++ {
		for _, r := range base58Alphabet {
			if byte(r) == s[i] {
				continue
			}
			bad := s[:i] + string(r) + s[i+1:]
			tried++
			g, err := Parse(bad)
			if err == nil && g.Macaroon.Verify(testSecret) == nil {
				t.Fatalf("character %d changed to %q: the grant still parses and verifies", i, r)
			}
		}
	}
	t.Logf("%d altered grants, all rejected", tried)
}

func TestParseRejects(t *testing.T) {
	good := serialize(t, testGrant(t))
	raw, err := base58Decode(good[len(Prefix):])
	if err != nil {
		t.Fatal(err)
	}
	// reseal re-encodes raw bytes with a correct checksum, to reach the
	// checks behind it.
	reseal := func(body []byte) string {
		return Prefix + base58Encode(append(body, checksum(body)...))
	}
	body := raw[:len(raw)-4]

	for _, tc := range []struct {
		name, s, wantErr string
	}{
		{"an empty string", "", "does not start with \"gh_\""},
		{"an S3 secret key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "does not start"},
		{"a character outside base58", good[:10] + "0" + good[11:], "character '0' at 7"},
		{"a grant cut short", good[:len(good)-3], "checksum does not match"},
		{"a grant with a character dropped", good[:20] + good[21:], "checksum does not match"},
		{"only the prefix", Prefix, "truncated"},
		{"version 2", reseal(append([]byte{2}, body[1:]...)), "version 2 is not supported"},
		{"a trailing byte", reseal(append(bytes.Clone(body), 0)), "trailing bytes"},
		{"a grant over the size limit", Prefix + strings.Repeat("2", maxGrantLen),
			"more than the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.s)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func checksum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:4]
}

func TestInspectShowsCaveatsButNoSecrets(t *testing.T) {
	g := testGrant(t)
	out, err := json.MarshalIndent(g.Inspect(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}

	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"api_key_id":    APIKeyID(testHead),
		"revocation_id": g.Macaroon.RevocationID().String(),
		"endpoint":      "http://127.0.0.1:7700",
		"caveats": []any{
			map[string]any{"allowed_paths": []any{
				map[string]any{"bucket": "customer-a", "prefix": "docs/"}}},
			map[string]any{"disallow_writes": true, "not_after": "2030-01-02T03:04:05.0000006Z",
				"allowed_ips": []any{"10.0.0.0/8"}},
		},
		"encryption_access": []any{map[string]any{"bucket": "customer-a", "prefix": "docs/"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("inspect output (-want +got):\n%s", d)
	}

	// No key, tag or serialized grant in any form.
	s, _ := g.Serialize()
	for _, secret := range []string{
		"c3c3", "w8PD", // the key in hex and in base64
		fmt.Sprintf("%x", g.Macaroon.tail[:4]), s[3:20],
	} {
		if bytes.Contains(out, []byte(secret)) {
			t.Errorf("inspect output contains %q:\n%s", secret, out)
		}
	}
}

func TestSerializeRejectsInvalidGrants(t *testing.T) {
	for _, tc := range []struct {
		name, wantErr string
		g             Grant
	}{
		{"an endpoint with a newline", "is not a URL",
			Grant{Endpoint: "http://a\nb"}},
		{"a key without a bucket", "names no bucket",
			Grant{EncryptionAccess: []EncryptionKey{{Prefix: "p/"}}}},
		{"too many keys", "more than the limit",
			Grant{EncryptionAccess: make([]EncryptionKey, maxKeys+1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.g.Serialize()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestBase58KnownAnswers uses the vectors commonly published for Bitcoin's
// base58 alphabet.
func TestBase58KnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{nil, ""},
		{[]byte{0}, "1"},
		{[]byte{0, 0, 0}, "111"},
		{[]byte{0x61}, "2g"},
		{[]byte{0x62, 0x62, 0x62}, "a3gV"},
		{[]byte{0x63, 0x63, 0x63}, "aPEr"},
		{[]byte("Hello World!"), "2NEpo7TZRRrLZSi2U"},
		{[]byte("The quick brown fox jumps over the lazy dog."),
			"USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"},
		{[]byte{0, 0, 0x28, 0x7f, 0xb4, 0xcd}, "11233QC4"},
	} {
		if got := base58Encode(tc.in); got != tc.want {
			t.Errorf("encode(%x) = %q, want %q", tc.in, got, tc.want)
		}
		got, err := base58Decode(tc.want)
		if err != nil || !bytes.Equal(got, tc.in) {
			t.Errorf("decode(%q) = %x, %v; want %x", tc.want, got, err, tc.in)
		}
	}
}

// FuzzParse checks that Parse never panics, and that whatever it accepts is
// the one serialization of its grant.
func FuzzParse(f *testing.F) {
	f.Add(serialize(f, testGrant(f)))
	f.Add(serialize(f, Grant{Macaroon: rootMacaroon(f)}))
	f.Add("gh_1")
	f.Fuzz(func(t *testing.T, s string) {
		g, err := Parse(s)
		if err != nil {
			return
		}
		again, err := g.Serialize()
		if err != nil {
			t.Fatalf("parsed grant does not serialize: %v", err)
		}
		if again != strings.TrimSpace(s) {
			t.Fatalf("%q parses, but serializes as %q", s, again)
		}
		_ = Allow(g.Macaroon.UnverifiedCaveats(), gatehouse.AccessRequest{
			Action: gatehouse.ActionRead, Bucket: "b", Key: "k"}, 0, time.Unix(1, 0))
	})
}

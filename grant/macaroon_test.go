package grant

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestChainFollowsTheDocumentedConstruction recomputes the chain with
// crypto/hmac, step by step as the Macaroon doc states it.
func TestChainFollowsTheDocumentedConstruction(t *testing.T) {
	c1, c2 := Caveat{DisallowWrites: true, Nonce: nonce(1)}, Caveat{Nonce: nonce(2)}
	m := restrict(t, rootMacaroon(t), c1, c2)

	step := func(key, msg []byte) []byte {
		h := hmac.New(sha256.New, key)
		h.Write(msg)
		return h.Sum(nil)
	}
	tag0 := step(testSecret, testHead[:])
	tag1 := step(tag0, mustMarshal(t, c1))
	tag2 := step(tag1, mustMarshal(t, c2))

	b := mustMarshal(t, m)
	if got := b[len(b)-32:]; !bytes.Equal(got, tag2) {
		t.Errorf("tail %x, want %x", got, tag2)
	}
	ids, err := m.RevocationIDs(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	want := []RevocationID{sha256.Sum256(tag0), sha256.Sum256(tag1), sha256.Sum256(tag2)}
	if d := cmp.Diff(want, ids); d != "" {
		t.Errorf("revocation IDs (-want +got):\n%s", d)
	}
}

// TestMACMatchesCryptoHMAC checks the chain's own HMAC against crypto/hmac
// for keys shorter than, equal to and longer than a SHA-256 block.
func TestMACMatchesCryptoHMAC(t *testing.T) {
	for _, n := range []int{0, 1, 32, 63, 64, 65, 200} {
		key := bytes.Repeat([]byte{byte(n)}, n)
		msg := []byte(fmt.Sprintf("message %d", n))
		h := hmac.New(sha256.New, key)
		h.Write(msg)
		if got := mac(key, msg); !bytes.Equal(got[:], h.Sum(nil)) {
			t.Errorf("key of %d bytes: mac %x, crypto/hmac %x", n, got, h.Sum(nil))
		}
	}
}

func TestVerify(t *testing.T) {
	root := rootMacaroon(t)
	child := restrict(t, root, Caveat{DisallowDeletes: true}, Caveat{DisallowReads: true})
	otherHead := testHead
	otherHead[0] ^= 1
	stranger, _ := NewMacaroon(otherHead, otherSecret)

	for _, tc := range []struct {
		name   string
		m      Macaroon
		secret []byte
		ok     bool
	}{
		{"a root macaroon verifies under its secret", root, testSecret, true},
		{"a restricted macaroon verifies under the same secret", child, testSecret, true},
		{"the wrong secret fails", child, otherSecret, false},
		{"another key's macaroon fails under this secret", stranger, testSecret, false},
		{"a secret that is too short fails", child, testSecret[:16], false},
		{"the zero macaroon fails", Macaroon{}, testSecret, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.Verify(tc.secret)
			if tc.ok != (err == nil) {
				t.Fatalf("Verify: %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidMacaroon) {
				t.Errorf("error %v does not wrap ErrInvalidMacaroon", err)
			}
		})
	}
}

func TestNewMacaroonRefusesAShortSecret(t *testing.T) {
	if _, err := NewMacaroon(testHead, make([]byte, 31)); err == nil {
		t.Error("NewMacaroon accepted a 31-byte secret")
	}
}

// TestCaveatsCannotBeRemovedOrReordered rebuilds macaroons from the raw
// parts of a valid one, as an attacker holding it could.
func TestCaveatsCannotBeRemovedOrReordered(t *testing.T) {
	cs := []Caveat{
		{DisallowWrites: true, Nonce: nonce(1)},
		{AllowedPaths: []Path{{Bucket: "a"}}, Nonce: nonce(2)},
		{NotAfter: t0, Nonce: nonce(3)},
	}
	m := restrict(t, rootMacaroon(t), cs...)
	forge := func(raw [][]byte) Macaroon {
		f := m
		f.raw = raw
		return f
	}
	for _, tc := range []struct {
		name string
		raw  [][]byte
	}{
		{"dropping the first caveat", slices.Clone(m.raw[1:])},
		{"dropping the middle caveat", [][]byte{m.raw[0], m.raw[2]}},
		{"dropping the last caveat", slices.Clone(m.raw[:2])},
		{"dropping every caveat", nil},
		{"swapping two caveats", [][]byte{m.raw[1], m.raw[0], m.raw[2]}},
		{"repeating a caveat", [][]byte{m.raw[0], m.raw[1], m.raw[2], m.raw[2]}},
	} {
		t.Run(tc.name+" fails verification", func(t *testing.T) {
			if err := forge(tc.raw).Verify(testSecret); err == nil {
				t.Error("forged macaroon verified")
			}
		})
	}

	// Dropping the last caveat gives the parent's chain, which verifies only
	// with the parent's own tail: the child's holder does not have it.
	parent := restrict(t, rootMacaroon(t), cs[:2]...)
	if m.tail == parent.tail {
		t.Error("a child shares its parent's tail")
	}
}

// TestEveryByteFlipOfAMacaroonIsRejected changes each byte of an encoded
// macaroon to each of its 255 other values.
func TestEveryByteFlipOfAMacaroonIsRejected(t *testing.T) {
	m := restrict(t, rootMacaroon(t),
		Caveat{DisallowWrites: true, AllowedPaths: []Path{{Bucket: "a", Prefix: "p/"}}},
		Caveat{NotAfter: t0, AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	b := mustMarshal(t, m)
	if err := m.Verify(testSecret); err != nil {
		t.Fatal(err)
	}

	tried := 0
	for i := range b {
		for x := 1; x < 256; x++ {
			bad := bytes.Clone(b)
			bad[i] ^= byte(x)
			tried++
			got, err := ParseMacaroon(bad)
			if err != nil {
				continue
			}
			if err := got.Verify(testSecret); err == nil {
				t.Fatalf("byte %d xor %#x: the macaroon still verifies", i, x)
			}
		}
	}
	t.Logf("%d altered macaroons, all rejected", tried)
}

func TestSameRestrictionTwiceGivesDistinctGrants(t *testing.T) {
	root := rootMacaroon(t)
	c := Caveat{DisallowWrites: true}
	a, b := restrict(t, root, c), restrict(t, root, c)
	if a.tail == b.tail || a.RevocationID() == b.RevocationID() {
		t.Fatal("two restrictions with the same caveat gave the same grant")
	}
	if a.caveats[0].Nonce == b.caveats[0].Nonce {
		t.Error("the two caveats got the same nonce")
	}
}

func TestRestrictLeavesTheParentUnchanged(t *testing.T) {
	parent := restrict(t, rootMacaroon(t), Caveat{DisallowReads: true})
	before := mustMarshal(t, parent)

	// Two children from one parent must not share backing arrays.
	a := restrict(t, parent, Caveat{DisallowWrites: true})
	b := restrict(t, parent, Caveat{DisallowLists: true})
	for _, m := range []Macaroon{parent, a, b} {
		if err := m.Verify(testSecret); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(before, mustMarshal(t, parent)) {
		t.Error("restricting changed the parent")
	}
	if !a.caveats[1].DisallowWrites || !b.caveats[1].DisallowLists {
		t.Error("sibling restrictions overwrote each other")
	}
}

func TestRestrictMasksIPRangesAndRejectsBadCaveats(t *testing.T) {
	m := restrict(t, rootMacaroon(t),
		Caveat{AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.9.8.7/8")}})
	if got := m.UnverifiedCaveats()[0].AllowedIPs[0].String(); got != "10.0.0.0/8" {
		t.Errorf("range stored as %s, want 10.0.0.0/8", got)
	}

	if _, err := m.Restrict(Caveat{MaxObjectSize: -5}); err == nil {
		t.Error("Restrict accepted a negative size")
	}
	full := m
	for len(full.raw) < MaxCaveats {
		full = restrict(t, full, Caveat{})
	}
	if _, err := full.Restrict(Caveat{}); err == nil {
		t.Errorf("Restrict accepted caveat %d", MaxCaveats+1)
	}
}

func TestRevocationIDsOfAChildIncludeItsAncestors(t *testing.T) {
	root := rootMacaroon(t)
	parent := restrict(t, root, Caveat{DisallowDeletes: true})
	child := restrict(t, parent, Caveat{DisallowWrites: true})

	ids, err := child.RevocationIDs(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	want := []RevocationID{root.RevocationID(), parent.RevocationID(), child.RevocationID()}
	if d := cmp.Diff(want, ids); d != "" {
		t.Errorf("revocation IDs (-want +got):\n%s", d)
	}
	if _, err := child.RevocationIDs(otherSecret); err == nil {
		t.Error("RevocationIDs returned IDs under the wrong secret")
	}
}

func TestPrintingAGrantHidesTheTailAndKeys(t *testing.T) {
	m := restrict(t, rootMacaroon(t), Caveat{})
	key := SecretKey(bytes.Repeat([]byte{0xab}, 32))
	g := Grant{Macaroon: m, EncryptionAccess: []EncryptionKey{{Bucket: "a", Key: key}}}
	secrets := []string{
		fmt.Sprintf("%x", m.tail[:4]), fmt.Sprint(m.tail[:4])[1:8],
		fmt.Sprintf("0x%02x, 0x%02x", m.tail[0], m.tail[1]), "abab", "171 171", "0xab, 0xab",
	}

	for _, s := range []string{
		fmt.Sprintf("%v", m), fmt.Sprintf("%+v", m), fmt.Sprintf("%#v", g),
		fmt.Sprintf("%+v", g), fmt.Sprintf("%x", key), fmt.Sprintf("%v", key), fmt.Sprintf("%#v", key),
	} {
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("%q shows secret bytes %q", s, secret)
			}
		}
	}
	if s := fmt.Sprint(m); !strings.HasPrefix(s, "grant.Macaroon{api_key_id: ") {
		t.Errorf("a macaroon prints as %q", s)
	}
}

func TestParseMacaroonRejects(t *testing.T) {
	good := mustMarshal(t, restrict(t, rootMacaroon(t), Caveat{}))
	for _, tc := range []struct {
		name, wantErr string
		b             []byte
	}{
		{"empty input", "truncated", nil},
		{"version 2", "unknown version", append([]byte{2}, good[1:]...)},
		{"a missing tail", "truncated", good[:len(good)-1]},
		{"a trailing byte", "trailing bytes", append(bytes.Clone(good), 0)},
		{"too many caveats", "more than the limit",
			append(append([]byte{1}, make([]byte, 32)...), MaxCaveats+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMacaroon(tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseMacaroonCopiesItsInput(t *testing.T) {
	m := restrict(t, rootMacaroon(t), Caveat{DisallowReads: true})
	b := mustMarshal(t, m)
	parsed, err := ParseMacaroon(b)
	if err != nil {
		t.Fatal(err)
	}
	clear(b)
	if err := parsed.Verify(testSecret); err != nil {
		t.Errorf("clearing the input broke the parsed macaroon: %v", err)
	}
}

package grant

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Seeded keys and a fixed clock: tests never depend on the real time.
var (
	testSecret  = bytes.Repeat([]byte{0x5e}, 32)
	otherSecret = bytes.Repeat([]byte{0x0e}, 32)
	testHead    = [32]byte{1, 2, 3, 4, 5, 6, 7, 8}
	t0          = time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC)
)

// cmpCaveat compares caveats by meaning: times with Equal, prefixes by value.
var cmpCaveat = []cmp.Option{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
}

func nonce(b byte) [16]byte { return [16]byte{b, 0xaa} }

// rootMacaroon returns the root macaroon of the test API key.
func rootMacaroon(t testing.TB) Macaroon {
	t.Helper()
	m, err := NewMacaroon(testHead, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// restrict appends caveats to m, failing the test on error.
func restrict(t testing.TB, m Macaroon, cs ...Caveat) Macaroon {
	t.Helper()
	for _, c := range cs {
		var err error
		if m, err = m.Restrict(c); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func mustMarshal(t testing.TB, m interface{ MarshalBinary() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fullCaveat sets every field, so that encoding tests cover every tag.
func fullCaveat() Caveat {
	return Caveat{
		DisallowReads: true, DisallowWrites: true, DisallowLists: true, DisallowDeletes: true,
		AllowedPaths: []Path{{Bucket: "a", Prefix: "x/"}, {Bucket: "b", Prefix: ""}},
		NotBefore:    t0,
		NotAfter:     t0.Add(time.Hour),
		AllowedIPs: []netip.Prefix{
			netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32"),
		},
		MaxObjectSize: 1 << 20,
		Nonce:         nonce(9),
	}
}

package grant

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"gatehouse.dev/gatehouse"
)

func TestCaveatEncodingRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Caveat
	}{
		{"a caveat with only a nonce allows everything", Caveat{Nonce: nonce(1)}},
		{"every field set survives", fullCaveat()},
		{"one flag alone", Caveat{DisallowLists: true, Nonce: nonce(2)}},
		{"times at the epoch are kept, not taken for none",
			Caveat{NotBefore: time.Unix(0, 0), Nonce: nonce(3)}},
		{"a path with an empty prefix is the whole bucket",
			Caveat{AllowedPaths: []Path{{Bucket: "b"}}, Nonce: nonce(4)}},
		{"a single IPv6 address", Caveat{
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("2001:db8::1/128")},
			Nonce:      nonce(5)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := mustMarshal(t, tc.c)
			var got Caveat
			if err := got.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.c, got, cmpCaveat...); d != "" {
				t.Errorf("decode(encode(c)) differs (-want +got):\n%s", d)
			}
			if again := mustMarshal(t, got); !bytes.Equal(again, b) {
				t.Errorf("re-encoding gives %x, want %x", again, b)
			}
		})
	}
}

// TestCaveatEncodingLayout pins the documented byte layout, so that a
// change to the format cannot pass unnoticed.
func TestCaveatEncodingLayout(t *testing.T) {
	c := Caveat{
		DisallowWrites: true,
		AllowedPaths:   []Path{{Bucket: "b", Prefix: "p/"}},
		NotAfter:       time.Unix(0, 0x0102030405060708),
		AllowedIPs:     []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		MaxObjectSize:  0x1000,
		Nonce:          [16]byte{15: 0x77},
	}
	want := []byte{
		0x01,       // version
		0x01, 0x10, // nonce, 16 bytes
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x77,
		0x03, 0x00, // disallow writes
		0x06, 0x05, 0x01, 'b', 0x02, 'p', '/', // allowed paths
		0x08, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, // not after
		0x09, 0x06, 0x04, 10, 1, 0, 0, 16, // allowed IPs
		0x0a, 0x08, 0, 0, 0, 0, 0, 0, 0x10, 0, // max object size
	}
	if got := mustMarshal(t, c); !bytes.Equal(got, want) {
		t.Errorf("encoding\n got %x\nwant %x", got, want)
	}
}

func TestCaveatDecodingRejects(t *testing.T) {
	valid := mustMarshal(t, Caveat{Nonce: nonce(1)})
	field := func(tag byte, v ...byte) []byte {
		return append([]byte{tag, byte(len(v))}, v...)
	}
	with := func(fields ...[]byte) []byte {
		return append(bytes.Clone(valid), bytes.Join(fields, nil)...)
	}
	for _, tc := range []struct {
		name, wantErr string
		b             []byte
	}{
		{"empty input", "unknown version", nil},
		{"version 2", "unknown version", append([]byte{2}, valid[1:]...)},
		{"no nonce", "no nonce", []byte{1}},
		{"an all-zero nonce", "no nonce", append([]byte{1, 1, 16}, make([]byte, 16)...)},
		{"a short nonce", "not 16 bytes", []byte{1, 1, 2, 7, 7}},
		{"an unknown tag", "unknown field", with(field(200))},
		{"a repeated tag", "out of order", with(field(2), field(2))},
		{"tags out of order", "out of order", with(field(3), field(2))},
		{"a flag with a value", "flag has a value", with(field(2, 1))},
		{"a length past the end", "truncated", with([]byte{6, 9, 1})},
		{"a length that is not minimal", "malformed length", with([]byte{2, 0x80, 0x00})},
		{"an empty path list", "empty list", with(field(6))},
		{"a path without a bucket", "names no bucket", with(field(6, 0, 1, 'p'))},
		{"a path cut short", "truncated", with(field(6, 1, 'b', 5, 'p'))},
		{"a prefix that is not UTF-8", "not an object key prefix",
			with(field(6, 1, 'b', 1, 0xff))},
		{"a 4-byte time", "not 8 bytes", with(field(7, 1, 2, 3, 4))},
		{"not_before after not_after", "is after not_after",
			with(field(7, 0, 0, 0, 0, 0, 0, 0, 9), field(8, 0, 0, 0, 0, 0, 0, 0, 1))},
		{"an empty IP list", "empty list", with(field(9))},
		{"an address of 5 bytes", "address of 5 bytes", with(field(9, 5, 1, 2, 3, 4, 5, 8))},
		{"too many prefix bits", "not valid", with(field(9, 4, 10, 0, 0, 0, 33))},
		{"host bits set", "host bits set", with(field(9, 4, 10, 0, 0, 1, 8))},
		{"an IPv4-mapped range", "IPv4-mapped", with(field(9, append(append([]byte{16},
			netip.MustParseAddr("::ffff:10.0.0.0").AsSlice()...), 104)...))},
		{"a zero max size", "not a positive", with(field(10, 0, 0, 0, 0, 0, 0, 0, 0))},
		{"a negative max size", "not a positive",
			with(field(10, 0x80, 0, 0, 0, 0, 0, 0, 1))},
		{"a caveat over the size limit", "more than the limit",
			append(bytes.Clone(valid), make([]byte, MaxCaveatSize)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Caveat
			err := c.UnmarshalBinary(tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("decoding %x: error %v, want one containing %q", tc.b, err, tc.wantErr)
			}
		})
	}
}

func TestCaveatEncodingRejectsInvalidCaveats(t *testing.T) {
	for _, tc := range []struct {
		name, wantErr string
		c             Caveat
	}{
		{"a zero nonce", "no nonce", Caveat{}},
		{"a negative size", "negative", Caveat{MaxObjectSize: -1, Nonce: nonce(1)}},
		{"a time past 2262", "outside the years",
			Caveat{NotAfter: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), Nonce: nonce(1)}},
		{"not_before after not_after", "after not_after",
			Caveat{NotBefore: t0.Add(time.Second), NotAfter: t0, Nonce: nonce(1)}},
		{"a path without a bucket", "names no bucket",
			Caveat{AllowedPaths: []Path{{Prefix: "x"}}, Nonce: nonce(1)}},
		{"an invalid prefix", "not valid",
			Caveat{AllowedIPs: []netip.Prefix{{}}, Nonce: nonce(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.MarshalBinary()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// genCaveat draws caveats over a small vocabulary, so that random
// requests often hit and often miss their restrictions.
func genCaveat() *rapid.Generator[Caveat] {
	return rapid.Custom(func(t *rapid.T) Caveat {
		// Each restriction is drawn rarely, so that chains of several
		// caveats still allow a fair share of requests.
		rarely := func(label string) bool { return rapid.IntRange(0, 4).Draw(t, label) == 0 }
		c := Caveat{
			DisallowReads:   rarely("noRead"),
			DisallowWrites:  rarely("noWrite"),
			DisallowLists:   rarely("noList"),
			DisallowDeletes: rarely("noDelete"),
		}
		if rarely("hasPaths") {
			c.AllowedPaths = rapid.SliceOfN(genPath(), 1, 3).Draw(t, "paths")
		}
		if rarely("hasIPs") {
			c.AllowedIPs = rapid.SliceOfN(genIPRange(), 1, 2).Draw(t, "ips")
		}
		if rarely("hasSize") {
			c.MaxObjectSize = rapid.SampledFrom([]int64{1, 100, 1 << 40}).Draw(t, "size")
		}
		if rarely("hasNotBefore") {
			c.NotBefore = t0.Add(time.Duration(rapid.IntRange(-3, 3).Draw(t, "nb")) * time.Hour)
		}
		if rarely("hasNotAfter") {
			c.NotAfter = t0.Add(time.Duration(rapid.IntRange(-3, 3).Draw(t, "na")) * time.Hour)
			if c.NotAfter.Before(c.NotBefore) {
				c.NotAfter = c.NotBefore
			}
		}
		binary.BigEndian.PutUint64(c.Nonce[:], rapid.Uint64Min(1).Draw(t, "nonce"))
		return c
	})
}

func genPath() *rapid.Generator[Path] {
	return rapid.Custom(func(t *rapid.T) Path {
		return Path{
			Bucket: rapid.SampledFrom(testBuckets).Draw(t, "bucket"),
			Prefix: rapid.SampledFrom(testKeys).Draw(t, "prefix"),
		}
	})
}

func genIPRange() *rapid.Generator[netip.Prefix] {
	return rapid.SampledFrom([]netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("10.1.2.3/32"),
		netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("::/0"),
	})
}

var (
	testBuckets = []gatehouse.BucketName{"alpha", "beta"}
	testKeys    = []string{"", "a", "a/", "a/b", "a/b/c.txt", "b/", "ab"}
)

func TestPropertyCaveatDecodeEncodeRoundTrips(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genCaveat().Draw(t, "caveat")
		b, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeCaveat(b)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(c, got, cmpCaveat...); d != "" {
			t.Fatalf("decode(encode(c)) differs (-want +got):\n%s", d)
		}
	})
}

// FuzzDecodeCaveat checks that decoding never panics and that every
// accepted input is the one encoding of its caveat.
func FuzzDecodeCaveat(f *testing.F) {
	f.Add(mustMarshal(f, fullCaveat()))
	f.Add(mustMarshal(f, Caveat{Nonce: nonce(1)}))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCaveat(b)
		if err != nil {
			return
		}
		again, err := c.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded caveat does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("input %x decodes, but re-encodes as %x", b, again)
		}
	})
}

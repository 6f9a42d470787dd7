package grant

import (
	"net/netip"
	"testing"
	"time"

	"gatehouse.dev/gatehouse"
)

// BenchmarkVerifyAndAllow measures what the server does per request with a
// grant it has already parsed: verify a chain of 5 caveats, compute the
// revocation ID of every tag (the lookup itself is the registry's), and
// decide the request.
func BenchmarkVerifyAndAllow(b *testing.B) {
	m := benchMacaroon(b)
	r := gatehouse.AccessRequest{Action: gatehouse.ActionWrite, Bucket: "customer-a",
		Key: "docs/2030/report.pdf", Source: netip.MustParseAddr("10.1.2.3")}
	now := t0.Add(time.Minute)

	b.ReportAllocs()
	for b.Loop() {
		caveats, ids, err := m.Verified(testSecret)
		if err != nil || len(ids) != 6 {
			b.Fatal(err)
		}
		if err := Allow(caveats, r, 4096, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseVerifyAndAllow adds decoding the macaroon bytes, for a
// server that keeps grants serialized.
func BenchmarkParseVerifyAndAllow(b *testing.B) {
	raw := mustMarshal(b, benchMacaroon(b))
	r := gatehouse.AccessRequest{Action: gatehouse.ActionRead, Bucket: "customer-a",
		Key: "docs/2030/report.pdf", Source: netip.MustParseAddr("10.1.2.3")}
	now := t0.Add(time.Minute)

	b.ReportAllocs()
	for b.Loop() {
		m, err := ParseMacaroon(raw)
		if err != nil {
			b.Fatal(err)
		}
		caveats, _, err := m.Verified(testSecret)
		if err != nil {
			b.Fatal(err)
		}
		if err := Allow(caveats, r, 0, now); err != nil {
			b.Fatal(err)
		}
	}
}

// benchMacaroon is a chain of 5 caveats, as a customer credential might
// carry after a few rounds of sharing.
func benchMacaroon(b *testing.B) Macaroon {
	return restrict(b, rootMacaroon(b),
		Caveat{AllowedPaths: []Path{{Bucket: "customer-a"}}},
		Caveat{NotBefore: t0, NotAfter: t0.Add(720 * time.Hour)},
		Caveat{AllowedPaths: []Path{{Bucket: "customer-a", Prefix: "docs/"},
			{Bucket: "customer-a", Prefix: "public/"}}},
		Caveat{AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"),
			netip.MustParsePrefix("2001:db8::/32")}},
		Caveat{DisallowDeletes: true, MaxObjectSize: 1 << 30},
	)
}

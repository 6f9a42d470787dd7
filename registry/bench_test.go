package registry

import (
	"net/netip"
	"testing"
	"time"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/grant"
)

// fiveCaveats is a registered-looking grant with five caveats.
func (f *fixture) fiveCaveats() grant.Grant {
	g := f.bucketGrant("customer-a", time.Hour)
	g.Macaroon = f.restrict(g.Macaroon,
		grant.Caveat{DisallowDeletes: true},
		grant.Caveat{AllowedPaths: []grant.Path{{Bucket: "customer-a", Prefix: "docs/"}}},
		grant.Caveat{AllowedIPs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		grant.Caveat{NotBefore: f.clock.now().Add(-time.Hour)},
	)
	return g
}

var benchReq = gatehouse.AccessRequest{Action: gatehouse.ActionRead, Bucket: "customer-a",
	Key: "docs/report.pdf", Source: netip.MustParseAddr("127.0.0.1")}

// BenchmarkResolveAllow is the per-request cost with a cached record: the
// credential row and revocation queries on SQLite, then the policy.
func BenchmarkResolveAllow(b *testing.B) {
	f := newFixture(b)
	id, _ := f.register(f.fiveCaveats())
	for b.Loop() {
		cred, err := f.reg.Resolve(f.ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		if err := cred.Policy.Allow(f.ctx, benchReq); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnsealVerifyAllow is the CPU cost without SQLite and without
// the cache: unseal the record, parse the grant, verify its 5-caveat
// chain, check its revocation IDs against an in-memory set, and Allow.
func BenchmarkUnsealVerifyAllow(b *testing.B) {
	f := newFixture(b)
	g := f.fiveCaveats()
	s, _ := g.Serialize()
	id := newAccessKeyID()
	sealed := seal(id, plainRecord{secret: newSecretKey(), grant: s})
	secret, err := f.reg.apiKeySecret(f.ctx, grant.APIKeyID(f.root.Head()))
	if err != nil {
		b.Fatal(err)
	}
	revoked := map[grant.RevocationID]bool{{1}: true}
	now := f.clock.now()
	for b.Loop() {
		plain, err := unseal(id, sealed)
		if err != nil {
			b.Fatal(err)
		}
		g, err := grant.Parse(plain.grant)
		if err != nil {
			b.Fatal(err)
		}
		caveats, ids, err := g.Macaroon.Verified(secret)
		if err != nil {
			b.Fatal(err)
		}
		for _, rid := range ids {
			if revoked[rid] {
				b.Fatal("revoked")
			}
		}
		if err := grant.Allow(caveats, benchReq, -1, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAllow is the target measure: verify a 5-caveat
// chain, check its revocation IDs against an in-memory set, and Allow.
func BenchmarkVerifyAllow(b *testing.B) {
	f := newFixture(b)
	m := f.fiveCaveats().Macaroon
	secret, err := f.reg.apiKeySecret(f.ctx, grant.APIKeyID(f.root.Head()))
	if err != nil {
		b.Fatal(err)
	}
	revoked := map[grant.RevocationID]bool{{1}: true}
	now := f.clock.now()
	for b.Loop() {
		caveats, ids, err := m.Verified(secret)
		if err != nil {
			b.Fatal(err)
		}
		for _, rid := range ids {
			if revoked[rid] {
				b.Fatal("revoked")
			}
		}
		if err := grant.Allow(caveats, benchReq, -1, now); err != nil {
			b.Fatal(err)
		}
	}
}

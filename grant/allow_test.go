package grant

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"gatehouse.dev/gatehouse"
)

const (
	read   = gatehouse.ActionRead
	write  = gatehouse.ActionWrite
	list   = gatehouse.ActionList
	del    = gatehouse.ActionDelete
	admin  = gatehouse.ActionAdmin
	noSize = int64(0)
)

func req(a gatehouse.Action, bucket gatehouse.BucketName, key string) gatehouse.AccessRequest {
	return gatehouse.AccessRequest{Action: a, Bucket: bucket, Key: gatehouse.ObjectKey(key),
		Source: netip.MustParseAddr("10.1.2.3")}
}

func from(r gatehouse.AccessRequest, addr string) gatehouse.AccessRequest {
	r.Source = netip.Addr{}
	if addr != "" {
		r.Source = netip.MustParseAddr(addr)
	}
	return r
}

func TestAllow(t *testing.T) {
	paths := Caveat{AllowedPaths: []Path{{Bucket: "a", Prefix: "docs/"}, {Bucket: "b"}}}
	window := Caveat{NotBefore: t0, NotAfter: t0.Add(time.Hour)}
	ips := Caveat{AllowedIPs: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}}

	for _, tc := range []struct {
		name    string
		caveats []Caveat
		req     gatehouse.AccessRequest
		size    int64
		now     time.Time
		wantErr string // "" means allowed
	}{
		{"a root grant allows reads", nil, req(read, "a", "k"), noSize, t0, ""},
		{"a root grant allows admin", nil, req(admin, "new", ""), noSize, t0, ""},
		{"no grant allows ActionNone", nil, req(gatehouse.ActionNone, "a", "k"), 0, t0,
			"unknown action"},
		{"an unknown action is denied", nil, req(gatehouse.Action(99), "a", "k"), 0, t0,
			"unknown action"},
		{"a zero clock fails closed", nil, req(read, "a", "k"), noSize, time.Time{},
			"no clock"},

		// The four flags.
		{"disallow reads denies a read", []Caveat{{DisallowReads: true}},
			req(read, "a", "k"), noSize, t0, "caveat 1 of 1: reads are not allowed"},
		{"disallow reads still allows a write", []Caveat{{DisallowReads: true}},
			req(write, "a", "k"), noSize, t0, ""},
		{"disallow writes denies a write", []Caveat{{DisallowWrites: true}},
			req(write, "a", "k"), noSize, t0, "writes are not allowed"},
		{"disallow writes still allows a read", []Caveat{{DisallowWrites: true}},
			req(read, "a", "k"), noSize, t0, ""},
		{"disallow lists denies a listing", []Caveat{{DisallowLists: true}},
			req(list, "a", ""), noSize, t0, "lists are not allowed"},
		{"disallow lists denies ListBuckets", []Caveat{{DisallowLists: true}},
			req(admin, "", ""), noSize, t0, "lists are not allowed"},
		{"disallow lists still allows a delete", []Caveat{{DisallowLists: true}},
			req(del, "a", "k"), noSize, t0, ""},
		{"disallow deletes denies a delete", []Caveat{{DisallowDeletes: true}},
			req(del, "a", "k"), noSize, t0, "deletes are not allowed"},
		{"disallow deletes still allows a list", []Caveat{{DisallowDeletes: true}},
			req(list, "a", ""), noSize, t0, ""},

		// Paths.
		{"a key under an allowed prefix is allowed", []Caveat{paths},
			req(read, "a", "docs/x.txt"), noSize, t0, ""},
		{"the allowed prefix itself is allowed", []Caveat{paths},
			req(write, "a", "docs/"), noSize, t0, ""},
		{"a key outside the prefix is denied", []Caveat{paths},
			req(read, "a", "secret.txt"), noSize, t0, `key "secret.txt" in bucket a is outside`},
		{"a key missing the prefix's slash is denied", []Caveat{paths},
			req(read, "a", "docs"), noSize, t0, "outside the allowed paths"},
		{"the second allowed path admits the whole bucket", []Caveat{paths},
			req(del, "b", "anything"), noSize, t0, ""},
		{"another tenant's bucket is denied", []Caveat{paths},
			req(read, "c", "docs/x"), noSize, t0, "outside the allowed paths"},
		{"a listing within the prefix is allowed", []Caveat{paths},
			req(list, "a", "docs/2024/"), noSize, t0, ""},
		{"a listing wider than the prefix is denied", []Caveat{paths},
			req(list, "a", "do"), noSize, t0, `listing a with prefix "do" is outside`},
		{"HeadBucket of a prefix-limited bucket is denied", []Caveat{paths},
			req(list, "a", ""), noSize, t0, "outside the allowed paths"},
		{"listing a whole allowed bucket is allowed", []Caveat{paths},
			req(list, "b", ""), noSize, t0, ""},

		// Bucket-level administration.
		{"creating a wholly allowed bucket is allowed", []Caveat{paths},
			req(admin, "b", ""), noSize, t0, ""},
		{"creating a bucket allowed only in part is denied", []Caveat{paths},
			req(admin, "a", ""), noSize, t0, "bucket a is not allowed whole"},
		{"creating another bucket is denied", []Caveat{paths},
			req(admin, "c", ""), noSize, t0, "bucket c is not allowed whole"},
		{"a read-only grant cannot change buckets", []Caveat{{DisallowWrites: true}},
			req(admin, "b", ""), noSize, t0, "bucket changes are not allowed"},
		{"a grant without deletes cannot change buckets", []Caveat{{DisallowDeletes: true}},
			req(admin, "b", ""), noSize, t0, "bucket changes are not allowed"},
		{"a read-only grant may still list buckets", []Caveat{{DisallowWrites: true}, paths},
			req(admin, "", ""), noSize, t0, ""},

		// Time, with inclusive bounds.
		{"before not_before is denied", []Caveat{window},
			req(read, "a", "k"), noSize, t0.Add(-time.Nanosecond), "not valid before 2030-01-02T03:04:05Z"},
		{"exactly not_before is allowed", []Caveat{window},
			req(read, "a", "k"), noSize, t0, ""},
		{"exactly not_after is allowed", []Caveat{window},
			req(read, "a", "k"), noSize, t0.Add(time.Hour), ""},
		{"after not_after is expired", []Caveat{window},
			req(read, "a", "k"), noSize, t0.Add(time.Hour + 1), "expired at 2030-01-02T04:04:05Z"},
		{"an expired grant cannot even list buckets", []Caveat{window},
			req(admin, "", ""), noSize, t0.Add(2 * time.Hour), "expired"},

		// Source addresses.
		{"an IPv4 source in range is allowed", []Caveat{ips},
			from(req(read, "a", "k"), "10.200.0.1"), noSize, t0, ""},
		{"an IPv4 source out of range is denied", []Caveat{ips},
			from(req(read, "a", "k"), "192.0.2.1"), noSize, t0,
			"source address 192.0.2.1 is not in the allowed ranges"},
		{"an IPv4-mapped IPv6 source matches the IPv4 range", []Caveat{ips},
			from(req(read, "a", "k"), "::ffff:10.0.0.1"), noSize, t0, ""},
		{"an IPv6 source in range is allowed", []Caveat{ips},
			from(req(read, "a", "k"), "2001:db8:1::5"), noSize, t0, ""},
		{"an IPv6 source out of range is denied", []Caveat{ips},
			from(req(read, "a", "k"), "2001:db9::1"), noSize, t0, "not in the allowed ranges"},
		{"an unknown source is denied", []Caveat{ips},
			from(req(read, "a", "k"), ""), noSize, t0, "source address unknown"},

		// Sizes.
		{"a write at the size limit is allowed", []Caveat{{MaxObjectSize: 100}},
			req(write, "a", "k"), 100, t0, ""},
		{"a write over the size limit is denied", []Caveat{{MaxObjectSize: 100}},
			req(write, "a", "k"), 101, t0, "object of 101 bytes is larger than the allowed 100"},
		{"a write of unknown size is denied under a limit", []Caveat{{MaxObjectSize: 100}},
			req(write, "a", "k"), -1, t0, "object size unknown"},
		{"a read of a large object ignores the write limit", []Caveat{{MaxObjectSize: 100}},
			req(read, "a", "k"), 1 << 40, t0, ""},
		{"a write of unknown size is allowed without a limit", nil,
			req(write, "a", "k"), -1, t0, ""},

		// Chains.
		{"the second caveat of a chain can deny", []Caveat{paths, {DisallowReads: true}},
			req(read, "a", "docs/x"), noSize, t0, "caveat 2 of 2: reads are not allowed"},
		{"a chain narrows paths to their intersection",
			[]Caveat{paths, {AllowedPaths: []Path{{Bucket: "a", Prefix: "docs/public/"}}}},
			req(read, "a", "docs/private/x"), noSize, t0, "caveat 2 of 2"},
		{"a chain allows what all its caveats allow",
			[]Caveat{paths, window, ips, {MaxObjectSize: 10}},
			req(write, "a", "docs/x"), 10, t0.Add(time.Minute), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Allow(tc.caveats, tc.req, tc.size, tc.now)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("denied: %v", err)
				}
				return
			}
			if !errors.Is(err, gatehouse.ErrAccessDenied) || !IsDenied(err) {
				t.Fatalf("error %v does not wrap ErrAccessDenied", err)
			}
			if msg := gatehouse.AsError(err).Message; !strings.Contains(msg, tc.wantErr) {
				t.Errorf("message %q, want it to contain %q", msg, tc.wantErr)
			}
		})
	}
}

func TestAllowsBucket(t *testing.T) {
	paths := Caveat{AllowedPaths: []Path{{Bucket: "a", Prefix: "docs/"}, {Bucket: "b"}}}
	for _, tc := range []struct {
		name    string
		caveats []Caveat
		bucket  gatehouse.BucketName
		want    bool
	}{
		{"a root grant shows every bucket", nil, "any", true},
		{"a caveat without paths shows every bucket", []Caveat{{DisallowReads: true}}, "z", true},
		{"a bucket allowed in part is shown", []Caveat{paths}, "a", true},
		{"a bucket allowed whole is shown", []Caveat{paths}, "b", true},
		{"another bucket is hidden", []Caveat{paths}, "c", false},
		{"a bucket one caveat of the chain drops is hidden",
			[]Caveat{paths, {AllowedPaths: []Path{{Bucket: "b"}}}}, "a", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := AllowsBucket(tc.caveats, tc.bucket); got != tc.want {
				t.Errorf("AllowsBucket(%s) = %v, want %v", tc.bucket, got, tc.want)
			}
		})
	}
}

// genRequest draws requests over the vocabulary of genCaveat.
func genRequest() *rapid.Generator[gatehouse.AccessRequest] {
	return rapid.Custom(func(t *rapid.T) gatehouse.AccessRequest {
		r := gatehouse.AccessRequest{
			Action: gatehouse.Action(rapid.IntRange(0, 6).Draw(t, "action")),
			Bucket: rapid.SampledFrom(append(testBuckets, "")).Draw(t, "bucket"),
			Key:    gatehouse.ObjectKey(rapid.SampledFrom(testKeys).Draw(t, "key")),
		}
		addrs := []string{"", "10.1.2.3", "192.168.9.9", "2001:db8::7", "::ffff:10.0.0.1"}
		if a := rapid.SampledFrom(addrs).Draw(t, "source"); a != "" {
			r.Source = netip.MustParseAddr(a)
		}
		return r
	})
}

// TestPropertyAChainNeverAllowsWhatOneCaveatDenies is the attenuation
// property: appending caveats can only take rights away. It builds real
// macaroons, so the caveats decided on are those that survived encoding.
func TestPropertyAChainNeverAllowsWhatOneCaveatDenies(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, err := NewMacaroon(testHead, testSecret)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range rapid.SliceOfN(genCaveat(), 1, 5).Draw(t, "chain") {
			if m, err = m.Restrict(c); err != nil {
				t.Fatal(err)
			}
		}
		caveats, _, err := m.Verified(testSecret)
		if err != nil {
			t.Fatal(err)
		}
		r := genRequest().Draw(t, "request")
		size := rapid.SampledFrom([]int64{-1, 0, 50, 1000}).Draw(t, "size")
		now := t0.Add(time.Duration(rapid.IntRange(-4, 4).Draw(t, "hour")) * time.Hour)

		chainErr := Allow(caveats, r, size, now)
		for i := range caveats {
			single := Allow(caveats[i:i+1], r, size, now)
			if single != nil && chainErr == nil {
				t.Fatalf("caveat %d denies (%v), but the chain allows", i+1, single)
			}
			// A prefix of the chain allows at least what the whole allows.
			if prefixErr := Allow(caveats[:i+1], r, size, now); prefixErr != nil &&
				chainErr == nil {
				t.Fatalf("the first %d caveats deny (%v), but the chain allows", i+1, prefixErr)
			}
		}
		if chainErr != nil && !IsDenied(chainErr) {
			t.Fatalf("error %v is not a denial", chainErr)
		}
	})
}

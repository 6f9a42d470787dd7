package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/grant"
)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	t     testing.TB
	ctx   context.Context
	dir   string
	clock *clock
	reg   *Registry
	root  grant.Macaroon
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), dir: t.TempDir(),
		clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	f.open()
	root, err := f.reg.CreateAPIKey(f.ctx, "test key")
	if err != nil {
		t.Fatal(err)
	}
	f.root = root
	return f
}

func (f *fixture) open() {
	reg, err := Open(f.ctx, filepath.Join(f.dir, "registry.db"), Options{Now: f.clock.now})
	if err != nil {
		f.t.Fatal(err)
	}
	f.reg = reg
	f.t.Cleanup(func() { reg.Close() })
}

// restrict appends caveats to m.
func (f *fixture) restrict(m grant.Macaroon, cs ...grant.Caveat) grant.Macaroon {
	f.t.Helper()
	for _, c := range cs {
		var err error
		if m, err = m.Restrict(c); err != nil {
			f.t.Fatal(err)
		}
	}
	return m
}

// bucketGrant is a grant for the whole of bucket that expires in lifetime,
// with a random encryption key.
func (f *fixture) bucketGrant(bucket gatehouse.BucketName, lifetime time.Duration) grant.Grant {
	m := f.restrict(f.root, grant.Caveat{
		AllowedPaths: []grant.Path{{Bucket: bucket}},
		NotAfter:     f.clock.now().Add(lifetime),
	})
	var k grant.SecretKey
	rand.Read(k[:])
	return grant.Grant{Macaroon: m, Endpoint: "http://127.0.0.1:7701",
		EncryptionAccess: []grant.EncryptionKey{{Bucket: bucket, Key: k}}}
}

func (f *fixture) register(g grant.Grant) (gatehouse.AccessKeyID, string) {
	f.t.Helper()
	id, secret, err := f.reg.Register(f.ctx, g, false)
	if err != nil {
		f.t.Fatalf("register: %v", err)
	}
	return id, secret
}

func (f *fixture) resolve(id gatehouse.AccessKeyID) *gatehouse.Credential {
	f.t.Helper()
	cred, err := f.reg.Resolve(f.ctx, id)
	if err != nil {
		f.t.Fatalf("resolve %s: %v", id, err)
	}
	return cred
}

func (f *fixture) wantInvalid(id gatehouse.AccessKeyID) {
	f.t.Helper()
	cred, err := f.reg.Resolve(f.ctx, id)
	if !errors.Is(err, gatehouse.ErrInvalidAccessKeyID) {
		f.t.Fatalf("resolve %s = %v, %v; want InvalidAccessKeyId", id, cred, err)
	}
}

func read(b gatehouse.BucketName, k gatehouse.ObjectKey) gatehouse.AccessRequest {
	return gatehouse.AccessRequest{Action: gatehouse.ActionRead, Bucket: b, Key: k}
}

func TestRegisterThenResolve(t *testing.T) {
	f := newFixture(t)
	g := f.bucketGrant("customer-a", time.Hour)
	id, secret := f.register(g)

	if len(id) != 28 || id[:2] != "GH" || len(secret) != 40 {
		t.Errorf("access key %q (len %d), secret len %d; want GH+26, 40", id, len(id),
			len(secret))
	}
	cred := f.resolve(id)
	if cred.AccessKeyID != id || cred.Secret != secret {
		t.Errorf("resolved %s with another secret", cred.AccessKeyID)
	}
	if want := "grant:" + grant.APIKeyID(f.root.Head()); cred.Principal != want {
		t.Errorf("principal %q, want %q", cred.Principal, want)
	}
	if err := cred.Policy.Allow(f.ctx, read("customer-a", "x.txt")); err != nil {
		t.Errorf("own bucket denied: %v", err)
	}
	keys, ok := Keys(cred)
	if !ok || len(keys) != 1 || keys[0] != g.EncryptionAccess[0] {
		t.Errorf("Keys = %d keys, %v; want the grant's key", len(keys), ok)
	}

	// Twice, so that the cached path is exercised too.
	if again := f.resolve(id); again.Secret != secret {
		t.Error("second resolve returned another secret")
	}
}

func TestOtherTenantDenied(t *testing.T) {
	f := newFixture(t)
	idA, _ := f.register(f.bucketGrant("customer-a", time.Hour))
	idB, _ := f.register(f.bucketGrant("customer-b", time.Hour))
	a, b := f.resolve(idA), f.resolve(idB)

	for _, tc := range []struct {
		name string
		cred *gatehouse.Credential
		req  gatehouse.AccessRequest
	}{
		{"A reads B", a, read("customer-b", "x")},
		{"B reads A", b, read("customer-a", "x")},
		{"A writes B", a, gatehouse.AccessRequest{Action: gatehouse.ActionWrite,
			Bucket: "customer-b", Key: "x"}},
		{"A lists B", a, gatehouse.AccessRequest{Action: gatehouse.ActionList,
			Bucket: "customer-b"}},
	} {
		err := tc.cred.Policy.Allow(f.ctx, tc.req)
		if !errors.Is(err, gatehouse.ErrAccessDenied) {
			t.Errorf("%s: %v, want AccessDenied", tc.name, err)
		}
	}
	p := a.Policy.(*Policy)
	if p.AllowsBucket("customer-b") || !p.AllowsBucket("customer-a") {
		t.Error("AllowsBucket: A should see only customer-a")
	}
}

func TestUnknownAndUnregisteredKeysAreInvalid(t *testing.T) {
	f := newFixture(t)
	id, _ := f.register(f.bucketGrant("customer-a", time.Hour))
	f.resolve(id)

	f.wantInvalid(newAccessKeyID())          // well formed, never issued
	f.wantInvalid("AKIAIOSFODNN7EXAMPLE")    // not ours
	f.wantInvalid(id[:27] + "1")             // not base32
	f.wantInvalid(gatehouse.AccessKeyID("")) // empty

	if err := f.reg.Unregister(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	f.wantInvalid(id)
	err := f.reg.Unregister(f.ctx, id)
	if !errors.Is(err, gatehouse.ErrInvalidAccessKeyID) {
		t.Errorf("unregister twice: %v, want InvalidAccessKeyId", err)
	}
}

func TestExpiredCredentialIsDenied(t *testing.T) {
	f := newFixture(t)
	id, _ := f.register(f.bucketGrant("customer-a", time.Hour))
	cred := f.resolve(id)

	f.clock.advance(time.Hour) // not_after is inclusive
	if err := cred.Policy.Allow(f.ctx, read("customer-a", "x")); err != nil {
		t.Fatalf("at not_after: %v", err)
	}
	f.clock.advance(time.Second)
	cred = f.resolve(id)
	err := cred.Policy.Allow(f.ctx, read("customer-a", "x"))
	if !errors.Is(err, gatehouse.ErrAccessDenied) {
		t.Errorf("after not_after: %v, want AccessDenied", err)
	}
}

func TestRegisterRefusesGrantExpiringWithinAMinute(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name     string
		lifetime time.Duration
		wantErr  bool
	}{
		{"already expired", -time.Second, true},
		{"30 seconds left", 30 * time.Second, true},
		{"59 seconds left", 59 * time.Second, true},
		{"a minute and a second left", 61 * time.Second, false},
	} {
		_, _, err := f.reg.Register(f.ctx, f.bucketGrant("customer-a", tc.lifetime), false)
		if tc.wantErr && !errors.Is(err, ErrExpiresTooSoon) {
			t.Errorf("%s: %v, want ErrExpiresTooSoon", tc.name, err)
		}
		if !tc.wantErr && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}

	// The earliest not_after counts, even when a later caveat is looser.
	g := f.bucketGrant("customer-a", 30*time.Second)
	g.Macaroon = f.restrict(g.Macaroon, grant.Caveat{NotAfter: f.clock.now().Add(time.Hour)})
	if _, _, err := f.reg.Register(f.ctx, g, false); !errors.Is(err, ErrExpiresTooSoon) {
		t.Errorf("looser later caveat: %v, want ErrExpiresTooSoon", err)
	}
}

func TestRevokeParentKillsChildAtNextResolve(t *testing.T) {
	f := newFixture(t)
	parent := f.bucketGrant("customer-a", time.Hour)
	child := parent
	child.Macaroon = f.restrict(parent.Macaroon, grant.Caveat{DisallowWrites: true})
	sibling := f.bucketGrant("customer-a", time.Hour)

	childID, _ := f.register(child)
	siblingID, _ := f.register(sibling)
	f.resolve(childID) // now cached

	if err := f.reg.Revoke(f.ctx, parent); err != nil {
		t.Fatal(err)
	}
	f.wantInvalid(childID)
	f.resolve(siblingID) // a sibling is not derived from parent

	// A revoked grant cannot be registered again, nor its descendants.
	if _, _, err := f.reg.Register(f.ctx, child, false); !errors.Is(err,
		gatehouse.ErrInvalidAccessKeyID) {
		t.Errorf("register revoked child: %v", err)
	}
	// Revoking twice is fine.
	if err := f.reg.Revoke(f.ctx, parent); err != nil {
		t.Errorf("revoke twice: %v", err)
	}
}

func TestRevokeChildLeavesParent(t *testing.T) {
	f := newFixture(t)
	parent := f.bucketGrant("customer-a", time.Hour)
	child := parent
	child.Macaroon = f.restrict(parent.Macaroon, grant.Caveat{DisallowWrites: true})
	parentID, _ := f.register(parent)
	childID, _ := f.register(child)

	if err := f.reg.Revoke(f.ctx, child); err != nil {
		t.Fatal(err)
	}
	f.wantInvalid(childID)
	f.resolve(parentID)
}

func TestDeleteAPIKeyKillsItsGrants(t *testing.T) {
	f := newFixture(t)
	g := f.bucketGrant("customer-a", time.Hour)
	id, _ := f.register(g)
	f.resolve(id)
	other, err := f.reg.CreateAPIKey(f.ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	otherID, _ := f.register(grant.Grant{Macaroon: other})

	keyID := grant.APIKeyID(f.root.Head())
	if err := f.reg.DeleteAPIKey(f.ctx, keyID); err != nil {
		t.Fatal(err)
	}
	f.wantInvalid(id)
	f.resolve(otherID)
	if _, _, err := f.reg.Register(f.ctx, g, false); !errors.Is(err, ErrUnknownAPIKey) {
		t.Errorf("register after delete: %v, want ErrUnknownAPIKey", err)
	}
	if err := f.reg.Revoke(f.ctx, g); !errors.Is(err, ErrUnknownAPIKey) {
		t.Errorf("revoke after delete: %v, want ErrUnknownAPIKey", err)
	}
	if err := f.reg.DeleteAPIKey(f.ctx, keyID); !errors.Is(err, ErrUnknownAPIKey) {
		t.Errorf("delete twice: %v, want ErrUnknownAPIKey", err)
	}
	keys, err := f.reg.ListAPIKeys(f.ctx)
	if err != nil || len(keys) != 1 || keys[0].Name != "other" {
		t.Errorf("ListAPIKeys = %+v, %v; want only %q", keys, err, "other")
	}
}

func TestTamperedGrantRefusedAtRegister(t *testing.T) {
	f := newFixture(t)
	g := f.bucketGrant("customer-a", time.Hour)

	// Flip a bit of the tail.
	b, _ := g.Macaroon.MarshalBinary()
	b[len(b)-1] ^= 1
	m, err := grant.ParseMacaroon(b)
	if err != nil {
		t.Fatal(err)
	}
	tampered := g
	tampered.Macaroon = m

	// A root forged with the right head and a guessed secret.
	forged, _ := grant.NewMacaroon(f.root.Head(), bytes.Repeat([]byte{7}, 32))

	for name, bad := range map[string]grant.Grant{
		"flipped tail": tampered, "forged root": {Macaroon: forged},
	} {
		_, _, err := f.reg.Register(f.ctx, bad, false)
		if !errors.Is(err, grant.ErrInvalidMacaroon) {
			t.Errorf("%s: %v, want ErrInvalidMacaroon", name, err)
		}
		if err := f.reg.Revoke(f.ctx, bad); !errors.Is(err, grant.ErrInvalidMacaroon) {
			t.Errorf("revoke %s: %v, want ErrInvalidMacaroon", name, err)
		}
	}
}

func TestRecordOpensOnlyUnderItsID(t *testing.T) {
	id, other := newAccessKeyID(), newAccessKeyID()
	sealed := seal(id, plainRecord{secret: newSecretKey(), grant: "gh_x"})
	if _, err := unseal(id, sealed); err != nil {
		t.Fatalf("own ID: %v", err)
	}
	if _, err := unseal(other, sealed); !errors.Is(err, errBadRecord) {
		t.Errorf("other ID: %v, want errBadRecord", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := unseal(id, sealed); !errors.Is(err, errBadRecord) {
		t.Errorf("flipped byte: %v, want errBadRecord", err)
	}
}

func TestDatabaseCopyRevealsNoGrantOrSecret(t *testing.T) {
	f := newFixture(t)
	g := f.bucketGrant("customer-a", time.Hour)
	id, secret := f.register(g)
	f.resolve(id)

	s, _ := g.Serialize()
	mac, _ := g.Macaroon.MarshalBinary()
	secrets := map[string][]byte{
		"secret key":     []byte(secret),
		"access key ID":  []byte(id),
		"grant string":   []byte(s),
		"macaroon bytes": mac[len(mac)-32:], // its tail
		"encryption key": g.EncryptionAccess[0].Key[:],
	}
	files, _ := filepath.Glob(filepath.Join(f.dir, "registry.db*"))
	if len(files) < 2 {
		t.Fatalf("database files %v; want the database and its WAL", files)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for what, b := range secrets {
			if bytes.Contains(data, b) {
				t.Errorf("%s appears in %s", what, filepath.Base(name))
			}
		}
	}
}

func TestReopenKeepsSaltAndCredentials(t *testing.T) {
	f := newFixture(t)
	id, secret := f.register(f.bucketGrant("customer-a", time.Hour))
	salt, err := f.reg.ProjectSalt(f.ctx)
	if err != nil || len(salt) != 32 {
		t.Fatalf("salt %d bytes, %v", len(salt), err)
	}
	f.reg.Close()

	f.open()
	salt2, err := f.reg.ProjectSalt(f.ctx)
	if err != nil || !bytes.Equal(salt, salt2) {
		t.Errorf("salt changed across reopen (%v)", err)
	}
	if cred := f.resolve(id); cred.Secret != secret {
		t.Error("secret changed across reopen")
	}
}

func TestPublicFlag(t *testing.T) {
	f := newFixture(t)
	pub, _, err := f.reg.Register(f.ctx, f.bucketGrant("customer-a", time.Hour), true)
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := f.register(f.bucketGrant("customer-a", time.Hour))
	if !Public(f.resolve(pub)) || Public(f.resolve(priv)) {
		t.Error("Public does not follow the registered flag")
	}
	if Public(&gatehouse.Credential{Policy: gatehouse.AllowAll{}}) {
		t.Error("a credential from elsewhere is public")
	}
}

// TestConcurrentResolveAndRevoke runs resolves (under -race) while a
// revocation lands; they may succeed or fail with InvalidAccessKeyId
// until Revoke returns, and the first resolve after it must fail.
func TestConcurrentResolveAndRevoke(t *testing.T) {
	f := newFixture(t)
	g := f.bucketGrant("customer-a", time.Hour)
	id, _ := f.register(g)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := f.reg.Resolve(f.ctx, id)
				if err != nil && !errors.Is(err, gatehouse.ErrInvalidAccessKeyID) {
					t.Errorf("resolve: %v", err)
					return
				}
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	if err := f.reg.Revoke(f.ctx, g); err != nil {
		t.Fatal(err)
	}
	f.wantInvalid(id)
	close(stop)
	wg.Wait()
}

func TestMaxObjectSizeCaveatChecksTheWriteSize(t *testing.T) {
	f := newFixture(t)
	g := f.bucketGrant("customer-a", time.Hour)
	g.Macaroon = f.restrict(g.Macaroon, grant.Caveat{MaxObjectSize: 1000})
	id, _ := f.register(g)
	cred := f.resolve(id)

	write := func(size int64) gatehouse.AccessRequest {
		return gatehouse.AccessRequest{Action: gatehouse.ActionWrite,
			Bucket: "customer-a", Key: "k", Size: size}
	}
	for _, tc := range []struct {
		name    string
		req     gatehouse.AccessRequest
		allowed bool
	}{
		{"a write within the limit is allowed", write(1000), true},
		{"a write over the limit is denied", write(1001), false},
		{"a write of unknown size is denied", write(-1), false},
		{"a read is not limited by size", read("customer-a", "k"), true},
	} {
		err := cred.Policy.Allow(f.ctx, tc.req)
		if tc.allowed && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.allowed && !errors.Is(err, gatehouse.ErrAccessDenied) {
			t.Errorf("%s: %v, want AccessDenied", tc.name, err)
		}
	}
}

package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/grant"
	"gatehouse.dev/gatehouse/internal/sqldb"
)

var (
	_ gatehouse.CredentialResolver = (*Registry)(nil)
	_ gatehouse.BucketFilter       = (*Policy)(nil)
)

// MinLifetime is the least time a grant must have left before its
// not_after for Register to accept it.
const MinLifetime = time.Minute

// ErrExpiresTooSoon is wrapped by Register's error for a grant that
// expires within MinLifetime.
var ErrExpiresTooSoon = errors.New("grant expires too soon to register")

// Register verifies g against its API key and registers it as an S3
// credential. It returns the new access key ID and secret key; neither is
// stored in the clear. The credential expires with g's earliest
// not_after; a grant that expires within [MinLifetime] is refused, and so
// is one that is revoked. public marks a credential that public links may
// use without the secret.
func (r *Registry) Register(ctx context.Context, g grant.Grant, public bool) (
	gatehouse.AccessKeyID, string, error) {
	apiKeyID, caveats, ids, err := r.verify(ctx, g)
	if err != nil {
		return "", "", fmt.Errorf("register grant: %w", err)
	}
	if err := r.checkRevoked(ctx, ids); err != nil {
		return "", "", fmt.Errorf("register grant: %w", err)
	}
	notAfter := NotAfter(caveats)
	if !notAfter.IsZero() && notAfter.Sub(r.now()) < MinLifetime {
		return "", "", fmt.Errorf("register grant: not_after %s: %w",
			notAfter.Format(time.RFC3339), ErrExpiresTooSoon)
	}
	s, err := g.Serialize()
	if err != nil {
		return "", "", fmt.Errorf("register grant: %w", err)
	}

	// Seal the record under the new ID and store it under the ID's hash.
	id, secret := newAccessKeyID(), newSecretKey()
	sealed := seal(id, plainRecord{public: public, secret: secret, grant: s})
	var expires int64
	if !notAfter.IsZero() {
		expires = notAfter.Unix()
	}
	lookup := lookupHash(id)
	err = r.db.Write(ctx, func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, qInsCredential, lookup[:], sealed, expires, public,
			apiKeyID)
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("register grant: %w", err)
	}
	return id, secret, nil
}

// NotAfter returns the earliest NotAfter among caveats, or the zero time
// if none has one.
func NotAfter(caveats []grant.Caveat) time.Time {
	var t time.Time
	for _, c := range caveats {
		if !c.NotAfter.IsZero() && (t.IsZero() || c.NotAfter.Before(t)) {
			t = c.NotAfter
		}
	}
	return t
}

// Unregister removes the credential id. It fails with an error wrapping
// gatehouse.ErrInvalidAccessKeyID if id is not registered.
func (r *Registry) Unregister(ctx context.Context, id gatehouse.AccessKeyID) error {
	lookup := lookupHash(id)
	err := r.db.Write(ctx, func(tx *sqldb.Tx) error {
		res, err := tx.ExecContext(ctx, qDelCredential, lookup[:])
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return gatehouse.ErrInvalidAccessKeyID
		}
		return nil
	})
	r.records.delete(lookup)
	if err != nil {
		return fmt.Errorf("unregister %s: %w", id, err)
	}
	return nil
}

// Revoke verifies g and revokes it, with every grant derived from it. It
// takes effect at the next Resolve.
func (r *Registry) Revoke(ctx context.Context, g grant.Grant) error {
	apiKeyID, _, _, err := r.verify(ctx, g)
	if err != nil {
		return fmt.Errorf("revoke grant: %w", err)
	}
	rid := g.Macaroon.RevocationID()
	err = r.db.Write(ctx, func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, qInsRevocation, rid[:], apiKeyID, r.now().Unix())
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke grant %s: %w", rid, err)
	}
	return nil
}

// errRevoked is the detail of a revoked credential.
var errRevoked = gatehouse.ErrInvalidAccessKeyID.With("The access grant was revoked.")

// checkRevoked fails with errRevoked if any of ids is revoked.
func (r *Registry) checkRevoked(ctx context.Context, ids []grant.RevocationID) error {
	args := make([]any, len(ids))
	for i := range ids {
		args[i] = ids[i][:]
	}
	var n int
	err := r.db.Reader().QueryRowContext(ctx, qRevoked(len(ids)), args...).Scan(&n)
	if err != nil {
		return fmt.Errorf("check revocations: %w", err)
	}
	if n > 0 {
		return errRevoked
	}
	return nil
}

// Resolve implements gatehouse.CredentialResolver. An unknown,
// unregistered or revoked ID, one whose API key was deleted, and one
// whose record does not verify all fail with an error wrapping
// gatehouse.ErrInvalidAccessKeyID. An expired credential resolves; its
// policy denies every request with AccessDenied.
func (r *Registry) Resolve(ctx context.Context, id gatehouse.AccessKeyID) (
	*gatehouse.Credential, error) {
	if !wellFormed(id) {
		return nil, gatehouse.ErrInvalidAccessKeyID
	}
	lookup := lookupHash(id)

	// The row must exist now, whatever the cache holds.
	var sealed, secret []byte
	var apiKeyID string
	err := r.db.Reader().QueryRowContext(ctx, qCredential, lookup[:]).
		Scan(&sealed, &apiKeyID, &secret)
	if errors.Is(err, sql.ErrNoRows) {
		r.records.delete(lookup)
		return nil, gatehouse.ErrInvalidAccessKeyID
	}
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", id, err)
	}

	rec, err := r.record(id, lookup, sealed, secret)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w: %w", id, gatehouse.ErrInvalidAccessKeyID, err)
	}
	if err := r.checkRevoked(ctx, rec.revocations); err != nil {
		return nil, fmt.Errorf("resolve %s: %w", id, err)
	}
	return &gatehouse.Credential{
		AccessKeyID: id,
		Secret:      rec.secret,
		Principal:   "grant:" + apiKeyID,
		Policy:      rec.policy,
	}, nil
}

// record returns the verified record of id, from the cache or by
// unsealing and verifying sealed.
func (r *Registry) record(id gatehouse.AccessKeyID, lookup [32]byte, sealed, secret []byte) (
	*record, error) {
	if rec := r.records.get(lookup); rec != nil {
		return rec, nil
	}
	plain, err := unseal(id, sealed)
	if err != nil {
		return nil, err
	}
	g, err := grant.Parse(plain.grant)
	if err != nil {
		return nil, fmt.Errorf("stored grant: %w", err)
	}
	caveats, ids, err := g.Macaroon.Verified(secret)
	if err != nil {
		return nil, fmt.Errorf("stored grant: %w", err)
	}
	rec := &record{
		secret:      plain.secret,
		revocations: ids,
		policy: &Policy{caveats: caveats, keys: g.EncryptionAccess, public: plain.public,
			now: r.now},
	}
	r.records.put(lookup, rec)
	return rec, nil
}

// record is a verified credential record. It is immutable.
type record struct {
	secret      string
	revocations []grant.RevocationID
	policy      *Policy
}

// cache maps lookup hashes to verified records.
type cache struct {
	mu sync.RWMutex
	m  map[[32]byte]*record
}

func (c *cache) get(k [32]byte) *record {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[k]
}

func (c *cache) put(k [32]byte, rec *record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[[32]byte]*record)
	}
	c.m[k] = rec
}

func (c *cache) delete(k [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}

// Policy is the gatehouse.Policy of a registered grant: every caveat of
// its chain must allow a request (see grant.Allow), at the registry's
// clock. It is immutable and safe for concurrent use.
type Policy struct {
	caveats []grant.Caveat
	keys    []grant.EncryptionKey
	public  bool
	now     func() time.Time
}

// Allow implements gatehouse.Policy, checking a write's req.Size against
// any max_object_size caveat (an unknown size, -1, is refused by one).
func (p *Policy) Allow(_ context.Context, req gatehouse.AccessRequest) error {
	return grant.Allow(p.caveats, req, req.Size, p.now())
}

// AllowsBucket reports whether ListBuckets may show bucket (grant.AllowsBucket).
func (p *Policy) AllowsBucket(bucket gatehouse.BucketName) bool {
	return grant.AllowsBucket(p.caveats, bucket)
}

// Keys returns the encryption keys of the grant behind cred, for the S3
// layer to put in the request context; ok is false if cred was not
// resolved by a Registry. The slice is a copy.
func Keys(cred *gatehouse.Credential) (keys []grant.EncryptionKey, ok bool) {
	p, ok := cred.Policy.(*Policy)
	if !ok {
		return nil, false
	}
	return append([]grant.EncryptionKey(nil), p.keys...), true
}

// Public reports whether cred was registered as public: usable by public
// links without its secret. It is false for a credential not resolved by
// a Registry.
func Public(cred *gatehouse.Credential) bool {
	p, ok := cred.Policy.(*Policy)
	return ok && p.public
}

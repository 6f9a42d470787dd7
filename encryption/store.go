package encryption

import (
	"context"
	"errors"
	"fmt"
	"io"

	"gatehouse.dev/gatehouse"
)

var _ gatehouse.ObjectStore = (*Store)(nil)

// Store is a gatehouse.ObjectStore that encrypts object content and user
// metadata on their way into an inner store and decrypts them on the
// way out. Keys come from each request's context (WithKeys); a request
// without them cannot read or write content, so nothing is ever stored
// in plaintext by mistake.
//
// Clients see what they would without it: sizes, ETags and checksums are
// those of the plaintext (the caller's Seal computes them over the
// plaintext and the inner store records them), object keys and listing
// order are untouched. The inner store must record Sealed.Size as the
// object's and each part's size while its Objects' Range reads stored
// bytes by stored offset, as store/local does.
//
// Store is safe for concurrent use.
type Store struct {
	inner gatehouse.ObjectStore
}

// New returns a Store that keeps its encrypted objects in inner.
func New(inner gatehouse.ObjectStore) *Store { return &Store{inner: inner} }

type keysKey struct{}

// WithKeys returns a context whose requests use ks for their keys.
func WithKeys(ctx context.Context, ks KeySource) context.Context {
	return context.WithValue(ctx, keysKey{}, ks)
}

var errNoKeys = gatehouse.ErrAccessDenied.With("The request carries no encryption key.")

// pathKey is the key for b/k from ctx's key source.
func pathKey(ctx context.Context, b gatehouse.BucketName, k gatehouse.ObjectKey) (Key, error) {
	ks, _ := ctx.Value(keysKey{}).(KeySource)
	if ks == nil {
		return Key{}, fmt.Errorf("%s/%s: %w", b, k, errNoKeys)
	}
	return ks.KeyFor(b, k)
}

// CreateBucket passes through.
func (s *Store) CreateBucket(ctx context.Context, b gatehouse.BucketName) error {
	return s.inner.CreateBucket(ctx, b)
}

// DeleteBucket passes through.
func (s *Store) DeleteBucket(ctx context.Context, b gatehouse.BucketName) error {
	return s.inner.DeleteBucket(ctx, b)
}

// HeadBucket passes through.
func (s *Store) HeadBucket(ctx context.Context,
	b gatehouse.BucketName) (gatehouse.BucketInfo, error) {
	return s.inner.HeadBucket(ctx, b)
}

// ListBuckets passes through.
func (s *Store) ListBuckets(ctx context.Context) ([]gatehouse.BucketInfo, error) {
	return s.inner.ListBuckets(ctx)
}

// PutObject encrypts body into one envelope and seals opts.Meta's user
// map. opts.Seal must report the plaintext it computed over; a Size that
// differs from the bytes read fails the write.
func (s *Store) PutObject(ctx context.Context, b gatehouse.BucketName, k gatehouse.ObjectKey,
	body io.Reader, opts gatehouse.PutOptions) (gatehouse.ObjectInfo, error) {
	key, err := pathKey(ctx, b, k)
	if err != nil {
		return gatehouse.ObjectInfo{}, err
	}
	enc, inner, err := sealWrite(body, key, 0, opts)
	if err != nil {
		return gatehouse.ObjectInfo{}, err
	}
	info, err := s.inner.PutObject(ctx, b, k, enc, inner)
	if err != nil {
		return gatehouse.ObjectInfo{}, err
	}
	info.Meta = opts.Meta
	return info, nil
}

// sealWrite prepares a body and its options for the inner store: the
// encrypting body, the sealed user map and a Seal that checks the size.
func sealWrite(body io.Reader, key Key, part uint16,
	opts gatehouse.PutOptions) (*Encrypter, gatehouse.PutOptions, error) {
	if opts.Seal == nil {
		return nil, opts, errors.New("encryption: PutOptions.Seal is nil")
	}
	enc, err := NewEncrypter(body, key, part)
	if err != nil {
		return nil, opts, err
	}
	if opts.Meta, err = sealMeta(opts.Meta, key); err != nil {
		return nil, opts, err
	}
	seal := opts.Seal
	opts.Seal = func() (gatehouse.Sealed, error) {
		sd, err := seal()
		if err == nil && sd.Size != enc.Consumed() {
			err = fmt.Errorf("encryption: seal reports %d bytes, the body had %d: %w",
				sd.Size, enc.Consumed(), gatehouse.ErrInternal)
		}
		return sd, err
	}
	return enc, opts, nil
}

// OpenObject opens b/k and checks, by opening its sealed user metadata,
// that the request's key is the one the object was written with: a
// wrong key fails here with ErrAccessDenied, before any content is read.
func (s *Store) OpenObject(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey) (gatehouse.Object, error) {
	key, err := pathKey(ctx, b, k)
	if err != nil {
		return nil, err
	}
	o, err := s.inner.OpenObject(ctx, b, k)
	if err != nil {
		return nil, err
	}
	info := o.Info()
	if info.Meta, err = openMeta(info.Meta, key); err != nil {
		o.Close()
		return nil, fmt.Errorf("open %s/%s: %w", b, k, err)
	}
	if info.Parts != len(info.PartSizes) {
		o.Close()
		return nil, fmt.Errorf("open %s/%s: %d parts, %d part sizes: %w",
			b, k, info.Parts, len(info.PartSizes), errDamaged)
	}
	return &object{inner: o, info: info, key: key,
		lay: newLayout(info.Size, info.PartSizes)}, nil
}

// object is an open encrypted object.
type object struct {
	inner gatehouse.Object
	info  gatehouse.ObjectInfo
	key   Key
	lay   *layout
}

// Info describes the object as clients see it, user metadata decrypted.
func (o *object) Info() gatehouse.ObjectInfo { return o.info }

// Range decrypts content [off, off+length), reading only the blocks it
// touches. See NewRangeReader for its errors.
func (o *object) Range(off, length int64) (io.ReadCloser, error) {
	return openRange(o.inner, o.key, o.lay, off, length)
}

// Close closes the inner object.
func (o *object) Close() error { return o.inner.Close() }

// DeleteObject passes through.
func (s *Store) DeleteObject(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey) error {
	return s.inner.DeleteObject(ctx, b, k)
}

// ListObjects passes through; keys and sizes are stored in plaintext.
// User metadata, where a listing carries it, is decrypted with the
// request's keys or else left out.
func (s *Store) ListObjects(ctx context.Context, b gatehouse.BucketName,
	opts gatehouse.ListOptions) (gatehouse.ListResult, error) {
	res, err := s.inner.ListObjects(ctx, b, opts)
	for i := range res.Objects {
		o := &res.Objects[i]
		o.Meta = bestMeta(ctx, b, o.Key, o.Meta)
	}
	return res, err
}

// bestMeta opens m if ctx holds a key for b/k, else strips it.
func bestMeta(ctx context.Context, b gatehouse.BucketName, k gatehouse.ObjectKey,
	m gatehouse.ObjectMeta) gatehouse.ObjectMeta {
	if _, ok := m.User[MetaEntry]; !ok {
		return stripMeta(m)
	}
	if key, err := pathKey(ctx, b, k); err == nil {
		if open, err := openMeta(m, key); err == nil {
			return open
		}
	}
	return stripMeta(m)
}

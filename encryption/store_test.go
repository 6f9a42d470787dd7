package encryption_test

import (
	"context"
	"io"
	"testing"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/encryption"
	"gatehouse.dev/gatehouse/store/local"
	"gatehouse.dev/gatehouse/store/storetest"
)

// testRoot is a fixed root key for tests; deriving one with Argon2id per
// test would cost a quarter second each.
var testRoot = encryption.Key{1, 2, 3, 4, 5, 6, 7, 8}

// keyed is the encrypting store as a request with keys sees it: every
// call carries ks in its context, as the S3 layer's calls will. It lets
// the conformance suite, which passes context.Background(), run through
// the wrapper.
type keyed struct {
	s  *encryption.Store
	ks encryption.KeySource
}

func (a keyed) c(ctx context.Context) context.Context { return encryption.WithKeys(ctx, a.ks) }

func (a keyed) CreateBucket(ctx context.Context, b gatehouse.BucketName) error {
	return a.s.CreateBucket(a.c(ctx), b)
}
func (a keyed) DeleteBucket(ctx context.Context, b gatehouse.BucketName) error {
	return a.s.DeleteBucket(a.c(ctx), b)
}
func (a keyed) HeadBucket(ctx context.Context,
	b gatehouse.BucketName) (gatehouse.BucketInfo, error) {
	return a.s.HeadBucket(a.c(ctx), b)
}
func (a keyed) ListBuckets(ctx context.Context) ([]gatehouse.BucketInfo, error) {
	return a.s.ListBuckets(a.c(ctx))
}
func (a keyed) PutObject(ctx context.Context, b gatehouse.BucketName, k gatehouse.ObjectKey,
	body io.Reader, opts gatehouse.PutOptions) (gatehouse.ObjectInfo, error) {
	return a.s.PutObject(a.c(ctx), b, k, body, opts)
}
func (a keyed) OpenObject(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey) (gatehouse.Object, error) {
	return a.s.OpenObject(a.c(ctx), b, k)
}
func (a keyed) DeleteObject(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey) error {
	return a.s.DeleteObject(a.c(ctx), b, k)
}
func (a keyed) ListObjects(ctx context.Context, b gatehouse.BucketName,
	opts gatehouse.ListOptions) (gatehouse.ListResult, error) {
	return a.s.ListObjects(a.c(ctx), b, opts)
}
func (a keyed) CreateMultipartUpload(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey, opts gatehouse.PutOptions) (gatehouse.UploadID, error) {
	return a.s.CreateMultipartUpload(a.c(ctx), b, k, opts)
}
func (a keyed) UploadPart(ctx context.Context, b gatehouse.BucketName, k gatehouse.ObjectKey,
	id gatehouse.UploadID, part int, body io.Reader,
	opts gatehouse.PutOptions) (gatehouse.PartInfo, error) {
	return a.s.UploadPart(a.c(ctx), b, k, id, part, body, opts)
}
func (a keyed) CompleteMultipartUpload(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey, id gatehouse.UploadID, parts []gatehouse.CompletePart,
	opts gatehouse.PutOptions) (gatehouse.ObjectInfo, error) {
	return a.s.CompleteMultipartUpload(a.c(ctx), b, k, id, parts, opts)
}
func (a keyed) AbortMultipartUpload(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey, id gatehouse.UploadID) error {
	return a.s.AbortMultipartUpload(a.c(ctx), b, k, id)
}
func (a keyed) ListParts(ctx context.Context, b gatehouse.BucketName, k gatehouse.ObjectKey,
	id gatehouse.UploadID, marker, max int) (gatehouse.ListPartsResult, error) {
	return a.s.ListParts(a.c(ctx), b, k, id, marker, max)
}
func (a keyed) ListMultipartUploads(ctx context.Context, b gatehouse.BucketName,
	opts gatehouse.ListUploadsOptions) (gatehouse.ListUploadsResult, error) {
	return a.s.ListMultipartUploads(a.c(ctx), b, opts)
}

// openLocal opens a store/local in dir, closed at the end of the test.
func openLocal(t testing.TB, dir string) *local.Store {
	t.Helper()
	s, err := local.Open(context.Background(), dir, local.Options{})
	if err != nil {
		t.Fatalf("local.Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformanceOverLocal(t *testing.T) {
	storetest.Run(t, func(t *testing.T) gatehouse.ObjectStore {
		s := encryption.New(openLocal(t, t.TempDir()))
		return keyed{s: s, ks: encryption.RootAccess(testRoot)}
	})
}

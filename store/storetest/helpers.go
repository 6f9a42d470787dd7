package storetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"gatehouse.dev/gatehouse"
)

// Hashing wraps body in a reader that hashes what passes through it, and
// returns it with a Seal function for PutOptions.Seal. Seal reports the
// number of bytes read, their quoted hex MD5 as the ETag, and no
// additional checksum.
func Hashing(body io.Reader) (io.Reader, func() (gatehouse.Sealed, error)) {
	h := &hashingReader{r: body, md5: md5.New()}
	return h, h.seal
}

type hashingReader struct {
	r   io.Reader
	md5 hash.Hash
	n   int64
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.md5.Write(p[:n])
	h.n += int64(n)
	return n, err
}

func (h *hashingReader) seal() (gatehouse.Sealed, error) {
	return gatehouse.Sealed{Size: h.n, ETag: quotedMD5(h.md5.Sum(nil))}, nil
}

func quotedMD5(sum []byte) string { return `"` + hex.EncodeToString(sum) + `"` }

// etagOf is the single-PUT ETag of data.
func etagOf(data []byte) string {
	sum := md5.Sum(data)
	return quotedMD5(sum[:])
}

// randomBytes returns n bytes from a generator seeded with seed.
func randomBytes(seed uint64, n int) []byte {
	c := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)})
	b := make([]byte, n)
	c.Read(b)
	return b
}

var bucketSeq atomic.Int64

// newBucket creates a bucket with a name unique to the run, so that the
// suite can also run against a shared upstream.
func newBucket(t *testing.T, s gatehouse.ObjectStore) gatehouse.BucketName {
	t.Helper()
	b := gatehouse.BucketName(fmt.Sprintf("gh-test-%d-%d", rand.Uint32(), bucketSeq.Add(1)))
	if err := s.CreateBucket(context.Background(), b); err != nil {
		t.Fatalf("CreateBucket(%s): %v", b, err)
	}
	return b
}

// put stores data under k with a hashing Seal and returns the info.
func put(t *testing.T, s gatehouse.ObjectStore, b gatehouse.BucketName, k gatehouse.ObjectKey,
	data []byte) gatehouse.ObjectInfo {
	t.Helper()
	info, err := putOpts(s, b, k, data, gatehouse.PutOptions{})
	if err != nil {
		t.Fatalf("PutObject(%s, %q): %v", b, k, err)
	}
	return info
}

func putOpts(s gatehouse.ObjectStore, b gatehouse.BucketName, k gatehouse.ObjectKey,
	data []byte, opts gatehouse.PutOptions) (gatehouse.ObjectInfo, error) {
	body, seal := Hashing(bytes.NewReader(data))
	opts.Seal = seal
	return s.PutObject(context.Background(), b, k, body, opts)
}

// uploadPart uploads data as part n with a hashing Seal.
func uploadPart(t *testing.T, s gatehouse.ObjectStore, b gatehouse.BucketName,
	k gatehouse.ObjectKey, id gatehouse.UploadID, n int, data []byte) gatehouse.PartInfo {
	t.Helper()
	body, seal := Hashing(bytes.NewReader(data))
	p, err := s.UploadPart(context.Background(), b, k, id, n, body,
		gatehouse.PutOptions{Seal: seal})
	if err != nil {
		t.Fatalf("UploadPart(%q, %d): %v", k, n, err)
	}
	return p
}

// readAll opens k and reads all of its stored bytes.
func readAll(t *testing.T, s gatehouse.ObjectStore, b gatehouse.BucketName,
	k gatehouse.ObjectKey) []byte {
	t.Helper()
	o, err := s.OpenObject(context.Background(), b, k)
	if err != nil {
		t.Fatalf("OpenObject(%q): %v", k, err)
	}
	defer o.Close()
	return readRange(t, o, 0, o.Info().Size)
}

func readRange(t *testing.T, o gatehouse.Object, off, n int64) []byte {
	t.Helper()
	r, err := o.Range(off, n)
	if err != nil {
		t.Fatalf("Range(%d, %d): %v", off, n, err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read Range(%d, %d): %v", off, n, err)
	}
	return got
}

// sameBytes fails t unless got equals want, naming the first difference
// rather than printing megabytes.
func sameBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	t.Fatalf("%s: got %d bytes, want %d; first difference at byte %d", what, len(got), len(want), i)
}

// wantErr fails t unless err is target (compared with errors.Is) and
// errors.As finds a *gatehouse.Error in it.
func wantErr(t *testing.T, what string, err error, target *gatehouse.Error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %s", what, err, target.Code)
	}
	var ge *gatehouse.Error
	if !errors.As(err, &ge) {
		t.Fatalf("%s: errors.As found no *gatehouse.Error in %v", what, err)
	}
}

// mustNotExist fails t unless k is absent.
func mustNotExist(t *testing.T, s gatehouse.ObjectStore, b gatehouse.BucketName,
	k gatehouse.ObjectKey) {
	t.Helper()
	o, err := s.OpenObject(context.Background(), b, k)
	if err == nil {
		o.Close()
		t.Fatalf("OpenObject(%q) succeeded; want NoSuchKey", k)
	}
	wantErr(t, fmt.Sprintf("OpenObject(%q)", k), err, gatehouse.ErrNoSuchKey)
}

// failingReader returns data and then err instead of EOF.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// keyList returns the keys of a listing page.
func keyList(objs []gatehouse.ObjectInfo) []string {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = string(o.Key)
	}
	return keys
}

func trimQuotes(s string) string { return strings.Trim(s, `"`) }

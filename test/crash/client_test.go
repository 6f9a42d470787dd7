package crash

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// content is size deterministic bytes named by label: a ChaCha8 stream
// seeded with the label's SHA-256. The test never holds a large content
// in memory; it regenerates the stream to send or to hash it.
type content struct {
	label string
	size  int64
}

func (c content) reader() io.Reader {
	return io.LimitReader(rand.NewChaCha8(sha256.Sum256([]byte(c.label))), c.size)
}

func (c content) bytes() []byte {
	b, err := io.ReadAll(c.reader())
	if err != nil {
		panic(err) // a ChaCha8 stream does not fail
	}
	return b
}

// object is what a key should hold: the concatenation of its parts (one
// part for a single PUT).
type object []content

// sum is the SHA-256 of the object's bytes.
func (o object) sum() [32]byte {
	h := sha256.New()
	for _, c := range o {
		io.Copy(h, c.reader())
	}
	return [32]byte(h.Sum(nil))
}

func (o object) size() int64 {
	var n int64
	for _, c := range o {
		n += c.size
	}
	return n
}

func (o object) String() string {
	labels := make([]string, len(o))
	for i, c := range o {
		labels[i] = c.label
	}
	return fmt.Sprintf("{%s} (%d bytes)", strings.Join(labels, " + "), o.size())
}

// stallingBody yields a content's bytes. Once it has yielded stallAt
// bytes it closes reached and blocks until release is closed, then fails;
// so a kill lands while the server is known to be mid-body. With a
// negative stallAt it never stalls and closes reached at EOF instead.
type stallingBody struct {
	r       io.Reader
	left    int64
	stallAt int64
	sent    int64
	reached chan struct{}
	release chan struct{}
	once    sync.Once // closes reached
	freed   sync.Once // closes release
}

// unstall lets a stalled Read return (with an error). It may be called
// more than once.
func (b *stallingBody) unstall() { b.freed.Do(func() { close(b.release) }) }

func newStallingBody(c content, stallAt int64) *stallingBody {
	return &stallingBody{
		r: c.reader(), left: c.size, stallAt: stallAt,
		reached: make(chan struct{}), release: make(chan struct{}),
	}
}

func (b *stallingBody) Read(p []byte) (int, error) {
	if b.stallAt >= 0 && b.sent >= b.stallAt {
		b.once.Do(func() { close(b.reached) })
		<-b.release
		return 0, errStalled
	}
	if b.left == 0 {
		b.once.Do(func() { close(b.reached) })
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	if b.stallAt >= 0 && int64(len(p)) > b.stallAt-b.sent {
		p = p[:b.stallAt-b.sent]
	}
	n, err := b.r.Read(p)
	b.sent += int64(n)
	b.left -= int64(n)
	return n, err
}

// client talks S3 to one server process. Make a new one after a restart:
// the port changes.
type client struct {
	t        *testing.T
	s3       *s3.Client
	minio    *minio.Client // signs PUT bodies chunk by chunk over plain HTTP
	endpoint string
	http     *http.Client
}

// client returns an aws-sdk-go-v2 client for the running process, with
// default checksum settings and no retries (a retry would hide a kill).
func (s *server) client() *client {
	hc := &http.Client{Transport: &http.Transport{}}
	cfg := aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       hc,
	}
	endpoint := "http://" + s.addr
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
	mc, err := minio.New(s.addr, &minio.Options{
		Creds:      miniocreds.NewStaticV4(accessKey, secretKey, ""),
		Region:     region,
		MaxRetries: 1,
	})
	if err != nil {
		s.t.Fatalf("minio client: %v", err)
	}
	return &client{t: s.t, s3: c, minio: mc, endpoint: endpoint, http: hc}
}

func (c *client) createBucket(ctx context.Context, bucket string) {
	c.t.Helper()
	_, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	if err != nil {
		c.t.Fatalf("create bucket %s: %v", bucket, err)
	}
}

// put stores a one-part object with PutObject.
func (c *client) put(ctx context.Context, bucket, key string, v content) {
	c.t.Helper()
	_, err := c.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(v.bytes()),
	})
	if err != nil {
		c.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

// putResult is how a raw PUT ended: with a response, or with a transport
// error (err set, status 0) when the connection died first.
type putResult struct {
	status int
	body   string // the start of the response body
	err    error
}

func (r putResult) String() string {
	if r.err != nil {
		return r.err.Error()
	}
	return fmt.Sprintf("status %d: %s", r.status, r.body)
}

// rawPut sends a PUT whose body the caller controls byte by byte, signed
// with UNSIGNED-PAYLOAD and a declared Content-Length, as clients do for
// large uploads. query is an encoded query string or "".
func (c *client) rawPut(ctx context.Context, bucket, key, query string,
	body io.Reader, size int64) putResult {
	u := c.endpoint + "/" + bucket + "/" + key
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, body)
	if err != nil {
		return putResult{err: err}
	}
	req.ContentLength = size
	const unsigned = "UNSIGNED-PAYLOAD"
	req.Header.Set("X-Amz-Content-Sha256", unsigned)
	creds := aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(ctx, creds, req, unsigned, "s3", region, time.Now()); err != nil {
		return putResult{err: fmt.Errorf("sign: %w", err)}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return putResult{err: err}
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return putResult{status: resp.StatusCode, body: string(msg)}
}

// sumOf reads a key to its end and returns the SHA-256 of its bytes, or
// ok false if the key does not exist. Any other error fails the test.
func (c *client) sumOf(ctx context.Context, bucket, key string) (sum [32]byte, ok bool) {
	c.t.Helper()
	out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if apiCode(err) == "NoSuchKey" {
		return sum, false
	}
	if err != nil {
		c.t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, out.Body)
	if err != nil {
		c.t.Fatalf("read %s/%s after %d bytes: %v", bucket, key, n, err)
	}
	if out.ContentLength != nil && *out.ContentLength != n {
		c.t.Errorf("get %s/%s: Content-Length %d but %d bytes", bucket, key, *out.ContentLength, n)
	}
	return [32]byte(h.Sum(nil)), true
}

// expectObject checks that key holds exactly want.
func (c *client) expectObject(ctx context.Context, bucket, key string, want object) {
	c.t.Helper()
	got, ok := c.sumOf(ctx, bucket, key)
	switch {
	case !ok:
		c.t.Errorf("%s/%s: NoSuchKey, want %v", bucket, key, want)
	case got != want.sum():
		c.t.Errorf("%s/%s: bytes differ from %v", bucket, key, want)
	}
}

// expectNoKey checks that both GET and HEAD say the key does not exist.
func (c *client) expectNoKey(ctx context.Context, bucket, key string) {
	c.t.Helper()
	if _, ok := c.sumOf(ctx, bucket, key); ok {
		c.t.Errorf("%s/%s exists, want NoSuchKey", bucket, key)
	}
	_, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusNotFound {
		c.t.Errorf("head %s/%s: got %v, want 404", bucket, key, err)
	}
}

// apiCode is the S3 error code of err, or "" if err is not an S3 error.
// Not every operation models every code as a type (ListParts returns
// NoSuchUpload as a generic error), so the code is compared as a string.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// createUpload starts a multipart upload.
func (c *client) createUpload(ctx context.Context, bucket, key string) string {
	c.t.Helper()
	out, err := c.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &bucket, Key: &key,
	})
	if err != nil {
		c.t.Fatalf("create upload %s/%s: %v", bucket, key, err)
	}
	return *out.UploadId
}

// uploadParts uploads parts as part numbers first, first+1, ... and
// returns their ETags in order.
func (c *client) uploadParts(ctx context.Context, bucket, key, upload string,
	first int, parts []content) []string {
	c.t.Helper()
	var etags []string
	for i, p := range parts {
		n := int32(first + i)
		out, err := c.s3.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &bucket, Key: &key, UploadId: &upload, PartNumber: &n,
			Body: bytes.NewReader(p.bytes()),
		})
		if err != nil {
			c.t.Fatalf("upload part %d of %s/%s: %v", n, bucket, key, err)
		}
		etags = append(etags, *out.ETag)
	}
	return etags
}

// complete sends CompleteMultipartUpload for parts 1..len(etags).
func (c *client) complete(ctx context.Context, bucket, key, upload string, etags []string) error {
	var parts []types.CompletedPart
	for i, e := range etags {
		parts = append(parts, types.CompletedPart{
			PartNumber: aws.Int32(int32(i + 1)), ETag: aws.String(e),
		})
	}
	_, err := c.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &bucket, Key: &key, UploadId: &upload,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	return err
}

// listedParts returns the parts the server lists for an upload, or ok
// false if the upload does not exist.
func (c *client) listedParts(ctx context.Context, bucket, key, upload string,
) (parts []types.Part, ok bool) {
	c.t.Helper()
	var marker *string
	for {
		out, err := c.s3.ListParts(ctx, &s3.ListPartsInput{
			Bucket: &bucket, Key: &key, UploadId: &upload, PartNumberMarker: marker,
		})
		if apiCode(err) == "NoSuchUpload" {
			return nil, false
		}
		if err != nil {
			c.t.Fatalf("list parts of %s/%s: %v", bucket, key, err)
		}
		parts = append(parts, out.Parts...)
		if !aws.ToBool(out.IsTruncated) {
			return parts, true
		}
		marker = out.NextPartNumberMarker
	}
}

// expectParts checks that an upload exists and lists exactly the given
// parts, numbered from 1, with the ETags the server acknowledged.
func (c *client) expectParts(ctx context.Context, bucket, key, upload string,
	want []content, etags []string) {
	c.t.Helper()
	got, ok := c.listedParts(ctx, bucket, key, upload)
	if !ok {
		c.t.Errorf("upload %s of %s/%s: NoSuchUpload, want %d acknowledged parts",
			upload, bucket, key, len(want))
		return
	}
	if len(got) != len(want) {
		c.t.Errorf("upload of %s/%s lists %d parts, want %d", bucket, key, len(got), len(want))
		return
	}
	for i, p := range got {
		if aws.ToInt32(p.PartNumber) != int32(i+1) || aws.ToString(p.ETag) != etags[i] ||
			aws.ToInt64(p.Size) != want[i].size {
			c.t.Errorf("part %d: got number %d, ETag %s, size %d; want ETag %s, size %d", i+1,
				aws.ToInt32(p.PartNumber), aws.ToString(p.ETag), aws.ToInt64(p.Size),
				etags[i], want[i].size)
		}
	}
}

// ---- orphan audit ----------------------------------------------------------

// The store/local layout this audit relies on (see its package comment):
// <root>/meta.db, <root>/tmp/ for files being written, and
// <root>/blobs/ab/cd/<id> with one file per single PUT, per part of an
// upload and per part of a completed multipart object.

// storeRoot finds the directory holding meta.db under a data directory.
func storeRoot(t *testing.T, data string) string {
	t.Helper()
	var root string
	filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "meta.db" {
			root = filepath.Dir(path)
			return filepath.SkipAll
		}
		return nil
	})
	if root == "" {
		t.Fatalf("no meta.db under %s: has the store layout changed?", data)
	}
	return root
}

// filesUnder counts the regular files under dir and their total size.
func filesUnder(t *testing.T, dir string) (n int, size int64) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n++
		size += info.Size()
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return n, size
}

// waitWriting waits until the store has a file under tmp, which shows the
// server is part-way through writing a body.
func waitWriting(t *testing.T, data string) {
	t.Helper()
	tmp := filepath.Join(storeRoot(t, data), "tmp")
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if n, _ := filesUnder(t, tmp); n > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("no file appeared under %s while a body was streaming", tmp)
}

// audit checks, right after a start, that nothing is left under tmp and
// that the blob files are exactly those the S3 listing accounts for: one
// per single-PUT object, one per part of a multipart object (the N of its
// "-N" ETag) and one per part of an upload in progress, with sizes adding
// up. An orphan (or a missing blob) makes the counts disagree.
func (c *client) audit(ctx context.Context, data string) {
	c.t.Helper()
	for _, p := range c.auditProblems(ctx, data) {
		c.t.Error(p)
	}
}

// auditProblems is audit's verdict: one line per problem found.
func (c *client) auditProblems(ctx context.Context, data string) []string {
	c.t.Helper()
	var problems []string
	root := storeRoot(c.t, data)
	if n, _ := filesUnder(c.t, filepath.Join(root, "tmp")); n != 0 {
		problems = append(problems, fmt.Sprintf("after start, %d files remain under tmp", n))
	}
	gotN, gotSize := filesUnder(c.t, filepath.Join(root, "blobs"))
	wantN, wantSize := c.accountedBlobs(ctx)
	if gotN != wantN || gotSize != wantSize {
		problems = append(problems, fmt.Sprintf(
			"blob files: %d files, %d bytes; listing accounts for %d files, %d bytes",
			gotN, gotSize, wantN, wantSize))
	}
	return problems
}

// accountedBlobs counts the blobs and bytes the listing says exist.
func (c *client) accountedBlobs(ctx context.Context) (n int, size int64) {
	c.t.Helper()
	buckets, err := c.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		c.t.Fatalf("list buckets: %v", err)
	}
	for _, b := range buckets.Buckets {
		objects := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{Bucket: b.Name})
		for objects.HasMorePages() {
			page, err := objects.NextPage(ctx)
			if err != nil {
				c.t.Fatalf("list %s: %v", *b.Name, err)
			}
			for _, o := range page.Contents {
				n += partsOf(aws.ToString(o.ETag))
				size += aws.ToInt64(o.Size)
			}
		}
		un, us := c.uploadBlobs(ctx, *b.Name)
		n += un
		size += us
	}
	return n, size
}

// uploadBlobs counts the parts of the uploads in progress in a bucket.
func (c *client) uploadBlobs(ctx context.Context, bucket string) (n int, size int64) {
	c.t.Helper()
	var keyMarker, idMarker *string
	for {
		out, err := c.s3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{
			Bucket: &bucket, KeyMarker: keyMarker, UploadIdMarker: idMarker,
		})
		if err != nil {
			c.t.Fatalf("list uploads in %s: %v", bucket, err)
		}
		for _, u := range out.Uploads {
			parts, _ := c.listedParts(ctx, bucket, *u.Key, *u.UploadId)
			for _, p := range parts {
				n++
				size += aws.ToInt64(p.Size)
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return n, size
		}
		keyMarker, idMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// partsOf reads N from a multipart ETag "<md5>-N"; a plain ETag is 1.
func partsOf(etag string) int {
	etag = strings.Trim(etag, `"`)
	if i := strings.LastIndexByte(etag, '-'); i >= 0 {
		if n, err := strconv.Atoi(etag[i+1:]); err == nil {
			return n
		}
	}
	return 1
}

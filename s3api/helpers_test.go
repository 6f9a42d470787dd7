package s3api_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"gatehouse.dev/gatehouse/internal/s3test"
)

var bucketSeq atomic.Int64

// newBucket creates a fresh bucket and returns its name.
func newBucket(t *testing.T, srv *s3test.Server) string {
	t.Helper()
	name := fmt.Sprintf("bucket-%d", bucketSeq.Add(1))
	_, err := srv.S3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &name})
	if err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

// put stores body under key with the TLS SDK client and returns the ETag.
func put(t *testing.T, c *s3.Client, bucket, key string, body []byte) string {
	t.Helper()
	out, err := c.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return aws.ToString(out.ETag)
}

// get returns the content of key.
func get(t *testing.T, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	return b
}

// s3Error is what a test needs to know about a failed SDK call.
type s3Error struct {
	Code   string
	Status int
}

// errorOf extracts the S3 error code and HTTP status from an SDK error;
// the zero value means err was nil.
func errorOf(t *testing.T, err error) s3Error {
	t.Helper()
	if err == nil {
		return s3Error{}
	}
	var e s3Error
	var api smithy.APIError
	if errors.As(err, &api) {
		e.Code = api.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		e.Status = re.HTTPStatusCode()
	}
	if e.Code == "" && e.Status == 0 {
		t.Fatalf("not an S3 error response: %v", err)
	}
	return e
}

// wantError fails unless err is the S3 error code with status.
func wantError(t *testing.T, err error, code string, status int) {
	t.Helper()
	got := errorOf(t, err)
	if want := (s3Error{code, status}); got != want {
		t.Fatalf("error = %+v (%v), want %+v", got, err, want)
	}
}

// xmlError is an S3 error body as a raw client sees it.
type xmlError struct {
	Code      string
	Message   string
	Resource  string
	RequestID string `xml:"RequestId"`
}

func xmlUnmarshal(b []byte, v any) error { return xml.Unmarshal(b, v) }

// rawError sends req and decodes the S3 error it must answer with.
func rawError(t *testing.T, req *http.Request) (int, xmlError) {
	t.Helper()
	resp, body := s3test.Do(t, req)
	var e xmlError
	if req.Method != http.MethodHead {
		if err := xml.Unmarshal(body, &e); err != nil {
			t.Fatalf("%s %s: status %d, body %q is not an S3 error: %v",
				req.Method, req.URL.Path, resp.StatusCode, body, err)
		}
		if e.RequestID != resp.Header.Get("X-Amz-Request-Id") {
			t.Errorf("RequestId %q in body, %q in header", e.RequestID,
				resp.Header.Get("X-Amz-Request-Id"))
		}
	}
	return resp.StatusCode, e
}

// randomBytes returns n bytes from a seeded generator.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// md5ETag is the quoted hex MD5 of b, the ETag of a single PUT.
func md5ETag(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// multipartETag computes the ETag of a multipart object independently of
// the server: the MD5 of the concatenated binary MD5s of the parts, then
// "-" and the part count.
func multipartETag(parts ...[]byte) string {
	var all []byte
	for _, p := range parts {
		sum := md5.Sum(p)
		all = append(all, sum[:]...)
	}
	sum := md5.Sum(all)
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(sum[:]), len(parts))
}

// escapePath escapes a key for a raw request path the way SDKs do: every
// byte but unreserved characters and "/".
func escapePath(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-_.~/", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

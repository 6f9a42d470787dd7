package sigv4_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

var awsCreds = aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}

// awsSign signs req in its Authorization header with aws-sdk-go-v2's
// signer, as the S3 client does (no extra path escaping for S3).
func awsSign(t testing.TB, req *http.Request, payloadHash string, creds aws.Credentials,
	region string, at time.Time) {
	t.Helper()
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(context.Background(), creds, req, payloadHash, "s3", region,
		at); err != nil {
		t.Fatalf("sign: %v", err)
	}
}

// awsPresign presigns req with aws-sdk-go-v2's signer and returns a new
// request for the URL, carrying the headers the signer says to send.
func awsPresign(t testing.TB, req *http.Request, creds aws.Credentials, at time.Time,
	expires time.Duration) *http.Request {
	t.Helper()
	return awsPresignFor(t, req, creds, testRegion, at, expires)
}

// awsPresignFor is awsPresign with a credential scope for region.
func awsPresignFor(t testing.TB, req *http.Request, creds aws.Credentials, region string,
	at time.Time, expires time.Duration) *http.Request {
	t.Helper()
	q := req.URL.Query()
	q.Set("X-Amz-Expires", strconv.FormatInt(int64(expires/time.Second), 10))
	req.URL.RawQuery = q.Encode()
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	u, hdr, err := signer.PresignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD",
		"s3", region, at)
	if err != nil {
		t.Fatalf("presign: %v", err)
	}
	out, err := http.NewRequest(req.Method, u, req.Body)
	if err != nil {
		t.Fatalf("presigned url %q: %v", u, err)
	}
	for k, v := range hdr {
		if !strings.EqualFold(k, "host") {
			out.Header[k] = v
		}
	}
	return out
}

func TestAWSSignerHeaderAuth(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	s := newVerifyServer(t, func() time.Time { return now })
	body := []byte("hello, signed world")

	cases := []struct {
		name    string
		method  string
		path    string
		query   string
		body    []byte
		payload string
		headers map[string]string
	}{
		{name: "GET with empty-body hash", method: "GET", path: "/bkt/key",
			payload: sha256Hex(nil)},
		{name: "GET with UNSIGNED-PAYLOAD", method: "GET", path: "/bkt/key",
			payload: "UNSIGNED-PAYLOAD"},
		{name: "PUT with signed payload hash", method: "PUT", path: "/bkt/obj",
			body: body, payload: sha256Hex(body),
			headers: map[string]string{"Content-Type": "text/plain",
				"X-Amz-Meta-Color": "  deep   blue  "}},
		{name: "PUT with UNSIGNED-PAYLOAD", method: "PUT", path: "/bkt/obj",
			body: body, payload: "UNSIGNED-PAYLOAD"},
		{name: "list with query", method: "GET", path: "/bkt",
			query:   "list-type=2&prefix=a%20b%2Bc&delimiter=%2F&max-keys=10",
			payload: sha256Hex(nil)},
		{name: "subresource without value", method: "POST", path: "/bkt/k",
			query: "uploads", payload: sha256Hex(nil)},
		{name: "root path", method: "GET", path: "/", payload: sha256Hex(nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := s.URL + tc.path
			if tc.query != "" {
				url += "?" + tc.query
			}
			req, _ := http.NewRequest(tc.method, url, bytes.NewReader(tc.body))
			if tc.body == nil {
				req.Body = http.NoBody
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			awsSign(t, req, tc.payload, awsCreds, testRegion, now)
			o := do(t, s, req)
			if o.Code != "" {
				t.Fatalf("verify: %s: %s", o.Code, o.Message)
			}
			if o.AccessKey != testAKID || o.Presigned || o.Anonymous {
				t.Errorf("auth = %+v, want header auth by %s", o, testAKID)
			}
			if o.BodySHA != sha256Hex(tc.body) {
				t.Errorf("body hash = %s, want %s", o.BodySHA, sha256Hex(tc.body))
			}
		})
	}
}

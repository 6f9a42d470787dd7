package s3api_test

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"gatehouse.dev/gatehouse/internal/s3test"
)

// Object keys are UTF-8 (Amazon S3 User Guide, "Naming Amazon S3
// objects"). A key that is not must be refused wherever a key can be
// named, rather than stored and later listed with U+FFFD in its place.
func TestKeysThatAreNotUTF8AreRefused(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	put(t, srv.S3, bucket, "present", []byte("x"))
	b := "/" + bucket
	badToken := base64.RawURLEncoding.EncodeToString([]byte{1, 0xff, 0xfe})

	tests := []struct {
		name string
		req  func(t *testing.T) *http.Request
	}{
		{"PutObject", withHeader(srv, "PUT", b+"/%FF%FE", "Content-Type", "text/plain")},
		{"GetObject", get0(srv, "GET", b+"/%FF%FE")},
		{"HeadObject", get0(srv, "HEAD", b+"/ok%C3")},
		{"DeleteObject", get0(srv, "DELETE", b+"/%FF")},
		{"CreateMultipartUpload", get0(srv, "POST", b+"/%FF?uploads")},
		{"CopyObject to a bad key", withHeader(srv, "PUT", b+"/%FF", "X-Amz-Copy-Source",
			b+"/present")},
		{"CopyObject from a bad key", withHeader(srv, "PUT", b+"/copy", "X-Amz-Copy-Source",
			b+"/%FF%FE")},
		{"DeleteObjects entry", func(t *testing.T) *http.Request {
			body := []byte("<Delete><Object><Key>bad\xff\xfe</Key></Object></Delete>")
			sum := md5.Sum(body)
			return srv.Request(t, "POST", b+"?delete",
				http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(sum[:])}}, body)
		}},
		{"ListObjects prefix", get0(srv, "GET", b+"?prefix=%FF")},
		{"ListObjects marker", get0(srv, "GET", b+"?marker=%FF")},
		{"ListObjects delimiter", get0(srv, "GET", b+"?delimiter=%FF")},
		{"ListObjectsV2 prefix", get0(srv, "GET", b+"?list-type=2&prefix=a%FF")},
		{"ListObjectsV2 start-after", get0(srv, "GET", b+"?list-type=2&start-after=%FF")},
		{"ListObjectsV2 continuation token", get0(srv, "GET",
			b+"?list-type=2&continuation-token="+badToken)},
		{"ListMultipartUploads key-marker", get0(srv, "GET", b+"?uploads&key-marker=%FF")},
		{"ListMultipartUploads prefix", get0(srv, "GET", b+"?uploads&prefix=%FF")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req(t)
			status, e := rawError(t, req)
			if status != 400 {
				t.Errorf("%s %s = %d %s, want 400", req.Method, req.URL, status, e.Code)
			}
			if req.Method != "HEAD" && (e.Code != "InvalidArgument" && e.Code != "MalformedXML" ||
				!strings.Contains(e.Message, "UTF-8")) {
				t.Errorf("error = %s %q, want InvalidArgument naming UTF-8", e.Code, e.Message)
			}
		})
	}

	// Nothing was stored under a mangled name.
	assertListed(t, srv.S3, bucket, []string{"present"})
	out, err := srv.S3.ListMultipartUploads(context.Background(),
		&s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil || len(out.Uploads) != 0 {
		t.Errorf("uploads = %+v, %v; want none", out.Uploads, err)
	}
}

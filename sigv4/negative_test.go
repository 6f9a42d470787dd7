package sigv4_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/minio/minio-go/v7/pkg/signer"
)

// TestHeaderAuthRefusals covers the ways a header-signed request must
// fail, each with the S3 error code AWS gives.
func TestHeaderAuthRefusals(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	s := newVerifyServer(t, func() time.Time { return now })
	body := []byte("payload under test")

	// signed returns a correctly signed PUT; mutate then breaks it.
	signed := func(creds aws.Credentials, at time.Time) *http.Request {
		req, _ := http.NewRequest("PUT", s.URL+"/bkt/key?tagging=", bytes.NewReader(body))
		req.Header.Set("X-Amz-Meta-Note", "original")
		req.Header.Set("Content-Type", "text/plain")
		awsSign(t, req, sha256Hex(body), creds, testRegion, at)
		return req
	}
	replaceAuth := func(req *http.Request, old, new string) {
		req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"),
			old, new, 1))
	}

	cases := []struct {
		name   string
		build  func() *http.Request
		code   string
		status int
	}{
		{"correct request is accepted", func() *http.Request {
			return signed(awsCreds, now)
		}, "", 200},
		{"wrong secret", func() *http.Request {
			return signed(aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: otherSec}, now)
		}, "SignatureDoesNotMatch", 403},
		{"unknown access key", func() *http.Request {
			return signed(aws.Credentials{AccessKeyID: "AKIDNOBODY", SecretAccessKey: testSecret}, now)
		}, "InvalidAccessKeyId", 403},
		{"another key's ID with our secret", func() *http.Request {
			return signed(aws.Credentials{AccessKeyID: otherAKID, SecretAccessKey: testSecret}, now)
		}, "SignatureDoesNotMatch", 403},
		{"tampered signature", func() *http.Request {
			req := signed(awsCreds, now)
			a := []byte(req.Header.Get("Authorization"))
			a[len(a)-1] = otherHex(a[len(a)-1])
			req.Header.Set("Authorization", string(a))
			return req
		}, "SignatureDoesNotMatch", 403},
		{"tampered signed header", func() *http.Request {
			req := signed(awsCreds, now)
			req.Header.Set("X-Amz-Meta-Note", "altered")
			return req
		}, "SignatureDoesNotMatch", 403},
		{"tampered query", func() *http.Request {
			req := signed(awsCreds, now)
			req.URL.RawQuery = "acl="
			return req
		}, "SignatureDoesNotMatch", 403},
		{"tampered path", func() *http.Request {
			req := signed(awsCreds, now)
			req.URL.Path = "/bkt/other"
			return req
		}, "SignatureDoesNotMatch", 403},
		{"tampered method", func() *http.Request {
			req := signed(awsCreds, now)
			req.Method = "POST"
			return req
		}, "SignatureDoesNotMatch", 403},
		{"unsigned x-amz header added", func() *http.Request {
			req := signed(awsCreds, now)
			req.Header.Set("X-Amz-Copy-Source", "/other/secret")
			return req
		}, "AccessDenied", 403},
		{"clock 16 minutes behind the server", func() *http.Request {
			return signed(awsCreds, now.Add(-16*time.Minute))
		}, "RequestTimeTooSkewed", 403},
		{"clock 16 minutes ahead of the server", func() *http.Request {
			return signed(awsCreds, now.Add(16*time.Minute))
		}, "RequestTimeTooSkewed", 403},
		{"clock 14 minutes behind is within skew", func() *http.Request {
			return signed(awsCreds, now.Add(-14*time.Minute))
		}, "", 200},
		{"missing x-amz-content-sha256", func() *http.Request {
			req, _ := http.NewRequest("GET", s.URL+"/bkt/key", nil)
			req = signer.SignV4(*req, testAKID, testSecret, "", testRegion)
			req.Header.Del("X-Amz-Content-Sha256")
			return req
		}, "MissingSecurityHeader", 400},
		{"malformed x-amz-content-sha256", func() *http.Request {
			req, _ := http.NewRequest("GET", s.URL+"/bkt/key", nil)
			awsSign(t, req, "not-a-hash", awsCreds, testRegion, now)
			return req
		}, "InvalidArgument", 400},
		{"signed hash differs from the body", func() *http.Request {
			req, _ := http.NewRequest("PUT", s.URL+"/bkt/key", bytes.NewReader(body))
			awsSign(t, req, sha256Hex([]byte("something else")), awsCreds, testRegion, now)
			return req
		}, "XAmzContentSHA256Mismatch", 400},
		{"empty body with a non-empty hash", func() *http.Request {
			req, _ := http.NewRequest("GET", s.URL+"/bkt/key", nil)
			awsSign(t, req, sha256Hex(body), awsCreds, testRegion, now)
			return req
		}, "XAmzContentSHA256Mismatch", 400},
		{"service other than s3", func() *http.Request {
			req := signed(awsCreds, now)
			replaceAuth(req, "/s3/aws4_request", "/iam/aws4_request")
			return req
		}, "AuthorizationHeaderMalformed", 400},
		{"credential date not the request date", func() *http.Request {
			req := signed(awsCreds, now)
			replaceAuth(req, now.Format("/20060102/"), now.AddDate(0, 0, -1).Format("/20060102/"))
			return req
		}, "AuthorizationHeaderMalformed", 400},
		{"Authorization without Signature", func() *http.Request {
			req := signed(awsCreds, now)
			a := req.Header.Get("Authorization")
			req.Header.Set("Authorization", a[:strings.LastIndex(a, ",")])
			return req
		}, "AuthorizationHeaderMalformed", 400},
		{"SignedHeaders without host", func() *http.Request {
			req := signed(awsCreds, now)
			replaceAuth(req, "SignedHeaders=content-length;content-type;host;",
				"SignedHeaders=content-length;content-type;")
			return req
		}, "AuthorizationHeaderMalformed", 400},
		{"no date at all", func() *http.Request {
			req := signed(awsCreds, now)
			req.Header.Del("X-Amz-Date")
			return req
		}, "AccessDenied", 403},
		{"Signature Version 2 header", func() *http.Request {
			req := signer.SignV2(*mustRequest("GET", s.URL+"/bkt/key"), testAKID, testSecret, false)
			return req
		}, "AccessDenied", 403},
		{"Signature Version 2 presigned URL", func() *http.Request {
			req := signer.PreSignV2(*mustRequest("GET", s.URL+"/bkt/key"), testAKID, testSecret,
				600, false)
			return mustRequest("GET", req.URL.String())
		}, "AccessDenied", 403},
		{"SigV4A header", func() *http.Request {
			req := signed(awsCreds, now)
			replaceAuth(req, "AWS4-HMAC-SHA256 ", "AWS4-ECDSA-P256-SHA256 ")
			return req
		}, "AccessDenied", 403},
		{"session token", func() *http.Request {
			return signed(aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret,
				SessionToken: "FwoGZXIvYXdzEXAMPLETOKEN"}, now)
		}, "AccessDenied", 403},
		{"header and query authentication at once", func() *http.Request {
			req := signed(awsCreds, now)
			req.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
			return req
		}, "InvalidArgument", 400},
		{"unknown authorization scheme", func() *http.Request {
			req := mustRequest("GET", s.URL+"/bkt/key")
			req.Header.Set("Authorization", "Bearer abc")
			return req
		}, "AuthorizationHeaderMalformed", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := do(t, s, tc.build())
			if o.Code != tc.code || o.Status != tc.status {
				t.Fatalf("got %d %s (%s), want %d %s", o.Status, o.Code, o.Message,
					tc.status, tc.code)
			}
			if tc.code == "" && o.BodySHA != sha256Hex(body) {
				t.Errorf("body not delivered intact")
			}
			if strings.Contains(o.Message, testSecret) {
				t.Errorf("error message reveals the secret: %s", o.Message)
			}
		})
	}
}

func mustRequest(method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// TestAnonymous checks that a request without any authentication is
// reported as anonymous, not refused: the caller decides.
func TestAnonymous(t *testing.T) {
	s := newVerifyServer(t, nil)
	o := do(t, s, mustRequest("GET", s.URL+"/bkt/key?report"))
	if o.Code != "" || !o.Anonymous || o.AccessKey != "" {
		t.Fatalf("anonymous GET: %+v", o)
	}
	req := mustRequest("GET", s.URL+"/bkt/key")
	req.Header.Set("X-Amz-Security-Token", "token")
	if o := do(t, s, req); o.Code != "AccessDenied" {
		t.Fatalf("token without signature: %+v, want AccessDenied", o)
	}
}

package sigv4_test

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestPresigned(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	s := newVerifyServer(t, func() time.Time { return now })
	body := []byte("uploaded through a presigned URL")

	presign := func(method, path string, at time.Time, expires time.Duration,
		creds aws.Credentials) *http.Request {
		req, _ := http.NewRequest(method, s.URL+path, nil)
		return awsPresign(t, req, creds, at, expires)
	}
	setQuery := func(req *http.Request, name, value string) *http.Request {
		q := req.URL.Query()
		q.Set(name, value)
		req.URL.RawQuery = q.Encode()
		return req
	}

	cases := []struct {
		name  string
		build func() *http.Request
		code  string
	}{
		{"GET within its lifetime", func() *http.Request {
			return presign("GET", "/bkt/key?report", now.Add(-time.Hour), 2*time.Hour, awsCreds)
		}, ""},
		{"GET with response overrides", func() *http.Request {
			return presign("GET", "/bkt/key?report&response-content-type=text%2Fplain%3B+a%3Db"+
				"&response-content-disposition=attachment%3B%20filename%3D%22x%20y.txt%22",
				now, time.Minute, awsCreds)
		}, ""},
		{"PUT with a body", func() *http.Request {
			req := presign("PUT", "/bkt/upload", now, time.Hour, awsCreds)
			req.Body, req.ContentLength = httpBody(body), int64(len(body))
			return req
		}, ""},
		{"seven days is the longest lifetime", func() *http.Request {
			return presign("GET", "/bkt/key?report", now, 7*24*time.Hour, awsCreds)
		}, ""},
		{"expired", func() *http.Request {
			return presign("GET", "/bkt/key", now.Add(-2*time.Hour), time.Hour, awsCreds)
		}, "AccessDenied"},
		{"expired one second ago", func() *http.Request {
			return presign("GET", "/bkt/key", now.Add(-61*time.Second), time.Minute, awsCreds)
		}, "AccessDenied"},
		{"dated 20 minutes in the future is not yet valid", func() *http.Request {
			return presign("GET", "/bkt/key", now.Add(20*time.Minute), time.Hour, awsCreds)
		}, "AccessDenied"},
		{"dated 5 minutes in the future is within skew", func() *http.Request {
			return presign("GET", "/bkt/key?report", now.Add(5*time.Minute), time.Hour, awsCreds)
		}, ""},
		{"X-Amz-Expires 0", func() *http.Request {
			return presign("GET", "/bkt/key", now, 0, awsCreds)
		}, "AuthorizationQueryParametersError"},
		{"X-Amz-Expires 604801", func() *http.Request {
			return presign("GET", "/bkt/key", now, 604801*time.Second, awsCreds)
		}, "AuthorizationQueryParametersError"},
		{"X-Amz-Expires not a number", func() *http.Request {
			return setQuery(presign("GET", "/bkt/key", now, time.Hour, awsCreds),
				"X-Amz-Expires", "soon")
		}, "AuthorizationQueryParametersError"},
		{"lifetime extended after signing", func() *http.Request {
			return setQuery(presign("GET", "/bkt/key", now.Add(-2*time.Hour), time.Hour, awsCreds),
				"X-Amz-Expires", "86400")
		}, "SignatureDoesNotMatch"},
		{"tampered query parameter", func() *http.Request {
			return setQuery(presign("GET", "/bkt/key?response-content-type=text%2Fplain", now,
				time.Hour, awsCreds), "response-content-type", "text/html")
		}, "SignatureDoesNotMatch"},
		{"added query parameter", func() *http.Request {
			return setQuery(presign("GET", "/bkt/key", now, time.Hour, awsCreds), "acl", "")
		}, "SignatureDoesNotMatch"},
		{"tampered signature", func() *http.Request {
			req := presign("GET", "/bkt/key", now, time.Hour, awsCreds)
			sig := []byte(req.URL.Query().Get("X-Amz-Signature"))
			sig[10] = otherHex(sig[10])
			return setQuery(req, "X-Amz-Signature", string(sig))
		}, "SignatureDoesNotMatch"},
		{"wrong secret", func() *http.Request {
			return presign("GET", "/bkt/key", now, time.Hour,
				aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: otherSec})
		}, "SignatureDoesNotMatch"},
		{"unknown key", func() *http.Request {
			return presign("GET", "/bkt/key", now, time.Hour,
				aws.Credentials{AccessKeyID: "AKIDNOBODY", SecretAccessKey: testSecret})
		}, "InvalidAccessKeyId"},
		{"missing X-Amz-SignedHeaders", func() *http.Request {
			req := presign("GET", "/bkt/key", now, time.Hour, awsCreds)
			q := req.URL.Query()
			q.Del("X-Amz-SignedHeaders")
			req.URL.RawQuery = q.Encode()
			return req
		}, "AuthorizationQueryParametersError"},
		{"session token", func() *http.Request {
			return presign("GET", "/bkt/key", now, time.Hour, aws.Credentials{
				AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: "tok"})
		}, "AccessDenied"},
		{"unsigned x-amz header sent with the URL", func() *http.Request {
			req := presign("GET", "/bkt/key", now, time.Hour, awsCreds)
			req.Header.Set("X-Amz-Meta-Extra", "1")
			return req
		}, "AccessDenied"},
		{"ECDSA algorithm", func() *http.Request {
			return setQuery(presign("GET", "/bkt/key", now, time.Hour, awsCreds),
				"X-Amz-Algorithm", "AWS4-ECDSA-P256-SHA256")
		}, "AccessDenied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := do(t, s, tc.build())
			if o.Code != tc.code {
				t.Fatalf("got %d %s (%s), want %s", o.Status, o.Code, o.Message, tc.code)
			}
			if tc.code == "" && (!o.Presigned || o.AccessKey != testAKID) {
				t.Errorf("outcome %+v, want presigned by %s", o, testAKID)
			}
		})
	}
	// The messages AWS clients and users recognise.
	expired := do(t, s, presign("GET", "/bkt/key", now.Add(-2*time.Hour), time.Hour, awsCreds))
	if expired.Message != "Request has expired" {
		t.Errorf("expired message = %q", expired.Message)
	}
	early := do(t, s, presign("GET", "/bkt/key", now.Add(time.Hour), time.Hour, awsCreds))
	if early.Message != "Request is not valid yet" {
		t.Errorf("not-yet-valid message = %q", early.Message)
	}
}

// TestPresignedRawURL checks a URL as a browser or curl would send it,
// built from the presigned string alone.
func TestPresignedRawURL(t *testing.T) {
	s := newVerifyServer(t, nil)
	req, _ := http.NewRequest("GET", s.URL+"/bkt/dir/file%20name.txt?report", nil)
	signed := awsPresign(t, req, awsCreds, time.Now().UTC(), time.Hour)
	u, err := url.Parse(signed.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	o := do(t, s, &http.Request{Method: "GET", URL: u, Header: http.Header{}, Host: u.Host})
	if o.Code != "" || o.Path != "/bkt/dir/file name.txt" {
		t.Fatalf("presigned raw URL: %+v", o)
	}
}

func httpBody(b []byte) *nopCloser { return &nopCloser{bytes.NewReader(b)} }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

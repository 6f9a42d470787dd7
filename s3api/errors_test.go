package s3api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/internal/s3test"
)

// zeros is an endless body that is never expected to be read.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// deleteBody is a DeleteObjects body naming n keys.
func deleteBody(n int) []byte {
	var b bytes.Buffer
	b.WriteString("<Delete>")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "<Object><Key>k%d</Key></Object>", i)
	}
	b.WriteString("</Delete>")
	return b.Bytes()
}

// deleteRequest is a signed DeleteObjects request on bucket path b, with
// the Content-MD5 that S3 requires.
func deleteRequest(t *testing.T, srv *s3test.Server, b string, body []byte) *http.Request {
	sum := md5.Sum(body)
	return srv.Request(t, "POST", b+"?delete",
		http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(sum[:])}}, body)
}

// TestBadInputGetsTheS3ErrorCodeAndStatus sends each bad input of issue 2
// section 7 as a raw signed request, since SDKs refuse to send many of
// them, and checks the S3 XML error.
func TestBadInputGetsTheS3ErrorCodeAndStatus(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	put(t, srv.S3, bucket, "present", []byte("0123456789"))
	full := newBucket(t, srv)
	put(t, srv.S3, full, "k", []byte("x"))
	b := "/" + bucket

	tests := []struct {
		name   string
		req    func(t *testing.T) *http.Request
		status int
		code   string
	}{
		{"missing bucket", get0(srv, "GET", "/no-such-bucket/k"), 404, "NoSuchBucket"},
		{"missing key", get0(srv, "GET", b+"/absent"), 404, "NoSuchKey"},
		{"missing upload", get0(srv, "GET", b+"/k?uploadId=none"), 404, "NoSuchUpload"},
		{"deleting a bucket that holds objects", get0(srv, "DELETE", "/"+full), 409,
			"BucketNotEmpty"},
		{"creating a bucket twice", get0(srv, "PUT", b), 409, "BucketAlreadyOwnedByYou"},
		{"upper case and underscore in a bucket name", get0(srv, "PUT", "/Bad_Name"), 400,
			"InvalidBucketName"},
		{"two-letter bucket name", get0(srv, "PUT", "/ab"), 400, "InvalidBucketName"},
		{"adjacent dots in a bucket name", get0(srv, "PUT", "/a..b"), 400, "InvalidBucketName"},
		{"bucket name shaped like an IP address", get0(srv, "PUT", "/192.168.5.4"), 400,
			"InvalidBucketName"},
		{"bucket name with a reserved prefix", get0(srv, "PUT", "/xn--abc"), 400,
			"InvalidBucketName"},
		{"bucket name starting with a hyphen", get0(srv, "PUT", "/-abc"), 400,
			"InvalidBucketName"},
		{"key over 1024 bytes", get0(srv, "PUT", b+"/"+strings.Repeat("k", 1025)), 400,
			"KeyTooLongError"},
		{"range past the end", withHeader(srv, "GET", b+"/present", "Range", "bytes=10-"), 416,
			"InvalidRange"},
		{"failed If-Match", withHeader(srv, "GET", b+"/present", "If-Match", `"x"`), 412,
			"PreconditionFailed"},
		{"If-None-Match other than * on PUT",
			withHeader(srv, "PUT", b+"/present", "If-None-Match", `"x"`), 501, "NotImplemented"},
		{"unsupported subresource", get0(srv, "GET", b+"?lifecycle"), 501, "NotImplemented"},
		{"customer-provided encryption keys",
			withHeader(srv, "PUT", b+"/sse", "X-Amz-Server-Side-Encryption-Customer-Algorithm",
				"AES256"), 501, "NotImplemented"},
		{"unknown method", get0(srv, "PATCH", b+"/present"), 405, "MethodNotAllowed"},
		{"metadata over 2 KiB", withHeader(srv, "PUT", b+"/meta", "X-Amz-Meta-Big",
			strings.Repeat("m", 2100)), 400, "MetadataTooLarge"},
		{"headers over 8 KiB on a write", withHeader(srv, "PUT", b+"/hdr", "X-Padding",
			strings.Repeat("p", 9000)), 400, "RequestHeaderSectionTooLarge"},
		{"malformed DeleteObjects body", func(t *testing.T) *http.Request {
			return deleteRequest(t, srv, b, []byte("<Delete><Object>"))
		}, 400, "MalformedXML"},
		{"DeleteObjects with 1001 keys", func(t *testing.T) *http.Request {
			return deleteRequest(t, srv, b, deleteBody(1001))
		}, 400, "MalformedXML"},
		{"DeleteObjects with no keys", func(t *testing.T) *http.Request {
			return deleteRequest(t, srv, b, deleteBody(0))
		}, 400, "MalformedXML"},
		{"DeleteObjects without Content-MD5 or a checksum", func(t *testing.T) *http.Request {
			return srv.Request(t, "POST", b+"?delete", nil, deleteBody(1))
		}, 400, "InvalidRequest"},
		{"DeleteObjects naming a checksum algorithm only", func(t *testing.T) *http.Request {
			return srv.Request(t, "POST", b+"?delete",
				http.Header{"X-Amz-Sdk-Checksum-Algorithm": {"CRC32"}}, deleteBody(1))
		}, 400, "InvalidRequest"},
		{"XML body over its bound", func(t *testing.T) *http.Request {
			return deleteRequest(t, srv, b,
				append(deleteBody(1), bytes.Repeat([]byte(" "), 3<<20)...))
		}, 400, "MaxMessageLengthExceeded"},
		{"PUT without Content-Length", func(t *testing.T) *http.Request {
			return srv.RequestWithHash(t, "PUT", b+"/chunked", nil,
				io.MultiReader(strings.NewReader("abc")), -1, s3test.UnsignedPayload)
		}, 411, "MissingContentLength"},
		{"max-keys not a number", get0(srv, "GET", b+"?max-keys=many"), 400, "InvalidArgument"},
		{"a version ID on an unversioned bucket", get0(srv, "GET", b+"/present?versionId=7"),
			400, "InvalidArgument"},
		{"request signed with the wrong secret", func(t *testing.T) *http.Request {
			return signedAs(t, srv, s3test.AccessKeyID, "wrong-secret", time.Now())
		}, 403, "SignatureDoesNotMatch"},
		{"unknown access key", func(t *testing.T) *http.Request {
			return signedAs(t, srv, "AKIDUNKNOWN000000000", s3test.SecretKey, time.Now())
		}, 403, "InvalidAccessKeyId"},
		{"request signed 20 minutes ago", func(t *testing.T) *http.Request {
			return signedAs(t, srv, s3test.AccessKeyID, s3test.SecretKey,
				time.Now().Add(-20*time.Minute))
		}, 403, "RequestTimeTooSkewed"},
		{"anonymous request", func(t *testing.T) *http.Request {
			req, _ := http.NewRequest("GET", srv.URL+b+"/present", nil)
			return req
		}, 403, "AccessDenied"},
		{"signature version 2", func(t *testing.T) *http.Request {
			req, _ := http.NewRequest("GET", srv.URL+b+"/present", nil)
			req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
			req.Header.Set("Authorization", "AWS "+s3test.AccessKeyID+":c2lnbmF0dXJl")
			return req
		}, 403, "AccessDenied"},
		{"presigned URL valid for more than 7 days", func(t *testing.T) *http.Request {
			return presigned(t, srv, bucket, "present", 8*24*time.Hour)
		}, 400, "AuthorizationQueryParametersError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req(t)
			resp, body := s3test.Do(t, req)
			var e xmlError
			if err := xmlUnmarshal(body, &e); err != nil {
				t.Fatalf("%d with body %q: not an S3 error: %v", resp.StatusCode, body, err)
			}
			if resp.StatusCode != tt.status || e.Code != tt.code {
				t.Errorf("= %d %s (%s), want %d %s", resp.StatusCode, e.Code, e.Message,
					tt.status, tt.code)
			}
			if e.Message == "" || e.RequestID == "" || e.RequestID != resp.Header.Get("X-Amz-Request-Id") {
				t.Errorf("error body %+v lacks a message or the request ID %q", e,
					resp.Header.Get("X-Amz-Request-Id"))
			}
			if e.Resource != req.URL.Path {
				t.Errorf("Resource = %q, want %q", e.Resource, req.URL.Path)
			}
			if resp.Header.Get("X-Amz-Id-2") == "" {
				t.Error("no x-amz-id-2")
			}
			if got := resp.Header.Get("Content-Type"); got != "application/xml" {
				t.Errorf("Content-Type = %q", got)
			}
		})
	}

	// The refused writes left nothing behind.
	for _, k := range []string{"meta", "hdr", "chunked", "sse"} {
		resp, _ := s3test.Do(t, srv.Request(t, "HEAD", b+"/"+k, nil, nil))
		if resp.StatusCode != 404 {
			t.Errorf("%s exists after a refused write: %d", k, resp.StatusCode)
		}
	}
}

func TestEntityTooLargeIsRefusedBeforeTheBodyIsSent(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	u := startUpload(t, srv.S3, bucket, "huge", "")
	// The client waits for 100 Continue, which never comes: the server
	// answers from the headers alone.
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
	for _, tt := range []struct{ name, path string }{
		{"PUT over 5 GiB", "/" + bucket + "/huge"},
		{"part over 5 GiB", "/" + bucket + "/huge?partNumber=1&uploadId=" + u.id},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Expect": {"100-continue"}}
			req := srv.RequestWithHash(t, "PUT", tt.path, h, zeros{}, 5<<30+1, s3test.UnsignedPayload)
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var e xmlError
			if err := xmlUnmarshal(body, &e); err != nil || resp.StatusCode != 400 ||
				e.Code != "EntityTooLarge" {
				t.Errorf("= %d %q, want 400 EntityTooLarge", resp.StatusCode, body)
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("refusal took %v; the body was read", d)
			}
		})
	}
}

func TestHeadErrorsHaveNoBody(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	for _, path := range []string{"/" + bucket + "/absent", "/no-such-bucket", "/no-such-bucket/k"} {
		resp, body := s3test.Do(t, srv.Request(t, "HEAD", path, nil, nil))
		if resp.StatusCode != 404 || len(body) != 0 {
			t.Errorf("HEAD %s = %d with %d body bytes, want 404 and none", path,
				resp.StatusCode, len(body))
		}
		if resp.Header.Get("X-Amz-Request-Id") == "" {
			t.Errorf("HEAD %s has no request ID", path)
		}
	}
}

// panicStore panics when an object is opened.
type panicStore struct{ gatehouse.ObjectStore }

func (panicStore) OpenObject(context.Context, gatehouse.BucketName,
	gatehouse.ObjectKey) (gatehouse.Object, error) {
	panic("store exploded at /var/lib/secret-path")
}

// failStore fails listing buckets with an error no client should see.
type failStore struct{ gatehouse.ObjectStore }

func (failStore) ListBuckets(context.Context) ([]gatehouse.BucketInfo, error) {
	return nil, errors.New("disk on fire at /var/lib/secret-path")
}

func TestPanicBecomesInternalErrorWithTheStackInTheLog(t *testing.T) {
	srv := s3test.Start(t, s3test.WithStore(func(s gatehouse.ObjectStore) gatehouse.ObjectStore {
		return panicStore{s}
	}))
	bucket := newBucket(t, srv)
	resp, body := s3test.Do(t, srv.Request(t, "GET", "/"+bucket+"/k", nil, nil))
	var e xmlError
	err := xmlUnmarshal(body, &e)
	if err != nil || resp.StatusCode != 500 || e.Code != "InternalError" {
		t.Fatalf("= %d %q, want 500 InternalError", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "secret-path") {
		t.Errorf("the panic detail reached the client: %s", body)
	}
	logs := srv.Logs()
	if !strings.Contains(logs, "store exploded") || !strings.Contains(logs, "goroutine") {
		t.Errorf("log lacks the panic and its stack:\n%s", logs)
	}
	if rec := lastAccess(t, srv, "GetObject"); rec["status"] != float64(500) ||
		rec["error"] != "InternalError" || rec["request_id"] != e.RequestID {
		t.Errorf("access record = %v", rec)
	}
	// The server keeps serving.
	if _, err := srv.S3.ListBuckets(context.Background(), &s3.ListBucketsInput{}); err != nil {
		t.Errorf("after the panic: %v", err)
	}
}

func TestInternalErrorDetailGoesToTheLogOnly(t *testing.T) {
	srv := s3test.Start(t, s3test.WithStore(func(s gatehouse.ObjectStore) gatehouse.ObjectStore {
		return failStore{s}
	}))
	resp, body := s3test.Do(t, srv.Request(t, "GET", "/", nil, nil))
	var e xmlError
	err := xmlUnmarshal(body, &e)
	if err != nil || resp.StatusCode != 500 || e.Code != "InternalError" {
		t.Fatalf("= %d %q, want 500 InternalError", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "disk on fire") {
		t.Errorf("internal detail reached the client: %s", body)
	}
	if !strings.Contains(srv.Logs(), "disk on fire") {
		t.Error("internal detail missing from the log")
	}
}

func TestAccessRecordIsWrittenOncePerRequest(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	body := []byte("twelve bytes")
	req := srv.Request(t, "PUT", "/"+bucket+"/dir/rec", nil, body)
	resp, _ := s3test.Do(t, req)
	id := resp.Header.Get("X-Amz-Request-Id")

	var recs []map[string]any
	for _, line := range strings.Split(srv.Logs(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["request_id"] == id && m["msg"] == "request" {
			recs = append(recs, m)
		}
	}
	if len(recs) != 1 {
		t.Fatalf("%d access records for request %s, want 1", len(recs), id)
	}
	want := map[string]any{
		"msg": "request", "level": "INFO", "request_id": id, "op": "PutObject",
		"method": "PUT", "bucket": bucket, "key": "dir/rec", "status": float64(200), "error": "",
		"bytes_in": float64(len(body)), "bytes_out": float64(0),
		"access_key_id": s3test.AccessKeyID,
	}
	ignore := cmpopts.IgnoreMapEntries(func(k string, _ any) bool {
		return k == "time" || k == "duration" || k == "remote_addr"
	})
	if diff := cmp.Diff(want, recs[0], ignore); diff != "" {
		t.Errorf("access record (-want +got):\n%s", diff)
	}
	if d, _ := recs[0]["duration"].(float64); d <= 0 {
		t.Errorf("duration = %v", recs[0]["duration"])
	}
	if a, _ := recs[0]["remote_addr"].(string); !strings.HasPrefix(a, "127.0.0.1:") {
		t.Errorf("remote_addr = %q", a)
	}
}

func TestPresignedURLsWorkAndTheirSignatureIsNeverLogged(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	put(t, srv.S3, bucket, "shared file", []byte("presigned content"))

	req := presigned(t, srv, bucket, "shared file", time.Hour)
	sig := req.URL.Query().Get("X-Amz-Signature")
	if sig == "" {
		t.Fatal("presigned URL has no signature")
	}
	resp, body := s3test.Do(t, req)
	if resp.StatusCode != 200 || string(body) != "presigned content" {
		t.Fatalf("presigned GET = %d %q", resp.StatusCode, body)
	}

	// A tampered URL fails, and is logged without its query too.
	tampered := *req.URL
	q := tampered.Query()
	q.Set("X-Amz-Signature", strings.Repeat("0", len(sig)))
	tampered.RawQuery = q.Encode()
	treq, _ := http.NewRequest("GET", tampered.String(), nil)
	if status, e := rawError(t, treq); status != 403 || e.Code != "SignatureDoesNotMatch" {
		t.Errorf("tampered presigned URL = %d %s", status, e.Code)
	}

	logs := srv.Logs()
	for _, secret := range []string{sig, "X-Amz-Signature", "X-Amz-Credential", s3test.SecretKey} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
}

// startRawPut opens a connection to srv and sends the headers of a PUT
// of path signed with UNSIGNED-PAYLOAD and announcing length bytes, and
// no body: the test sends what it likes of that.
func startRawPut(t *testing.T, srv *s3test.Server, path string, length int64) *net.TCPConn {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	req := srv.RequestWithHash(t, "PUT", path, nil, nil, length, s3test.UnsignedPayload)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n",
		req.URL.RequestURI(), req.Host, length)
	req.Header.Write(conn)
	io.WriteString(conn, "\r\n")
	return conn.(*net.TCPConn)
}

// accessRecord waits for the access record of op on key and returns it.
func accessRecord(t *testing.T, srv *s3test.Server, op, key string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		for _, line := range strings.Split(srv.Logs(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["op"] == op && m["key"] == key {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no access record for %s %s", op, key)
	return nil
}

func TestUploadCutShortIsAnsweredIncompleteBody(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)

	// Announce 1 MiB, send 100,000 bytes, and half-close: the client
	// still listens for the answer.
	conn := startRawPut(t, srv, "/"+bucket+"/half", mib)
	conn.Write(make([]byte, 100000))
	conn.CloseWrite()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response to a PUT cut short: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	var e xmlError
	if err := xml.Unmarshal(body, &e); err != nil || resp.StatusCode != 400 ||
		e.Code != "IncompleteBody" {
		t.Errorf("PUT cut short = %s %q, want 400 IncompleteBody", resp.Status, body)
	}
	if !resp.Close {
		t.Error("the response to a PUT cut short keeps the connection open")
	}

	rec := accessRecord(t, srv, "PutObject", "half")
	if rec["status"] != float64(400) || rec["error"] != "IncompleteBody" {
		t.Errorf("access record = %v, want status 400 error IncompleteBody", rec)
	}
	head, _ := s3test.Do(t, srv.Request(t, "HEAD", "/"+bucket+"/half", nil, nil))
	if head.StatusCode != 404 {
		t.Errorf("the cut-short object exists: %d", head.StatusCode)
	}
}

func TestClientGoingAwayIsNotAnError(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)

	// Announce 10 MiB, send 1 MiB, hang up.
	conn := startRawPut(t, srv, "/"+bucket+"/cut", 10*mib)
	conn.Write(make([]byte, mib))
	conn.Close()

	// The server answers to a connection nobody reads; the record says
	// what was answered, and that the client had gone.
	rec := accessRecord(t, srv, "PutObject", "cut")
	if rec["canceled"] != true || rec["level"] != "INFO" || rec["status"] != float64(400) ||
		rec["error"] != "IncompleteBody" {
		t.Errorf("access record = %v, want IncompleteBody 400, canceled, at INFO", rec)
	}
	if strings.Contains(srv.Logs(), `"level":"ERROR"`) {
		t.Errorf("a client going away was logged as an error:\n%s", srv.Logs())
	}
	head, _ := s3test.Do(t, srv.Request(t, "HEAD", "/"+bucket+"/cut", nil, nil))
	if head.StatusCode != 404 {
		t.Errorf("the cut-short object exists: %d", head.StatusCode)
	}
}

func TestRequestSignedForAnotherRegionNamesTheServersRegion(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)

	// A raw request, to read the XML: the Region element is what SDKs use.
	req, _ := http.NewRequest("GET", srv.URL+"/"+bucket, nil)
	req.Header.Set("X-Amz-Content-Sha256", s3test.EmptySHA256)
	creds := aws.Credentials{AccessKeyID: s3test.AccessKeyID, SecretAccessKey: s3test.SecretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, s3test.EmptySHA256,
		"s3", "eu-west-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, body := s3test.Do(t, req)
	var e struct {
		Code, Message, Region string
	}
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	want := "the region 'eu-west-1' is wrong; expecting 'us-east-1'"
	if resp.StatusCode != 400 || e.Code != "AuthorizationHeaderMalformed" ||
		!strings.Contains(e.Message, want) || e.Region != "us-east-1" {
		t.Errorf("got %d %s, want 400 AuthorizationHeaderMalformed %q with Region us-east-1",
			resp.StatusCode, body, want)
	}

	// An SDK client configured for the wrong region sees the same code.
	c := s3.New(s3.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  aws.NewCredentialsCache(staticCreds{creds}),
		Retryer:      aws.NopRetryer{},
	})
	_, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &bucket})
	wantError(t, err, "AuthorizationHeaderMalformed", 400)
}

// staticCreds provides fixed credentials to an SDK client.
type staticCreds struct{ c aws.Credentials }

func (s staticCreds) Retrieve(context.Context) (aws.Credentials, error) { return s.c, nil }

// get0 builds a signed request with no body.
func get0(srv *s3test.Server, method, path string) func(*testing.T) *http.Request {
	return func(t *testing.T) *http.Request { return srv.Request(t, method, path, nil, nil) }
}

// withHeader builds a signed request with one extra header and a small body.
func withHeader(srv *s3test.Server, method, path, k, v string) func(*testing.T) *http.Request {
	return func(t *testing.T) *http.Request {
		var body []byte
		if method == "PUT" {
			body = []byte("body")
		}
		return srv.Request(t, method, path, http.Header{k: {v}}, body)
	}
}

// signedAs builds a GET of the bucket list signed with the given key,
// secret and time.
func signedAs(t *testing.T, srv *s3test.Server, id, secret string, at time.Time) *http.Request {
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Set("X-Amz-Content-Sha256", s3test.EmptySHA256)
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	err := v4.NewSigner().SignHTTP(context.Background(), creds, req, s3test.EmptySHA256,
		"s3", s3test.Region, at)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// presigned returns a presigned GET for bucket/key valid for d.
func presigned(t *testing.T, srv *s3test.Server, bucket, key string,
	d time.Duration) *http.Request {
	t.Helper()
	p := s3.NewPresignClient(srv.S3HTTP, s3.WithPresignExpires(d))
	in := &s3.GetObjectInput{Bucket: &bucket, Key: &key}
	out, err := p.PresignGetObject(context.Background(), in)
	if err != nil {
		t.Fatalf("presign: %v", err)
	}
	req, err := http.NewRequest(out.Method, out.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range out.SignedHeader {
		if !strings.EqualFold(k, "host") {
			req.Header[k] = vs
		}
	}
	return req
}

// TestWriteHeaderSectionIsBoundedAt8KiB pins the bound exactly: on a
// write, the header fields other than Host, each counted as
// "Name: value\r\n", may total 8,192 bytes and no more.
func TestWriteHeaderSectionIsBoundedAt8KiB(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	u, _ := url.Parse(srv.URL)

	// putWithFields sends a signed PUT whose header fields but Host
	// total exactly n bytes, padded with X-Pad.
	putWithFields := func(n int) (int, string) {
		body := []byte("hello")
		build := func(pad int) (*http.Request, int) {
			req := srv.Request(t, "PUT", "/"+bucket+"/hdr",
				http.Header{"X-Pad": {strings.Repeat("p", pad)}}, body)
			size := len("Content-Length: 5\r\n")
			for k, vs := range req.Header {
				for _, v := range vs {
					size += len(k) + len(": ") + len(v) + len("\r\n")
				}
			}
			return req, size
		}
		_, base := build(1)
		req, size := build(1 + n - base)
		if size != n {
			t.Fatalf("header fields of %d bytes, want %d", size, n)
		}

		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 5\r\n",
			req.URL.RequestURI(), req.Host)
		req.Header.Write(c)
		fmt.Fprintf(c, "\r\n%s", body)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	if status, body := putWithFields(8 << 10); status != 200 {
		t.Errorf("PUT with 8192 bytes of header fields: %d %s, want 200", status, body)
	}
	status, body := putWithFields(8<<10 + 1)
	if status != 400 || !strings.Contains(body, "<Code>RequestHeaderSectionTooLarge</Code>") {
		t.Errorf("PUT with 8193 bytes of header fields: %d %s, want 400 "+
			"RequestHeaderSectionTooLarge", status, body)
	}
}

// Package s3test runs a real Gatehouse S3 server in-process for tests: a
// local store in a temporary directory, the SigV4 verifier with one
// administrator credential, and the S3 handler on loopback listeners, with
// ready aws-sdk-go-v2 and minio-go clients.
//
// Nothing is mocked: requests cross a real TCP connection, are signed by
// the clients' own signers and land in a real SQLite database and files.
package s3test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth/static"
	"gatehouse.dev/gatehouse/s3api"
	"gatehouse.dev/gatehouse/sigv4"
	"gatehouse.dev/gatehouse/store/local"
)

// Fixed test credentials. They protect nothing: the server listens on
// loopback for the length of one test.
const (
	AccessKeyID = "GHTESTADMINKEY000001"
	SecretKey   = "gatehouse-test-secret-key-0000000000000001"
	Region      = gatehouse.DefaultRegion
)

// Server is a running Gatehouse S3 server and clients for it. Its fields
// are safe to use from the test's goroutines.
type Server struct {
	// URL is the plain-HTTP endpoint, TLSURL the HTTPS one. Both serve
	// the same handler and store.
	URL, TLSURL string
	Store       *local.Store
	// Handler is the S3 handler under test, for serving it elsewhere.
	Handler http.Handler
	// S3 is an aws-sdk-go-v2 client with default checksum settings over
	// HTTPS, where the SDK sends streaming bodies with checksum trailers.
	S3 *s3.Client
	// S3HTTP is the same over plain HTTP, where the SDK signs the payload
	// hash and sends checksums in headers.
	S3HTTP *s3.Client
	// Minio is a minio-go client over plain HTTP, which signs each chunk
	// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD).
	Minio *minio.Client
	// HTTP is a client that trusts the HTTPS endpoint, for raw requests.
	HTTP *http.Client

	logs   *syncBuffer
	region string
}

// Option changes how Start builds the server.
type Option func(*options)

type options struct {
	domain string
	region string
	now    func() time.Time
	store  func(gatehouse.ObjectStore) gatehouse.ObjectStore
	policy gatehouse.Policy
}

// WithDomain enables virtual-hosted-style addressing under domain.
func WithDomain(domain string) Option { return func(c *options) { c.domain = domain } }

// WithRegion makes the server's region region instead of Region; its
// clients sign for it.
func WithRegion(region string) Option { return func(c *options) { c.region = region } }

// WithNow sets the clock of the handler and the verifier.
func WithNow(now func() time.Time) Option { return func(c *options) { c.now = now } }

// WithStore wraps the local store before the handler sees it, as policy
// stages such as encryption do.
func WithStore(wrap func(gatehouse.ObjectStore) gatehouse.ObjectStore) Option {
	return func(c *options) { c.store = wrap }
}

// WithPolicy gives the test credential policy p instead of AllowAll.
func WithPolicy(p gatehouse.Policy) Option { return func(c *options) { c.policy = p } }

// Start starts a server for the length of t and returns it. The server's
// logs are kept and printed if t fails.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := options{region: Region}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{logs: &syncBuffer{}, region: cfg.region}
	logger := slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		s.checkLogs(t)
		if t.Failed() {
			t.Logf("server log:\n%s", s.Logs())
		}
	})

	st, err := local.Open(context.Background(), t.TempDir(), local.Options{Logger: logger})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	s.Store = st
	var store gatehouse.ObjectStore = st
	if cfg.store != nil {
		store = cfg.store(st)
	}

	var policy gatehouse.Policy = gatehouse.AllowAll{}
	if cfg.policy != nil {
		policy = cfg.policy
	}
	creds := static.New(gatehouse.Credential{
		AccessKeyID: AccessKeyID,
		Secret:      SecretKey,
		Principal:   "admin",
		Policy:      policy,
	})
	s.Handler = s3api.New(s3api.Config{
		Store:    store,
		Verifier: &sigv4.Verifier{Credentials: creds, Region: cfg.region, Now: cfg.now},
		Domain:   cfg.domain,
		Region:   cfg.region,
		Logger:   logger,
		Now:      cfg.now,
	})

	plain := httptest.NewServer(s.Handler)
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(s.Handler)
	t.Cleanup(secure.Close)
	s.URL, s.TLSURL = plain.URL, secure.URL
	s.HTTP = secure.Client()

	s.S3 = newS3Client(s.TLSURL, s.HTTP, cfg.region)
	s.S3HTTP = newS3Client(s.URL, plain.Client(), cfg.region)
	s.Minio = newMinioClient(t, s.URL, false, cfg.region)
	return s
}

// NewS3Client returns an aws-sdk-go-v2 client for endpoint with the test
// credential and path-style addressing. Checksum behaviour is the SDK's
// default as config.LoadDefaultConfig resolves it: request checksums and
// response validation "when supported". (LoadDefaultConfig itself is not
// used, so that AWS_* variables in the environment cannot change what is
// tested.) Retries are off so that a test sees the first answer.
func NewS3Client(endpoint string, hc *http.Client) *s3.Client {
	return newS3Client(endpoint, hc, Region)
}

func newS3Client(endpoint string, hc *http.Client, region string) *s3.Client {
	return s3.New(s3.Options{
		Region:                     region,
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                awscreds.NewStaticCredentialsProvider(AccessKeyID, SecretKey, ""),
		HTTPClient:                 hc,
		Retryer:                    aws.NopRetryer{},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
		// The SDK logs when a response has no checksum to validate,
		// which is normal for ranges; keep test output clean.
		Logger: logging.Nop{},
	})
}

// NewMinioClient returns a minio-go client for the plain-HTTP endpoint,
// path-style, optionally sending checksums in trailers.
func NewMinioClient(t testing.TB, endpoint string, trailers bool) *minio.Client {
	t.Helper()
	return newMinioClient(t, endpoint, trailers, Region)
}

func newMinioClient(t testing.TB, endpoint string, trailers bool,
	region string) *minio.Client {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatalf("parse endpoint: %v", err)
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:           miniocreds.NewStaticV4(AccessKeyID, SecretKey, ""),
		Secure:          u.Scheme == "https",
		Region:          region,
		BucketLookup:    minio.BucketLookupPath,
		TrailingHeaders: trailers,
	})
	if err != nil {
		t.Fatalf("minio client: %v", err)
	}
	return c
}

// checkLogs fails t if the server logged the secret key or any part of a
// signature, whatever the test did.
func (s *Server) checkLogs(t testing.TB) {
	logs := s.Logs()
	for _, leak := range []string{SecretKey, "Signature=", "X-Amz-Signature", "X-Amz-Credential"} {
		if strings.Contains(logs, leak) {
			t.Errorf("server log contains %q", leak)
		}
	}
}

// Logs returns everything the server has logged so far, as JSON lines.
func (s *Server) Logs() string { return s.logs.String() }

// Payload hashes for raw requests: a body that is not signed, and the
// SHA-256 of an empty body.
const (
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	EmptySHA256     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Request builds a raw request to the plain-HTTP endpoint for path (which
// is used as given, already escaped) with body, signed for the server's
// region with aws-sdk-go-v2's SigV4 signer over the body's SHA-256. Headers in hdr are set before
// signing. Use it for input a client SDK refuses to send.
func (s *Server) Request(t testing.TB, method, path string, hdr http.Header,
	body []byte) *http.Request {
	t.Helper()
	sum := sha256.Sum256(body)
	return s.RequestWithHash(t, method, path, hdr, bytes.NewReader(body), int64(len(body)),
		hex.EncodeToString(sum[:]))
}

// RequestWithHash is Request with a given payload hash (for example
// UnsignedPayload) and body reader; length -1 sends no Content-Length.
func (s *Server) RequestWithHash(t testing.TB, method, path string, hdr http.Header,
	body io.Reader, length int64, payloadHash string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		req.URL.RawQuery = path[i+1:]
	}
	req.ContentLength = length
	if length == 0 {
		req.Body = http.NoBody
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	sign(t, req, payloadHash, time.Now(), s.region)
	return req
}

// Sign signs req in place with the test credential. Like the S3 clients,
// it signs the path as it is sent, escaped once: the signer's default
// escapes it again, as other AWS services expect.
func Sign(t testing.TB, req *http.Request, payloadHash string, at time.Time) {
	t.Helper()
	sign(t, req, payloadHash, at, Region)
}

func sign(t testing.TB, req *http.Request, payloadHash string, at time.Time, region string) {
	t.Helper()
	creds := aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretKey}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	err := signer.SignHTTP(context.Background(), creds, req, payloadHash, "s3", region, at)
	if err != nil {
		t.Fatalf("sign request: %v", err)
	}
}

// Do sends req with a plain client and returns the status, headers and
// whole body (responses in tests are small).
func Do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response body: %v", err)
	}
	return resp, body
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

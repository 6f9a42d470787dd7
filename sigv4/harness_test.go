package sigv4_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/sigv4"
)

// Seeded test credentials. The second key exists so that "wrong secret"
// and "other key" cases can be told apart.
const (
	testAKID   = "AKIDGATEHOUSETEST01"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	otherAKID  = "AKIDGATEHOUSETEST02"
	otherSec   = "another-secret-of-forty-characters-00000"
	testRegion = "us-east-1"
)

// mapResolver is an in-memory CredentialResolver.
type mapResolver map[gatehouse.AccessKeyID]string

func (m mapResolver) Resolve(_ context.Context, id gatehouse.AccessKeyID,
) (*gatehouse.Credential, error) {
	secret, ok := m[id]
	if !ok {
		return nil, gatehouse.ErrInvalidAccessKeyID
	}
	return &gatehouse.Credential{AccessKeyID: id, Secret: secret, Principal: string(id),
		Policy: gatehouse.AllowAll{}}, nil
}

func testResolver() mapResolver {
	return mapResolver{testAKID: testSecret, otherAKID: otherSec}
}

// outcome is what the verifying server reports for one request.
type outcome struct {
	Status    int
	Code      string // S3 error code; "" on success
	Message   string
	AccessKey string
	Presigned bool
	Anonymous bool
	BodySHA   string            // hex SHA-256 of the decoded body
	BodyLen   int64             // decoded body length
	CL        int64             // r.ContentLength after Verify
	Trailer   map[string]string // Auth.Trailer after EOF
	Path      string            // r.URL.Path as the server saw it
	Encoding  string            // Content-Encoding after Verify
	Payload   string            // x-amz-content-sha256 as sent
}

// verifyServer is a loopback HTTP server whose handler verifies each
// request, reads the whole body through the verifier, and reports the
// outcome as JSON. It also keeps the last PUT body per path, so that real
// S3 clients can GET back what they stored.
type verifyServer struct {
	*httptest.Server
	v *sigv4.Verifier

	mu      sync.Mutex
	objects map[string][]byte
	last    outcome
}

func newVerifyServer(t testing.TB, now func() time.Time) *verifyServer {
	t.Helper()
	return newVerifyServerWith(t, &sigv4.Verifier{Credentials: testResolver(), Now: now})
}

// newVerifyServerWith is newVerifyServer verifying with v.
func newVerifyServerWith(t testing.TB, v *sigv4.Verifier) *verifyServer {
	t.Helper()
	s := &verifyServer{v: v, objects: map[string][]byte{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// newTLSVerifyServer is newVerifyServer over HTTPS, where clients send
// unsigned payloads with checksum trailers; s.Client() trusts it.
func newTLSVerifyServer(t testing.TB) *verifyServer {
	t.Helper()
	s := &verifyServer{
		v:       &sigv4.Verifier{Credentials: testResolver()},
		objects: map[string][]byte{},
	}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *verifyServer) serve(w http.ResponseWriter, r *http.Request) {
	o := s.handle(r)
	s.mu.Lock()
	s.last = o
	s.mu.Unlock()

	if o.Code != "" {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(o.Status)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>`+o.Code+
			`</Code><Message>verification failed</Message></Error>`)
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.mu.Lock()
		body, ok := s.objects[r.URL.Path]
		s.mu.Unlock()
		if !ok || r.URL.Query().Has("report") {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(o)
			return
		}
		w.Header().Set("ETag", `"`+md5Hex(body)+`"`)
		w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	case http.MethodHead:
		w.Header().Set("ETag", `"0"`)
	default:
		w.Header().Set("ETag", `"`+md5Hex(s.objectAt(r.URL.Path))+`"`)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(o)
	}
}

func (s *verifyServer) handle(r *http.Request) outcome {
	payload := r.Header.Get("X-Amz-Content-Sha256")
	o := s.verify(r)
	o.Payload = payload
	return o
}

func (s *verifyServer) verify(r *http.Request) outcome {
	auth, err := s.v.Verify(r)
	if err != nil {
		return errOutcome(err)
	}
	h := sha256.New()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return errOutcome(err)
	}
	h.Write(body)
	if r.Method == http.MethodPut {
		s.mu.Lock()
		s.objects[r.URL.Path] = body
		s.mu.Unlock()
	}
	o := outcome{Status: 200, Presigned: auth.Presigned, Anonymous: auth.Anonymous,
		BodySHA: hex.EncodeToString(h.Sum(nil)), BodyLen: int64(len(body)),
		CL: r.ContentLength, Path: r.URL.Path, Encoding: r.Header.Get("Content-Encoding")}
	if auth.Credential != nil {
		o.AccessKey = string(auth.Credential.AccessKeyID)
	}
	if auth.Trailer != nil {
		o.Trailer = map[string]string{}
		for k := range auth.Trailer {
			o.Trailer[k] = auth.Trailer.Get(k)
		}
	}
	return o
}

func (s *verifyServer) objectAt(path string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.objects[path]
}

// lastOutcome returns the outcome of the most recent request.
func (s *verifyServer) lastOutcome() outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func errOutcome(err error) outcome {
	var e *gatehouse.Error
	if !errors.As(err, &e) {
		return outcome{Status: 500, Code: "InternalError", Message: err.Error()}
	}
	return outcome{Status: e.Status, Code: e.Code, Message: e.Message}
}

// do sends req and decodes the server's outcome.
func do(t testing.TB, s *verifyServer, req *http.Request) outcome {
	t.Helper()
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("send %s %s: %v", req.Method, req.URL, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	o := s.lastOutcome()
	if o.Status != resp.StatusCode {
		t.Fatalf("server recorded status %d, client saw %d", o.Status, resp.StatusCode)
	}
	return o
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

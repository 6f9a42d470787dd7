package s3api_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"

	"gatehouse.dev/gatehouse/internal/s3test"
)

// discard is a ResponseWriter that keeps headers and drops the body.
type discard struct {
	h      http.Header
	status int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.status = code }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }

// replay serves req, which carries a valid signature, b.N times through
// the handler, without a network in between. SigV4 allows replaying a
// signed request within its clock-skew window, which is what makes this
// possible; the benchmark measures the handler, verifier and store.
func replay(b *testing.B, srv *s3test.Server, req *http.Request, body []byte, want int) {
	b.Helper()
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		r := req.Clone(req.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
		srv.Handler.ServeHTTP(w, r)
		if w.status != want && !(want == 200 && w.status == 0) {
			b.Fatalf("status %d, want %d", w.status, want)
		}
	}
}

func BenchmarkGetObject4KiB(b *testing.B) {
	srv := s3test.Start(b)
	bucket := benchBucket(b, srv)
	benchPut(b, srv, "/"+bucket+"/obj", make([]byte, 4<<10))
	req := srv.Request(b, "GET", "/"+bucket+"/obj", nil, nil)
	b.SetBytes(4 << 10)
	replay(b, srv, req, nil, 200)
}

func BenchmarkPutObject4KiB(b *testing.B) {
	srv := s3test.Start(b)
	bucket := benchBucket(b, srv)
	body := make([]byte, 4<<10)
	req := srv.Request(b, "PUT", "/"+bucket+"/obj", nil, body)
	b.SetBytes(4 << 10)
	replay(b, srv, req, body, 200)
}

func BenchmarkListObjectsV2Page1000(b *testing.B) {
	srv := s3test.Start(b)
	bucket := benchBucket(b, srv)
	for i := 0; i < 1500; i++ {
		benchPut(b, srv, fmt.Sprintf("/%s/dir/key-%05d", bucket, i), nil)
	}
	req := srv.Request(b, "GET", "/"+bucket+"?list-type=2&prefix=dir/", nil, nil)
	replay(b, srv, req, nil, 200)
}

func BenchmarkListObjectsV2Delimited(b *testing.B) {
	srv := s3test.Start(b)
	bucket := benchBucket(b, srv)
	for i := 0; i < 1500; i++ {
		benchPut(b, srv, fmt.Sprintf("/%s/d%02d/key-%05d", bucket, i%30, i), nil)
	}
	req := srv.Request(b, "GET", "/"+bucket+"?list-type=2&delimiter=/", nil, nil)
	replay(b, srv, req, nil, 200)
}

func benchBucket(b *testing.B, srv *s3test.Server) string {
	resp, body := s3test.Do(b, srv.Request(b, "PUT", "/bench-bucket", nil, nil))
	if resp.StatusCode != 200 {
		b.Fatalf("create bucket: %d %s", resp.StatusCode, body)
	}
	return "bench-bucket"
}

func benchPut(b *testing.B, srv *s3test.Server, path string, body []byte) {
	resp, out := s3test.Do(b, srv.Request(b, "PUT", path, nil, body))
	if resp.StatusCode != 200 {
		b.Fatalf("put %s: %d %s", path, resp.StatusCode, out)
	}
}

// BenchmarkGetObject64MiBOverLoopback measures a large GET end to end over
// a real loopback connection, where sendfile(2) can apply.
func BenchmarkGetObject64MiBOverLoopback(b *testing.B) {
	srv := s3test.Start(b)
	bucket := benchBucket(b, srv)
	benchPut(b, srv, "/"+bucket+"/big", make([]byte, 64<<20))
	req := srv.Request(b, "GET", "/"+bucket+"/big", nil, nil)
	b.SetBytes(64 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := http.DefaultClient.Do(req.Clone(req.Context()))
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != 64<<20 || resp.StatusCode != 200 {
			b.Fatalf("got %d bytes, status %d, %v", n, resp.StatusCode, err)
		}
	}
}

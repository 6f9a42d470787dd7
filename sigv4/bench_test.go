package sigv4_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"gatehouse.dev/gatehouse/sigv4"
)

// serverSide makes req look as a server receives it: the request target
// in RequestURI and the Host in r.Host, not in the header map.
func serverSide(req *http.Request) *http.Request {
	req.RequestURI = req.URL.RequestURI()
	req.Host = req.URL.Host
	req.Header.Del("Host")
	return req
}

func benchVerifier(now time.Time) *sigv4.Verifier {
	return &sigv4.Verifier{Credentials: testResolver(), Now: func() time.Time { return now }}
}

// BenchmarkVerifyHeaderGET measures verification of a header-signed GET
// as aws-sdk-go-v2 sends it.
func BenchmarkVerifyHeaderGET(b *testing.B) {
	now := time.Now().UTC()
	req, _ := http.NewRequest("GET", "http://127.0.0.1:7700/bucket/photos/2024/img%20001.jpg", nil)
	req.Header.Set("Range", "bytes=0-1023")
	awsSign(b, req, sha256Hex(nil), awsCreds, testRegion, now)
	req = serverSide(req)
	v := benchVerifier(now)

	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyPresignedGET measures verification of a presigned URL.
func BenchmarkVerifyPresignedGET(b *testing.B) {
	now := time.Now().UTC()
	req, _ := http.NewRequest("GET", "http://127.0.0.1:7700/bucket/shared/report.pdf", nil)
	req = serverSide(awsPresign(b, req, awsCreds, now, time.Hour))
	v := benchVerifier(now)

	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(req); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStream verifies and decodes a 64 MiB aws-chunked upload per
// iteration; b.SetBytes makes the result read as MB/s of object data.
func benchStream(b *testing.B, mode string, trailer bool) {
	body := payloadOf(64 << 20)
	var tr http.Header
	if trailer {
		tr = http.Header{"X-Amz-Checksum-Crc32": {crc32Base64(body)}}
	}
	signed := minioStreaming(b, "http://127.0.0.1:7700/bucket/big", body, mode, tr)
	wire, err := io.ReadAll(signed.Body)
	if err != nil {
		b.Fatal(err)
	}
	v := benchVerifier(time.Now())
	buf := make([]byte, 32<<10)

	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := serverSide(&http.Request{Method: "PUT", URL: signed.URL,
			Header: signed.Header.Clone(), Body: io.NopCloser(bytes.NewReader(wire)),
			ContentLength: int64(len(wire))})
		if _, err := v.Verify(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, req.Body, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyChunkedSigned64MiB: STREAMING-AWS4-HMAC-SHA256-PAYLOAD,
// as minio-go sends over plain HTTP, every 64 KiB chunk signed.
func BenchmarkVerifyChunkedSigned64MiB(b *testing.B) { benchStream(b, "signed", false) }

// BenchmarkVerifyChunkedUnsignedTrailer64MiB:
// STREAMING-UNSIGNED-PAYLOAD-TRAILER, as the AWS SDKs send over TLS.
func BenchmarkVerifyChunkedUnsignedTrailer64MiB(b *testing.B) {
	benchStream(b, "unsigned", true)
}

// BenchmarkVerifySignedPayload64MiB: a PUT whose x-amz-content-sha256 is
// the body's hash.
func BenchmarkVerifySignedPayload64MiB(b *testing.B) {
	body := payloadOf(64 << 20)
	now := time.Now().UTC()
	signed, _ := http.NewRequest("PUT", "http://127.0.0.1:7700/bucket/big", nil)
	signed.ContentLength = int64(len(body))
	awsSign(b, signed, sha256Hex(body), awsCreds, testRegion, now)
	v := benchVerifier(now)
	buf := make([]byte, 32<<10)

	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := serverSide(&http.Request{Method: "PUT", URL: signed.URL,
			Header: signed.Header.Clone(), Body: io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body))})
		if _, err := v.Verify(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, req.Body, buf); err != nil {
			b.Fatal(err)
		}
	}
}

package sigv4_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"testing"
	"time"

	md5simd "github.com/minio/md5-simd"
	"github.com/minio/minio-go/v7/pkg/signer"
)

// crc32Base64 is the x-amz-checksum-crc32 value of b.
func crc32Base64(b []byte) string {
	var out [4]byte
	sum := crc32.ChecksumIEEE(b)
	out[0], out[1], out[2], out[3] = byte(sum>>24), byte(sum>>16), byte(sum>>8), byte(sum)
	return base64.StdEncoding.EncodeToString(out[:])
}

// payloadOf returns n deterministic bytes.
func payloadOf(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// stdHasher adapts crypto/sha256 to minio's md5simd.Hasher.
type stdHasher struct{ hash.Hash }

func (stdHasher) Close() {}

func sha256Hasher() md5simd.Hasher { return stdHasher{sha256.New()} }

func TestMinioSignV4(t *testing.T) {
	s := newVerifyServer(t, nil)
	body := payloadOf(1000)

	req, _ := http.NewRequest("PUT", s.URL+"/bkt/dir/a%20b", bytes.NewReader(body))
	req.Header.Set("X-Amz-Content-Sha256", sha256Hex(body))
	req.Header.Set("X-Amz-Meta-Owner", "gatehouse")
	req = signer.SignV4(*req, testAKID, testSecret, "", testRegion)
	o := do(t, s, req)
	if o.Code != "" || o.BodySHA != sha256Hex(body) {
		t.Fatalf("minio SignV4 PUT: %+v", o)
	}
	if o.Path != "/bkt/dir/a b" {
		t.Errorf("path = %q", o.Path)
	}
}

func TestMinioPreSignV4(t *testing.T) {
	s := newVerifyServer(t, nil)
	req, _ := http.NewRequest("GET", s.URL+"/bkt/some%2Bkey?response-content-type=text%2Fplain", nil)
	req = signer.PreSignV4(*req, testAKID, testSecret, "", testRegion, 600)
	out, _ := http.NewRequest("GET", req.URL.String(), nil)
	o := do(t, s, out)
	if o.Code != "" || !o.Presigned || o.AccessKey != testAKID {
		t.Fatalf("minio PreSignV4 GET: %+v", o)
	}
}

// minioStreaming prepares a PUT of body with one of minio-go's aws-chunked
// signers, exactly as minio-go's client does: "signed" chunks, or
// "unsigned" chunks with a trailer. A trailer, if any, is filled in as
// given.
func minioStreaming(t testing.TB, url string, body []byte, mode string,
	trailer http.Header) *http.Request {
	t.Helper()
	req, _ := http.NewRequest("PUT", url, io.NopCloser(bytes.NewReader(body)))
	req.ContentLength = int64(len(body))
	switch mode {
	case "signed":
		if len(trailer) > 0 {
			req.Trailer = trailer
		}
		return signer.StreamingSignV4(req, testAKID, testSecret, "", testRegion,
			int64(len(body)), time.Now().UTC(), sha256Hasher())
	case "unsigned":
		req.Header.Set("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
		return signer.SignV4Trailer(*req, testAKID, testSecret, "", testRegion, trailer)
	}
	t.Fatalf("unknown mode %q", mode)
	return nil
}

func TestMinioStreaming(t *testing.T) {
	s := newVerifyServer(t, nil)
	for _, tc := range []struct {
		name    string
		mode    string
		size    int
		trailer bool
	}{
		{"signed chunks, empty body", "signed", 0, false},
		{"signed chunks, one partial chunk", "signed", 1000, false},
		{"signed chunks, exact chunk multiple", "signed", 128 << 10, false},
		{"signed chunks, several chunks", "signed", 300000, false},
		{"signed chunks with signed trailer", "signed", 200000, true},
		{"unsigned chunks with trailer", "unsigned", 200000, true},
		{"unsigned chunks with trailer, small", "unsigned", 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := payloadOf(tc.size)
			var trailer http.Header
			if tc.trailer {
				trailer = http.Header{"X-Amz-Checksum-Crc32": {crc32Base64(body)}}
			}
			req := minioStreaming(t, s.URL+"/bkt/streamed", body, tc.mode, trailer)
			o := do(t, s, req)
			if o.Code != "" {
				t.Fatalf("verify: %s: %s", o.Code, o.Message)
			}
			if o.BodySHA != sha256Hex(body) || o.BodyLen != int64(len(body)) {
				t.Errorf("decoded body: %d bytes, sha %s; want %d bytes", o.BodyLen,
					o.BodySHA, len(body))
			}
			if o.CL != int64(len(body)) {
				t.Errorf("r.ContentLength = %d, want %d", o.CL, len(body))
			}
			if o.Encoding != "" {
				t.Errorf("Content-Encoding after Verify = %q, want aws-chunked removed", o.Encoding)
			}
			if tc.trailer {
				if got := o.Trailer["X-Amz-Checksum-Crc32"]; got != crc32Base64(body) {
					t.Errorf("trailer crc32 = %q, want %q", got, crc32Base64(body))
				}
			} else if len(o.Trailer) != 0 {
				t.Errorf("unexpected trailer %v", o.Trailer)
			}
		})
	}
}

// signerSignV4 signs req with minio-go's header signer and a payload hash.
func signerSignV4(req *http.Request, payloadHash string) *http.Request {
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	return signer.SignV4(*req, testAKID, testSecret, "", testRegion)
}

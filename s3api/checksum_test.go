package s3api_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"gatehouse.dev/gatehouse/internal/s3test"
)

func sha256Base64(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func sha1Base64(b []byte) string {
	sum := sha1.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func crc32cBase64(b []byte) string {
	c := crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, c))
}

// checksumOf returns the checksum of alg that an SDK output carries.
func checksumOf(alg types.ChecksumAlgorithm, crc32, crc32c, crc64, sha1, sha256 *string) string {
	switch alg {
	case types.ChecksumAlgorithmCrc32:
		return aws.ToString(crc32)
	case types.ChecksumAlgorithmCrc32c:
		return aws.ToString(crc32c)
	case types.ChecksumAlgorithmCrc64nvme:
		return aws.ToString(crc64)
	case types.ChecksumAlgorithmSha1:
		return aws.ToString(sha1)
	case types.ChecksumAlgorithmSha256:
		return aws.ToString(sha256)
	}
	return ""
}

// lastAccess returns the last access record the server logged for op.
func lastAccess(t *testing.T, srv *s3test.Server, op string) map[string]any {
	t.Helper()
	var rec map[string]any
	for _, line := range strings.Split(srv.Logs(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "request" && m["op"] == op {
			rec = m
		}
	}
	if rec == nil {
		t.Fatalf("no access record for %s", op)
	}
	return rec
}

func TestDefaultSDKPutSendsACRC32TrailerThatIsStoredAndReturned(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	body := randomBytes(100_000, 5)

	out, err := srv.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("default"), Body: bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	// Over HTTPS the SDK frames the body as aws-chunked with a trailer,
	// so more bytes crossed the wire than the object holds.
	if in := lastAccess(t, srv, "PutObject")["bytes_in"].(float64); int(in) <= len(body) {
		t.Errorf("bytes in = %v for a %d-byte object; the SDK did not stream a trailer", in, len(body))
	}
	want := crc32Base64(body)
	if got := aws.ToString(out.ChecksumCRC32); got != want {
		t.Errorf("put CRC32 = %q, want %q", got, want)
	}

	head, err := srv.S3.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: &bucket, Key: aws.String("default"), ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ChecksumCRC32) != want || head.ChecksumType != types.ChecksumTypeFullObject {
		t.Errorf("head checksum = %q %q, want %q FULL_OBJECT",
			aws.ToString(head.ChecksumCRC32), head.ChecksumType, want)
	}

	// Without x-amz-checksum-mode no checksum is returned; with it, a
	// range gets none, because it describes the whole object.
	resp, _ := s3test.Do(t, srv.Request(t, "GET", "/"+bucket+"/default", nil, nil))
	if v := resp.Header.Get("X-Amz-Checksum-Crc32"); v != "" {
		t.Errorf("checksum %q returned without checksum mode", v)
	}
	h := http.Header{"X-Amz-Checksum-Mode": {"ENABLED"}, "Range": {"bytes=0-9"}}
	resp, _ = s3test.Do(t, srv.Request(t, "GET", "/"+bucket+"/default", h, nil))
	if v := resp.Header.Get("X-Amz-Checksum-Crc32"); resp.StatusCode != 206 || v != "" {
		t.Errorf("ranged GET: %d, checksum %q; want 206 and none", resp.StatusCode, v)
	}
	h.Del("Range")
	resp, _ = s3test.Do(t, srv.Request(t, "GET", "/"+bucket+"/default", h, nil))
	if v := resp.Header.Get("X-Amz-Checksum-Crc32"); v != want ||
		resp.Header.Get("X-Amz-Checksum-Type") != "FULL_OBJECT" {
		t.Errorf("GET with checksum mode: %q %q", v, resp.Header.Get("X-Amz-Checksum-Type"))
	}
	// The SDK validates the returned checksum while reading.
	if got := get(t, srv.S3, bucket, "default"); !bytes.Equal(got, body) {
		t.Error("object differs")
	}
}

func TestExplicitChecksumAlgorithms(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	body := randomBytes(70_001, 6)
	tests := []struct {
		alg  types.ChecksumAlgorithm
		want string
	}{
		{types.ChecksumAlgorithmCrc32, crc32Base64(body)},
		{types.ChecksumAlgorithmCrc32c, crc32cBase64(body)},
		{types.ChecksumAlgorithmSha1, sha1Base64(body)},
		{types.ChecksumAlgorithmSha256, sha256Base64(body)},
		{types.ChecksumAlgorithmCrc64nvme, crc64Base64(body)},
	}
	clients := []struct {
		name string
		c    *s3.Client
	}{{"trailer over https", srv.S3}, {"header over http", srv.S3HTTP}}
	for _, cl := range clients {
		for _, tt := range tests {
			t.Run(cl.name+"/"+string(tt.alg), func(t *testing.T) {
				key := cl.name + "/" + string(tt.alg)
				out, err := cl.c.PutObject(ctx, &s3.PutObjectInput{
					Bucket: &bucket, Key: &key, Body: bytes.NewReader(body),
					ChecksumAlgorithm: tt.alg,
				})
				if err != nil {
					t.Fatalf("put: %v", err)
				}
				got := checksumOf(tt.alg, out.ChecksumCRC32, out.ChecksumCRC32C,
					out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256)
				if got != tt.want {
					t.Errorf("put checksum = %q, want %q", got, tt.want)
				}
				head, err := cl.c.HeadObject(ctx, &s3.HeadObjectInput{
					Bucket: &bucket, Key: &key, ChecksumMode: types.ChecksumModeEnabled,
				})
				if err != nil {
					t.Fatal(err)
				}
				got = checksumOf(tt.alg, head.ChecksumCRC32, head.ChecksumCRC32C,
					head.ChecksumCRC64NVME, head.ChecksumSHA1, head.ChecksumSHA256)
				if got != tt.want {
					t.Errorf("stored checksum = %q, want %q", got, tt.want)
				}
				if gotBody := get(t, cl.c, bucket, key); !bytes.Equal(gotBody, body) {
					t.Error("object differs")
				}
			})
		}
	}
}

func TestMinioChecksumTrailers(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	mc := s3test.NewMinioClient(t, srv.URL, true)
	body := randomBytes(40_000, 8)
	info, err := mc.PutObject(ctx, bucket, "trailed", bytes.NewReader(body), int64(len(body)),
		minio.PutObjectOptions{Checksum: minio.ChecksumCRC32C})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	if info.ChecksumCRC32C != crc32cBase64(body) {
		t.Errorf("minio CRC32C = %q, want %q", info.ChecksumCRC32C, crc32cBase64(body))
	}
	head, err := srv.S3.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: &bucket, Key: aws.String("trailed"), ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil || aws.ToString(head.ChecksumCRC32C) != crc32cBase64(body) {
		t.Errorf("stored CRC32C = %q, %v", aws.ToString(head.ChecksumCRC32C), err)
	}
}

func TestBadDigestsAreRefusedAndNothingIsStored(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	body := []byte("the real body")
	wrongMD5 := md5.Sum([]byte("another body"))
	tests := []struct {
		name   string
		hdr    http.Header
		code   string
		status int
	}{
		{"Content-MD5 of other bytes",
			http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(wrongMD5[:])}},
			"BadDigest", 400},
		{"Content-MD5 that is not an MD5",
			http.Header{"Content-Md5": {"bm90IGFuIG1kNQ=="}}, "InvalidDigest", 400},
		{"x-amz-checksum-crc32 of other bytes",
			http.Header{"X-Amz-Checksum-Crc32": {crc32Base64([]byte("x"))}}, "BadDigest", 400},
		{"x-amz-checksum-sha256 of other bytes",
			http.Header{"X-Amz-Checksum-Sha256": {sha256Base64([]byte("x"))}}, "BadDigest", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, e := rawError(t, srv.Request(t, "PUT", "/"+bucket+"/digest", tt.hdr, body))
			if status != tt.status || e.Code != tt.code {
				t.Errorf("= %d %s, want %d %s", status, e.Code, tt.status, tt.code)
			}
		})
	}

	t.Run("a trailer checksum of other bytes", func(t *testing.T) {
		framed := "d\r\nthe real body\r\n0\r\n" +
			"x-amz-checksum-crc32:" + crc32Base64([]byte("x")) + "\r\n\r\n"
		h := http.Header{
			"Content-Encoding":             {"aws-chunked"},
			"X-Amz-Decoded-Content-Length": {"13"},
			"X-Amz-Trailer":                {"x-amz-checksum-crc32"},
		}
		req := srv.RequestWithHash(t, "PUT", "/"+bucket+"/digest", h, strings.NewReader(framed),
			int64(len(framed)), "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
		status, e := rawError(t, req)
		if status != 400 || e.Code != "BadDigest" {
			t.Errorf("= %d %s, want 400 BadDigest", status, e.Code)
		}
	})

	resp, _ := s3test.Do(t, srv.Request(t, "HEAD", "/"+bucket+"/digest", nil, nil))
	if resp.StatusCode != 404 {
		t.Errorf("after refused puts the key answers %d, want 404", resp.StatusCode)
	}
}

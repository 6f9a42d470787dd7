package checksum_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/checksum"
)

// Known vectors, computed independently: the CRC catalogue check values
// over "123456789", Python's hashlib and zlib, and the aws-sdk-go-v2 test
// suite's CRC64NVME of "hello world".
var vectors = []struct {
	alg  gatehouse.ChecksumAlgorithm
	data string
	want string // base64 of the big-endian checksum
}{
	{gatehouse.ChecksumCRC32, "123456789", b64hex("cbf43926")},
	{gatehouse.ChecksumCRC32C, "123456789", b64hex("e3069283")},
	{gatehouse.ChecksumCRC64NVME, "123456789", b64hex("ae8b14860a799888")},
	{gatehouse.ChecksumCRC32, "hello world", "DUoRhQ=="},
	{gatehouse.ChecksumCRC32C, "hello world", "yZRlqg=="},
	{gatehouse.ChecksumCRC64NVME, "hello world", "jSnVw/bqjr4="},
	{gatehouse.ChecksumSHA1, "hello world", "Kq5sNclPz7QV2+lfQIuc6R7oRu0="},
	{gatehouse.ChecksumSHA256, "hello world", "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="},
	{gatehouse.ChecksumCRC32, "", "AAAAAA=="},
	{gatehouse.ChecksumCRC64NVME, "", "AAAAAAAAAAA="},
}

func b64hex(h string) string {
	b := make([]byte, len(h)/2)
	for i := range b {
		b[i] = unhex(h[2*i])<<4 | unhex(h[2*i+1])
	}
	return base64.StdEncoding.EncodeToString(b)
}

func unhex(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

func TestKnownVectors(t *testing.T) {
	for _, v := range vectors {
		h, err := checksum.New(v.alg)
		if err != nil {
			t.Fatalf("New(%s): %v", v.alg, err)
		}
		io.WriteString(h, v.data)
		if got := checksum.Encode(h.Sum(nil)); got != v.want {
			t.Errorf("%s(%q) = %s, want %s", v.alg, v.data, got, v.want)
		}
	}
}

func TestParseRequest(t *testing.T) {
	const md5HelloWorld = "XrY7u+Ae7tCTyyK7j1rNww=="
	cases := []struct {
		name    string
		headers map[string][]string
		want    checksum.Expect
		code    string // expected S3 error code, "" for success
	}{
		{name: "no checksum headers", headers: nil},
		{name: "Content-MD5 alone",
			headers: map[string][]string{"Content-Md5": {md5HelloWorld}},
			want:    checksum.Expect{ContentMD5: md5HelloWorld}},
		{name: "Content-MD5 not base64 is InvalidDigest",
			headers: map[string][]string{"Content-Md5": {"not base64!"}},
			code:    "InvalidDigest"},
		{name: "Content-MD5 of 15 bytes is InvalidDigest",
			headers: map[string][]string{"Content-Md5": {
				base64.StdEncoding.EncodeToString(make([]byte, 15))}},
			code: "InvalidDigest"},
		{name: "empty Content-MD5 is InvalidDigest",
			headers: map[string][]string{"Content-Md5": {""}}, code: "InvalidDigest"},
		{name: "crc32 header",
			headers: map[string][]string{"X-Amz-Checksum-Crc32": {"DUoRhQ=="}},
			want: checksum.Expect{Algorithm: gatehouse.ChecksumCRC32,
				Value: "DUoRhQ=="}},
		{name: "crc64nvme header with matching sdk algorithm",
			headers: map[string][]string{"X-Amz-Checksum-Crc64nvme": {"jSnVw/bqjr4="},
				"X-Amz-Sdk-Checksum-Algorithm": {"CRC64NVME"}},
			want: checksum.Expect{Algorithm: gatehouse.ChecksumCRC64NVME,
				Value: "jSnVw/bqjr4="}},
		{name: "sha256 header of the wrong length is InvalidRequest",
			headers: map[string][]string{"X-Amz-Checksum-Sha256": {"DUoRhQ=="}},
			code:    "InvalidRequest"},
		{name: "two checksum headers are InvalidRequest",
			headers: map[string][]string{"X-Amz-Checksum-Crc32": {"DUoRhQ=="},
				"X-Amz-Checksum-Crc32c": {"yZRlqg=="}},
			code: "InvalidRequest"},
		{name: "a header and a trailer are InvalidRequest",
			headers: map[string][]string{"X-Amz-Checksum-Crc32": {"DUoRhQ=="},
				"X-Amz-Trailer": {"x-amz-checksum-crc32c"}},
			code: "InvalidRequest"},
		{name: "trailer named in x-amz-trailer",
			headers: map[string][]string{"X-Amz-Trailer": {"x-amz-checksum-crc32c"},
				"X-Amz-Sdk-Checksum-Algorithm": {"crc32c"}},
			want: checksum.Expect{Algorithm: gatehouse.ChecksumCRC32C, FromTrailer: true}},
		{name: "sdk algorithm alone asks the server to compute",
			headers: map[string][]string{"X-Amz-Sdk-Checksum-Algorithm": {"SHA1"}},
			want:    checksum.Expect{Algorithm: gatehouse.ChecksumSHA1}},
		{name: "sdk algorithm contradicting the header is InvalidRequest",
			headers: map[string][]string{"X-Amz-Checksum-Crc32": {"DUoRhQ=="},
				"X-Amz-Sdk-Checksum-Algorithm": {"SHA256"}},
			code: "InvalidRequest"},
		{name: "unknown sdk algorithm is InvalidRequest",
			headers: map[string][]string{"X-Amz-Sdk-Checksum-Algorithm": {"MD4"}},
			code:    "InvalidRequest"},
		{name: "x-amz-checksum-mode is not a checksum",
			headers: map[string][]string{"X-Amz-Checksum-Mode": {"ENABLED"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := checksum.ParseRequest(http.Header(tc.headers))
			if tc.code != "" {
				if code := errCode(err); code != tc.code {
					t.Fatalf("error = %v, want code %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRequest: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Expect (-want +got):\n%s", diff)
			}
		})
	}
}

func errCode(err error) string {
	var e *gatehouse.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestSeal(t *testing.T) {
	const data = "hello world"
	const etag = `"5eb63bbbe01eeed093cb22bb8f5acdc3"`
	wrongMD5 := base64.StdEncoding.EncodeToString(make([]byte, 16))
	cases := []struct {
		name     string
		expect   checksum.Expect
		trailer  http.Header
		want     gatehouse.Checksum
		code     string
		contains string // in the error message
	}{
		{name: "MD5 only", expect: checksum.Expect{}},
		{name: "matching Content-MD5",
			expect: checksum.Expect{ContentMD5: "XrY7u+Ae7tCTyyK7j1rNww=="}},
		{name: "wrong Content-MD5 is BadDigest",
			expect: checksum.Expect{ContentMD5: wrongMD5}, code: "BadDigest",
			contains: "Content-MD5"},
		{name: "matching crc32 header",
			expect: checksum.Expect{Algorithm: gatehouse.ChecksumCRC32, Value: "DUoRhQ=="},
			want: gatehouse.Checksum{Algorithm: gatehouse.ChecksumCRC32,
				Type: gatehouse.ChecksumTypeFullObject, Value: "DUoRhQ=="}},
		{name: "wrong crc32 header is BadDigest naming CRC32",
			expect: checksum.Expect{Algorithm: gatehouse.ChecksumCRC32, Value: "AAAAAA=="},
			code:   "BadDigest", contains: "The CRC32 you specified did not match"},
		{name: "matching crc64nvme trailer",
			expect:  checksum.Expect{Algorithm: gatehouse.ChecksumCRC64NVME, FromTrailer: true},
			trailer: http.Header{"X-Amz-Checksum-Crc64nvme": {"jSnVw/bqjr4="}},
			want: gatehouse.Checksum{Algorithm: gatehouse.ChecksumCRC64NVME,
				Type: gatehouse.ChecksumTypeFullObject, Value: "jSnVw/bqjr4="}},
		{name: "wrong sha256 trailer is BadDigest",
			expect:  checksum.Expect{Algorithm: gatehouse.ChecksumSHA256, FromTrailer: true},
			trailer: http.Header{"X-Amz-Checksum-Sha256": {"DUoRhQ=="}},
			code:    "BadDigest", contains: "SHA256"},
		{name: "missing trailer is InvalidRequest",
			expect: checksum.Expect{Algorithm: gatehouse.ChecksumCRC32C, FromTrailer: true},
			code:   "InvalidRequest"},
		{name: "algorithm without value is computed",
			expect: checksum.Expect{Algorithm: gatehouse.ChecksumSHA1},
			want: gatehouse.Checksum{Algorithm: gatehouse.ChecksumSHA1,
				Type: gatehouse.ChecksumTypeFullObject, Value: "Kq5sNclPz7QV2+lfQIuc6R7oRu0="}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := checksum.NewReader(strings.NewReader(data), tc.expect)
			got, err := io.ReadAll(r)
			if err != nil || string(got) != data {
				t.Fatalf("read %q, %v", got, err)
			}
			sealed, err := r.Seal(tc.trailer)
			if tc.code != "" {
				if errCode(err) != tc.code || !strings.Contains(err.Error(), tc.contains) {
					t.Fatalf("Seal error = %v, want %s containing %q", err, tc.code, tc.contains)
				}
				return
			}
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			want := gatehouse.Sealed{Size: int64(len(data)), ETag: etag, Checksum: tc.want}
			if diff := cmp.Diff(want, sealed); diff != "" {
				t.Errorf("Sealed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSealBeforeEOFFails(t *testing.T) {
	r := checksum.NewReader(bytes.NewReader(make([]byte, 100)), checksum.Expect{})
	r.Read(make([]byte, 10))
	if _, err := r.Seal(nil); !errors.Is(err, gatehouse.ErrInternal) {
		t.Fatalf("Seal before EOF = %v, want InternalError", err)
	}
}

func TestMultipartETag(t *testing.T) {
	// hex(md5(md5("part one") || md5("part two"))) + "-2", from hashlib.
	got, err := checksum.MultipartETag([]string{
		`"3303e12af474ca11d85ed2966a932992"`, `"3ea4e15b91a17dc76052c56cfcdf67a2"`})
	if err != nil {
		t.Fatal(err)
	}
	if want := `"0732917abc3288784e318ac0aab1757a-2"`; got != want {
		t.Errorf("MultipartETag = %s, want %s", got, want)
	}
	for _, bad := range [][]string{nil, {`"xyz"`}, {`"0732917abc"`}} {
		if _, err := checksum.MultipartETag(bad); err == nil {
			t.Errorf("MultipartETag(%q) succeeded", bad)
		}
	}
}

func TestComposite(t *testing.T) {
	// Values from hashlib and zlib over "part one" and "part two".
	cases := []struct {
		alg   gatehouse.ChecksumAlgorithm
		parts []string
		want  string
	}{
		{gatehouse.ChecksumSHA256, []string{"/tfwXBC8ldWX5vgQMijEwQeYtfdyFfcYqFRTTaVj3J4=",
			"6laDy6WANfTzuTcCPLpwTwvkdmuspd1N7uRgvdEJF0E="},
			"ZcfzJvHWAX9vO7fPKA9XUU5dtZ+mmrAFxgKDQljlC2k=-2"},
		{gatehouse.ChecksumCRC32, []string{"ixQTsA==", "4LIfJw=="}, "FZJWqg==-2"},
	}
	for _, tc := range cases {
		got, err := checksum.Composite(tc.alg, tc.parts)
		if err != nil || got != tc.want {
			t.Errorf("Composite(%s) = %s, %v; want %s", tc.alg, got, err, tc.want)
		}
	}
	_, err := checksum.Composite(gatehouse.ChecksumCRC32, []string{"DUoRhQ==", "bad"})
	if errCode(err) != "InvalidPart" {
		t.Errorf("Composite with a bad part: %v, want InvalidPart", err)
	}
}

func TestFullObjectVector(t *testing.T) {
	// crc32("part one" || "part two") from zlib, combined from the parts.
	got, err := checksum.FullObject(gatehouse.ChecksumCRC32, []string{"ixQTsA==", "4LIfJw=="},
		[]int64{8, 8})
	if err != nil || got != "PgOO3Q==" {
		t.Fatalf("FullObject = %s, %v; want PgOO3Q==", got, err)
	}
	_, err = checksum.FullObject(gatehouse.ChecksumSHA256, []string{"x"}, []int64{1})
	if errCode(err) != "InvalidRequest" {
		t.Errorf("FullObject(SHA256) = %v, want InvalidRequest", err)
	}
	if _, err := checksum.FullObject(gatehouse.ChecksumCRC32, []string{"ixQTsA=="}, nil); err == nil {
		t.Errorf("FullObject with sizes missing succeeded")
	}
}

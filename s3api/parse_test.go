package s3api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse"
)

func TestBucketNamesFollowTheGeneralPurposeRules(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"abc", true},
		{"my.bucket-01", true},
		{strings.Repeat("a", 63), true},
		{"1.2.3", true},
		{"ab", false},
		{strings.Repeat("a", 64), false},
		{"Upper", false},
		{"under_score", false},
		{"-leading", false},
		{"trailing-", false},
		{".dot", false},
		{"dot.", false},
		{"two..dots", false},
		{"192.168.5.4", false},
		{"xn--punycode", false},
		{"sthree-x", false},
		{"amzn-s3-demo-bucket", false},
		{"name-s3alias", false},
		{"name--ol-s3", false},
		{"name.mrap", false},
		{"name--x-s3", false},
		{"name--table-s3", false},
		{"-", false},
		{"spa ce", false},
	}
	for _, tt := range tests {
		if got := validBucketName(tt.name); got != tt.ok {
			t.Errorf("validBucketName(%q) = %v, want %v", tt.name, got, tt.ok)
		}
	}
}

func TestParseRange(t *testing.T) {
	const size = 100
	tests := []struct {
		h      string
		want   span
		ok     bool
		unsatf bool
	}{
		{"bytes=0-9", span{0, 10, true}, true, false},
		{"bytes=90-", span{90, 10, true}, true, false},
		{"bytes=-1", span{99, 1, true}, true, false},
		{"bytes=-1000", span{0, 100, true}, true, false},
		{"bytes=50-5000", span{50, 50, true}, true, false},
		{"bytes=99-99", span{99, 1, true}, true, false},
		{"bytes=100-", span{}, false, true},
		{"bytes=100-200", span{}, false, true},
		{"bytes=-0", span{}, false, true},
		{"bytes=99999999999999999999-", span{}, false, true},
		{"bytes=0-1,5-6", span{}, false, false},
		{"bytes=9-1", span{}, false, false},
		{"bytes=a-b", span{}, false, false},
		{"bytes=", span{}, false, false},
		{"bytes=5", span{}, false, false},
		{"pages=1-2", span{}, false, false},
	}
	for _, tt := range tests {
		got, ok, err := parseRange(tt.h, size)
		if ok != tt.ok || (err != nil) != tt.unsatf || got != tt.want {
			t.Errorf("parseRange(%q) = %+v, %v, %v; want %+v, %v, unsatisfiable %v",
				tt.h, got, ok, err, tt.want, tt.ok, tt.unsatf)
		}
	}
	if _, _, err := parseRange("bytes=0-", 0); err == nil {
		t.Error("a range of an empty object is satisfiable")
	}
}

func TestPreconditionOrder(t *testing.T) {
	mod := time.Date(2025, 6, 1, 12, 0, 0, 500e6, time.UTC)
	etag := `"abc"`
	at := mod.Format(http.TimeFormat)
	before := mod.Add(-time.Second).Format(http.TimeFormat)
	tests := []struct {
		name string
		p    preconditions
		want outcome
	}{
		{"none", preconditions{}, proceed},
		{"match", preconditions{ifMatch: etag}, proceed},
		{"weak match", preconditions{ifMatch: `W/"abc"`}, proceed},
		{"mismatch", preconditions{ifMatch: `"x"`}, failed},
		{"unmodified since the same second", preconditions{ifUnmodifiedSince: at}, proceed},
		{"modified after", preconditions{ifUnmodifiedSince: before}, failed},
		{"if-match beats if-unmodified-since",
			preconditions{ifMatch: etag, ifUnmodifiedSince: before}, proceed},
		{"none-match hit", preconditions{ifNoneMatch: etag}, notModified},
		{"modified since before", preconditions{ifModifiedSince: before}, proceed},
		{"not modified since the same second", preconditions{ifModifiedSince: at}, notModified},
		{"if-none-match beats if-modified-since",
			preconditions{ifNoneMatch: `"x"`, ifModifiedSince: at}, proceed},
		{"bad dates are ignored",
			preconditions{ifModifiedSince: "yesterday", ifUnmodifiedSince: "now"}, proceed},
	}
	for _, tt := range tests {
		if got := tt.p.evaluate(etag, mod); got != tt.want {
			t.Errorf("%s: evaluate = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestURLEncodingAndTokens(t *testing.T) {
	tests := map[string]string{
		"a b":        "a+b",
		"a+b":        "a%2Bb",
		"dir/file":   "dir/file",
		"ü":          "%C3%BC",
		"100%":       "100%25",
		"q?x=1&y#z":  "q%3Fx%3D1%26y%23z",
		"~tilde_-.*": "~tilde_-.%2A",
	}
	for in, want := range tests {
		if got := s3URLEncode(in); got != want {
			t.Errorf("s3URLEncode(%q) = %q, want %q", in, got, want)
		}
	}
	for _, k := range []string{"", "a", "photos/2024/ü 🦄", strings.Repeat("k", 1024)} {
		got, err := decodeToken(encodeToken(k))
		if err != nil || got != k {
			t.Errorf("token round trip of %q = %q, %v", k, got, err)
		}
	}
	for _, bad := range []string{"!!", "", "AGE"} {
		if _, err := decodeToken(bad); err == nil {
			t.Errorf("decodeToken(%q) accepted", bad)
		}
	}
}

func TestCopySourceParsing(t *testing.T) {
	tests := []struct {
		in   string
		want copySource
		code string
	}{
		{"bucket/key", copySource{"bucket", "key"}, ""},
		{"/bucket/dir/key", copySource{"bucket", "dir/key"}, ""},
		{"bucket/a%20b%2Bc", copySource{"bucket", "a b+c"}, ""},
		{"bucket/a+b", copySource{"bucket", "a+b"}, ""},
		{"bucket/what%3F", copySource{"bucket", "what?"}, ""},
		{"bucket/k?versionId=null", copySource{"bucket", "k"}, ""},
		{"bucket/k?versionId=v2", copySource{}, "InvalidArgument"},
		{"bucket", copySource{}, "InvalidArgument"},
		{"bucket/", copySource{}, "InvalidArgument"},
		{"bucket/%zz", copySource{}, "InvalidArgument"},
		{"BUCKET/k", copySource{"BUCKET", "k"}, "InvalidBucketName"},
	}
	for _, tt := range tests {
		got, err := parseCopySource(tt.in)
		code := ""
		if err != nil {
			code = gatehouse.AsError(err).Code
		}
		if code != tt.code || (err == nil && got != tt.want) {
			t.Errorf("parseCopySource(%q) = %+v, %q; want %+v, %q", tt.in, got, code, tt.want, tt.code)
		}
	}
}

func TestCopyRange(t *testing.T) {
	tests := []struct {
		in   string
		want span
		ok   bool
	}{
		{"", span{0, 50, false}, true},
		{"bytes=0-0", span{0, 1, false}, true},
		{"bytes=10-49", span{10, 40, false}, true},
		{"bytes=10-50", span{}, false},
		{"bytes=10-", span{}, false},
		{"bytes=-10", span{}, false},
		{"bytes=5-4", span{}, false},
		{"10-20", span{}, false},
	}
	for _, tt := range tests {
		got, err := copyRange(tt.in, 50)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("copyRange(%q) = %+v, %v; want %+v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestMetadataFromHeaders(t *testing.T) {
	h := http.Header{
		"X-Amz-Meta-Color": {"blue"},
		"X-Amz-Meta-Multi": {"a", "b"},
		"Content-Encoding": {"aws-chunked, gzip"},
		"Content-Type":     {"text/plain"},
		"X-Amz-Meta-":      {"ignored"},
	}
	m, err := metaFromRequest(h)
	if err != nil {
		t.Fatal(err)
	}
	want := gatehouse.ObjectMeta{
		ContentType: "text/plain", ContentEncoding: "gzip",
		User: map[string]string{"color": "blue", "multi": "a,b"},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}

	// 2 KiB of keys and values is allowed; one byte more is not.
	h = http.Header{"X-Amz-Meta-K": {strings.Repeat("v", 2047)}}
	if _, err := metaFromRequest(h); err != nil {
		t.Errorf("2048 bytes of metadata refused: %v", err)
	}
	h = http.Header{"X-Amz-Meta-K": {strings.Repeat("v", 2048)}}
	if _, err := metaFromRequest(h); gatehouse.AsError(err).Code != "MetadataTooLarge" {
		t.Errorf("2049 bytes of metadata: %v, want MetadataTooLarge", err)
	}
}

func TestUploadChecksumDefaults(t *testing.T) {
	tests := []struct {
		alg, typ string
		want     gatehouse.ChecksumType
		ok       bool
	}{
		{"", "", gatehouse.ChecksumTypeNone, true},
		{"CRC32", "", gatehouse.ChecksumTypeComposite, true},
		{"crc32c", "FULL_OBJECT", gatehouse.ChecksumTypeFullObject, true},
		{"CRC64NVME", "", gatehouse.ChecksumTypeFullObject, true},
		{"SHA256", "", gatehouse.ChecksumTypeComposite, true},
		{"SHA1", "FULL_OBJECT", "", false},
		{"CRC64NVME", "COMPOSITE", "", false},
		{"", "COMPOSITE", "", false},
		{"CRC32", "PARTIAL", "", false},
		{"MD5", "", "", false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.alg != "" {
			h.Set("X-Amz-Checksum-Algorithm", tt.alg)
		}
		if tt.typ != "" {
			h.Set("X-Amz-Checksum-Type", tt.typ)
		}
		_, typ, err := uploadChecksum(h)
		if (err == nil) != tt.ok || (tt.ok && typ != tt.want) {
			t.Errorf("uploadChecksum(%q, %q) = %q, %v; want %q, ok %v", tt.alg, tt.typ, typ,
				err, tt.want, tt.ok)
		}
	}
}

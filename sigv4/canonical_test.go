package sigv4_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestPathEncodings signs one spelling of a path and sends another, as
// clients that encode keys differently do. The signature must verify
// exactly when the two spellings name the same key and the signed one is
// either the path as sent or its canonical UriEncode form.
func TestPathEncodings(t *testing.T) {
	now := time.Now().UTC()
	s := newVerifyServer(t, func() time.Time { return now })
	host := strings.TrimPrefix(s.URL, "http://")

	cases := []struct {
		name     string
		signed   string // canonical URI the client signed
		sent     string // path on the wire
		wantPath string // decoded path the server routes on
		code     string
	}{
		{"space as %20", "/bkt/a%20b", "/bkt/a%20b", "/bkt/a b", ""},
		{"tilde sent encoded, signed bare", "/bkt/a~b", "/bkt/a%7Eb", "/bkt/a~b", ""},
		{"tilde sent and signed encoded", "/bkt/a%7Eb", "/bkt/a%7Eb", "/bkt/a~b", ""},
		{"plus sent bare, signed %2B", "/bkt/a%2Bb", "/bkt/a+b", "/bkt/a+b", ""},
		{"lower-case hex sent", "/bkt/%C3%BC", "/bkt/%c3%bc", "/bkt/ü", ""},
		{"unreserved letter sent encoded", "/bkt/abc", "/bkt/%61bc", "/bkt/abc", ""},
		{"double slash kept", "/bkt/a//b", "/bkt/a//b", "/bkt/a//b", ""},
		{"trailing slash kept", "/bkt/dir/", "/bkt/dir/", "/bkt/dir/", ""},
		{"dot segments not resolved", "/bkt/a/../b", "/bkt/a/../b", "/bkt/a/../b", ""},
		{"double slash signed, single sent", "/bkt/a//b", "/bkt/a/b", "", "SignatureDoesNotMatch"},
		{"trailing slash signed, none sent", "/bkt/dir/", "/bkt/dir", "", "SignatureDoesNotMatch"},
		{"double-encoded is another key", "/bkt/a%20b", "/bkt/a%2520b", "", "SignatureDoesNotMatch"},
		{"encoded slash is not a slash when signed as %2F", "/bkt/a%252Fb", "/bkt/a%2Fb", "",
			"SignatureDoesNotMatch"},
		{"resolved dot segments are another path", "/bkt/b", "/bkt/a/../b", "",
			"SignatureDoesNotMatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", s.URL+"/?report", nil)
			req.URL.Opaque = "//" + host + tc.signed
			awsSign(t, req, sha256Hex(nil), awsCreds, testRegion, now)
			req.URL.Opaque = "//" + host + tc.sent
			o := do(t, s, req)
			if o.Code != tc.code {
				t.Fatalf("got %s (%s), want %q", o.Code, o.Message, tc.code)
			}
			if tc.code == "" && o.Path != tc.wantPath {
				t.Errorf("server path = %q, want %q", o.Path, tc.wantPath)
			}
		})
	}
}

// TestHeaderCanonicalisation checks header values as SigV4 canonicalises
// them: repeated headers joined by commas, inner runs of spaces collapsed.
func TestHeaderCanonicalisation(t *testing.T) {
	now := time.Now().UTC()
	s := newVerifyServer(t, func() time.Time { return now })
	req, _ := http.NewRequest("GET", s.URL+"/bkt/k?report", nil)
	req.Header.Add("X-Amz-Meta-List", "one")
	req.Header.Add("X-Amz-Meta-List", "two   and  three")
	req.Header.Set("Range", "bytes=0-9")
	awsSign(t, req, sha256Hex(nil), awsCreds, testRegion, now)
	if o := do(t, s, req); o.Code != "" {
		t.Fatalf("verify: %s: %s", o.Code, o.Message)
	}
}

// TestOtherRegion accepts whatever region the client signed with, since
// the scope is used exactly as given.
func TestOtherRegion(t *testing.T) {
	now := time.Now().UTC()
	s := newVerifyServer(t, func() time.Time { return now })
	for _, region := range []string{"us-east-1", "eu-west-3", "auto", "gatehouse"} {
		req, _ := http.NewRequest("GET", s.URL+"/bkt/k?report", nil)
		awsSign(t, req, sha256Hex(nil), awsCreds, region, now)
		if o := do(t, s, req); o.Code != "" {
			t.Errorf("region %s: %s: %s", region, o.Code, o.Message)
		}
	}
}

// TestSecretRotation checks that a rotated secret takes effect at once,
// even though signing keys are cached.
func TestSecretRotation(t *testing.T) {
	now := time.Now().UTC()
	s := newVerifyServer(t, func() time.Time { return now })
	resolver := mapResolver{testAKID: testSecret}
	s.v.Credentials = resolver

	send := func(secret string) string {
		req, _ := http.NewRequest("GET", s.URL+"/bkt/k?report", nil)
		awsSign(t, req, sha256Hex(nil), aws.Credentials{AccessKeyID: testAKID,
			SecretAccessKey: secret}, testRegion, now)
		return do(t, s, req).Code
	}
	if code := send(testSecret); code != "" {
		t.Fatalf("before rotation: %s", code)
	}
	resolver[testAKID] = otherSec
	if code := send(testSecret); code != "SignatureDoesNotMatch" {
		t.Errorf("old secret after rotation: %q, want SignatureDoesNotMatch", code)
	}
	if code := send(otherSec); code != "" {
		t.Errorf("new secret after rotation: %s", code)
	}
}

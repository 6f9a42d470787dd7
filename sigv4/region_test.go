package sigv4_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse.dev/gatehouse/sigv4"
)

// A request signed for another region is refused as AWS refuses it: a
// malformed authorization naming the region expected, not a signature
// mismatch, so that the client can tell what to fix.
func TestCredentialScopeMustNameTheVerifiersRegion(t *testing.T) {
	s := newVerifyServerWith(t, &sigv4.Verifier{Credentials: testResolver(), Region: "us-east-1"})
	now := time.Now()
	header := func(region string) func() *http.Request {
		return func() *http.Request {
			req, _ := http.NewRequest("GET", s.URL+"/bkt/key", nil)
			awsSign(t, req, sha256Hex(nil), awsCreds, region, now)
			return req
		}
	}
	presigned := func(region string) func() *http.Request {
		return func() *http.Request {
			req, _ := http.NewRequest("GET", s.URL+"/bkt/key", nil)
			return awsPresignFor(t, req, awsCreds, region, now, time.Hour)
		}
	}
	wrong := "the region 'eu-west-1' is wrong; expecting 'us-east-1'"
	cases := []struct {
		name        string
		build       func() *http.Request
		code, inMsg string
	}{
		{"header auth for the region", header("us-east-1"), "", ""},
		{"header auth for another region", header("eu-west-1"),
			"AuthorizationHeaderMalformed", wrong},
		{"presigned for the region", presigned("us-east-1"), "", ""},
		{"presigned for another region", presigned("eu-west-1"),
			"AuthorizationQueryParametersError", wrong},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := do(t, s, tc.build())
			if o.Code != tc.code || !strings.Contains(o.Message, tc.inMsg) {
				t.Errorf("outcome = %d %s %q, want %s containing %q", o.Status, o.Code,
					o.Message, tc.code, tc.inMsg)
			}
			if tc.code != "" && o.Status != 400 {
				t.Errorf("status = %d, want 400", o.Status)
			}
		})
	}

	// The error names the expected region for the S3 layer to return.
	req := header("eu-west-1")()
	_, err := s.v.Verify(req)
	var re *sigv4.RegionError
	if !errors.As(err, &re) || re.Region != "us-east-1" {
		t.Errorf("Verify error = %v, want a *RegionError expecting us-east-1", err)
	}
}

func TestVerifierWithoutRegionAcceptsAnyRegion(t *testing.T) {
	s := newVerifyServerWith(t, &sigv4.Verifier{Credentials: testResolver()})
	req, _ := http.NewRequest("GET", s.URL+"/bkt/key", nil)
	awsSign(t, req, sha256Hex(nil), awsCreds, "ap-south-2", time.Now())
	if o := do(t, s, req); o.Status != 200 {
		t.Errorf("outcome = %d %s %q, want 200", o.Status, o.Code, o.Message)
	}
}

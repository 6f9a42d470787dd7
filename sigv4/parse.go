package sigv4

import (
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gatehouse.dev/gatehouse"
)

// unverifiedSig is what a request claims about its signature: parsed, not
// yet checked. Nothing in it may be trusted until the signature verifies.
type unverifiedSig struct {
	accessKey gatehouse.AccessKeyID
	// scopeDate, region and service are the credential scope as given.
	scopeDate, region, service string
	// signedHeaders lists the lower-case header names, in the order given.
	signedHeaders []string
	// signature is the decoded 32-byte signature.
	signature []byte
	// amzDate is the timestamp exactly as it enters the string to sign;
	// date is its parsed value.
	amzDate string
	date    time.Time
	// expires is the lifetime of a presigned URL, else zero.
	expires time.Duration
}

// scope returns the credential scope, "date/region/service/aws4_request".
func (u *unverifiedSig) scope() string {
	return u.scopeDate + "/" + u.region + "/" + u.service + "/" + scopeTerminator
}

// parseAuthorization parses an Authorization header of the form
//
//	AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request,
//	SignedHeaders=host;range;x-amz-date, Signature=fe5f80f7...
//
// per "Authenticating Requests: Using the Authorization Header". The
// components may be separated by commas with or without spaces.
func parseAuthorization(value string) (*unverifiedSig, error) {
	rest, ok := strings.CutPrefix(value, algorithm+" ")
	if !ok {
		return nil, errHeaderMalformed("the Authorization header does not start with %q",
			algorithm)
	}
	var credential, signedHeaders, signature string
	seen := 0
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, errHeaderMalformed("the Authorization component %q is not name=value",
				clip(part))
		}
		var field *string
		switch k {
		case "Credential":
			field = &credential
		case "SignedHeaders":
			field = &signedHeaders
		case "Signature":
			field = &signature
		default:
			return nil, errHeaderMalformed("the Authorization component %q is unknown", clip(k))
		}
		if *field != "" {
			return nil, errHeaderMalformed("the Authorization component %q appears twice", k)
		}
		*field = v
		seen++
	}
	if seen != 3 || credential == "" || signedHeaders == "" || signature == "" {
		return nil, errHeaderMalformed("the Authorization header needs Credential, " +
			"SignedHeaders and Signature")
	}

	u := &unverifiedSig{}
	if err := u.parseCredential(credential); err != nil {
		return nil, errHeaderMalformed("%s", err)
	}
	if err := u.parseSignedHeaders(signedHeaders); err != nil {
		return nil, errHeaderMalformed("%s", err)
	}
	if err := u.parseSignature(signature); err != nil {
		return nil, errHeaderMalformed("%s", err)
	}
	return u, nil
}

// The query parameters of a presigned URL, from "Authenticating Requests:
// Using Query Parameters".
const (
	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
)

// maxExpires is the longest life of a presigned URL: seven days.
const maxExpires = 7 * 24 * time.Hour

// parsePresigned parses the authentication parameters of a presigned URL.
func parsePresigned(q url.Values) (*unverifiedSig, error) {
	for _, name := range []string{qAlgorithm, qCredential, qDate, qExpires,
		qSignedHeaders, qSignature} {
		if len(q[name]) != 1 {
			return nil, errQueryMalformed("query-string authentication requires exactly one "+
				"each of %s, %s, %s, %s, %s and %s", qAlgorithm, qCredential, qDate, qExpires,
				qSignedHeaders, qSignature)
		}
	}
	switch alg := q.Get(qAlgorithm); alg {
	case algorithm:
	case algorithmECDSA:
		return nil, errSigV4A()
	default:
		return nil, errQueryMalformed("X-Amz-Algorithm %q is not supported; use %s",
			clip(alg), algorithm)
	}

	u := &unverifiedSig{}
	if err := u.parseCredential(q.Get(qCredential)); err != nil {
		return nil, errQueryMalformed("%s", err)
	}
	if err := u.parseSignedHeaders(q.Get(qSignedHeaders)); err != nil {
		return nil, errQueryMalformed("%s", err)
	}
	if err := u.parseSignature(q.Get(qSignature)); err != nil {
		return nil, errQueryMalformed("%s", err)
	}
	if err := u.parseAmzDate(q.Get(qDate)); err != nil {
		return nil, errQueryMalformed("%s", err)
	}
	if err := u.parseExpires(q.Get(qExpires)); err != nil {
		return nil, err
	}
	return u, nil
}

// parseCredential parses "AKID/date/region/service/aws4_request". The
// access key ID is everything before the last four components.
func (u *unverifiedSig) parseCredential(s string) error {
	parts := strings.Split(s, "/")
	n := len(parts)
	if n < 5 {
		return errorf("the credential %q is not AKID/date/region/service/aws4_request",
			clip(s))
	}
	akid := strings.Join(parts[:n-4], "/")
	date, region, service, term := parts[n-4], parts[n-3], parts[n-2], parts[n-1]
	switch {
	case akid == "":
		return errorf("the credential has an empty access key ID")
	case !isScopeDate(date):
		return errorf("the credential date %q is not YYYYMMDD", clip(date))
	case region == "":
		return errorf("the credential has an empty region")
	case service != serviceS3:
		return errorf("the credential service is %q; this endpoint is %q", clip(service),
			serviceS3)
	case term != scopeTerminator:
		return errorf("the credential must end in %q, not %q", scopeTerminator, clip(term))
	}
	u.accessKey = gatehouse.AccessKeyID(akid)
	u.scopeDate, u.region, u.service = date, region, service
	return nil
}

func isScopeDate(s string) bool {
	_, err := time.Parse(scopeDateFormat, s)
	return len(s) == 8 && err == nil
}

// parseSignedHeaders parses "host;range;x-amz-date". Host must be signed.
func (u *unverifiedSig) parseSignedHeaders(s string) error {
	if s == "" {
		return errorf("SignedHeaders is empty")
	}
	names := strings.Split(s, ";")
	hasHost := false
	for _, n := range names {
		if n == "" || n != strings.ToLower(n) {
			return errorf("SignedHeaders %q must be lower-case names separated by ';'",
				clip(s))
		}
		hasHost = hasHost || n == "host"
	}
	if !hasHost {
		return errorf("SignedHeaders must include host")
	}
	u.signedHeaders = names
	return nil
}

// parseSignature decodes the 64 hex digits of a signature.
func (u *unverifiedSig) parseSignature(s string) error {
	sig, err := hex.DecodeString(s)
	if err != nil || len(sig) != 32 {
		return errorf("the signature is not 64 hexadecimal digits")
	}
	u.signature = sig
	return nil
}

// parseAmzDate parses an ISO 8601 basic timestamp, 20130524T000000Z.
func (u *unverifiedSig) parseAmzDate(s string) error {
	t, err := time.Parse(amzDateFormat, s)
	if err != nil {
		return errorf("the date %q is not in the form 20060102T150405Z", clip(s))
	}
	if t.Format(scopeDateFormat) != u.scopeDate {
		return errorf("the credential date %s does not match the request date %s",
			u.scopeDate, s)
	}
	u.amzDate, u.date = s, t
	return nil
}

// parseExpires parses X-Amz-Expires: whole seconds, 1 to 604800.
func (u *unverifiedSig) parseExpires(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return errQueryMalformed("X-Amz-Expires %q is not a number of seconds", clip(s))
	case n < 1:
		return errQueryMalformed("X-Amz-Expires must be at least 1 second")
	case n > int64(maxExpires/time.Second):
		return errQueryMalformed("X-Amz-Expires must be less than a week (in seconds); "+
			"that is, the given X-Amz-Expires must be less than %d",
			int64(maxExpires/time.Second))
	}
	u.expires = time.Duration(n) * time.Second
	return nil
}

// clip shortens s for quoting in an error message.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"gatehouse.dev/gatehouse"
)

// Verifier checks SigV4 signatures. The zero value is not usable; set
// Credentials. A Verifier is safe for concurrent use and must not be
// copied after first use.
type Verifier struct {
	// Credentials resolves the access key ID named in the credential scope.
	Credentials gatehouse.CredentialResolver
	// Region, when set, is the only region a credential scope may name:
	// a request signed for another region is refused with
	// ErrAuthorizationHeaderMalformed, or ErrAuthorizationQueryParameters
	// for a presigned URL, inside a *RegionError naming Region. Empty
	// accepts any region.
	Region string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxSkew bounds the difference between X-Amz-Date and Now for header
	// authentication, and how far in the future a presigned URL may be
	// dated; zero means 15 minutes.
	MaxSkew time.Duration

	keys keyCache
}

// DefaultMaxSkew is the clock skew S3 tolerates for header
// authentication ("RequestTimeTooSkewed" in "Error responses").
const DefaultMaxSkew = 15 * time.Minute

// Auth is the outcome of a successful verification.
type Auth struct {
	Credential *gatehouse.Credential
	// Presigned reports query-string authentication.
	Presigned bool
	// Anonymous reports a request with no authentication at all; then
	// Credential is nil and the caller decides (Gatehouse refuses it).
	Anonymous bool
	// Trailer holds trailing headers (x-amz-checksum-*) of an aws-chunked
	// body, keyed in canonical form (X-Amz-Checksum-Crc32). It is filled
	// in only once the body has been read to EOF. Trailers of a
	// STREAMING-UNSIGNED-PAYLOAD-TRAILER body are not authenticated; the
	// checksum layer verifies them against the bytes.
	Trailer http.Header
}

// Verify authenticates r.
//
// On success, when the request has a body, Verify replaces r.Body with a
// reader that checks the payload as it streams: the x-amz-content-sha256
// hash, or each aws-chunked chunk signature, decoding aws-chunked framing
// so that the reader yields only the object bytes. It sets r.ContentLength
// to the decoded length (x-amz-decoded-content-length) when known, and -1
// otherwise, and removes "aws-chunked" from Content-Encoding, which S3
// does not store. Read errors from the replaced body are *gatehouse.Error
// values (wrapped), for example ErrSignatureDoesNotMatch,
// ErrXAmzContentSHA256Mismatch, ErrIncompleteBody. An UNSIGNED-PAYLOAD
// body is left as it is.
//
// A request with no Authorization header and no authentication query
// parameters is anonymous: Verify returns Auth{Anonymous: true} and nil.
//
// Errors are *gatehouse.Error values (wrapped): ErrAccessDenied for an
// unsupported scheme such as SigV2, SigV4A or a session token, for an
// unsigned x-amz-* header and for a presigned URL that has expired or is
// not yet valid; ErrInvalidAccessKeyID, ErrSignatureDoesNotMatch,
// ErrRequestTimeTooSkewed, ErrAuthorizationQueryParameters,
// ErrAuthorizationHeaderMalformed (either inside a *RegionError when the
// credential scope names a region other than Region),
// ErrMissingSecurityHeader (no x-amz-content-sha256 on a header-signed
// request), ErrInvalidArgument (two schemes at once, a malformed
// x-amz-content-sha256) and ErrXAmzContentSHA256Mismatch (a
// declared-empty body with a wrong hash). Errors of the
// CredentialResolver other than ErrInvalidAccessKeyID are returned
// wrapped.
func (v *Verifier) Verify(r *http.Request) (*Auth, error) {
	_, rawQuery := rawTarget(r)
	query, _ := url.ParseQuery(rawQuery)
	authz := r.Header.Values("Authorization")

	v4Query := query.Has(qAlgorithm) || query.Has(qCredential) || query.Has(qSignature)
	v2Query := query.Has("AWSAccessKeyId") || query.Has("Signature")
	token := r.Header.Get("X-Amz-Security-Token") != "" || query.Has("X-Amz-Security-Token")

	switch {
	case len(authz) > 0 && (v4Query || v2Query):
		return nil, gatehouse.ErrInvalidArgument.With("Only one auth mechanism allowed; " +
			"send either the Authorization header or authentication query parameters")
	case len(authz) > 1:
		return nil, errHeaderMalformed("the request has more than one Authorization header")
	case len(authz) == 1:
		return v.verifyHeader(r, authz[0], token)
	case v4Query:
		if token {
			return nil, errSecurityToken()
		}
		return v.verifyPresigned(r, query)
	case v2Query:
		return nil, errSigV2()
	case token:
		return nil, errSecurityToken()
	}
	return &Auth{Anonymous: true}, nil
}

// verifyHeader authenticates a request signed in its Authorization header,
// per "Signature Calculations for the Authorization Header".
func (v *Verifier) verifyHeader(r *http.Request, authz string, token bool) (*Auth, error) {
	switch {
	case strings.HasPrefix(authz, "AWS "):
		return nil, errSigV2()
	case strings.HasPrefix(authz, algorithmECDSA):
		return nil, errSigV4A()
	case token:
		return nil, errSecurityToken()
	}
	u, err := parseAuthorization(authz)
	if err != nil {
		return nil, err
	}
	if err := v.checkRegion(u, gatehouse.ErrAuthorizationHeaderMalformed,
		"The authorization header is malformed"); err != nil {
		return nil, err
	}

	if err := v.checkHeaderDate(u, r.Header.Get("X-Amz-Date")); err != nil {
		return nil, err
	}

	// S3 requires x-amz-content-sha256 on every header-signed request
	// ("Common Request Headers").
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		return nil, gatehouse.ErrMissingSecurityHeader.With(
			"Missing required header for this request: x-amz-content-sha256")
	}
	mode, err := parsePayloadMode(payload)
	if err != nil {
		return nil, err
	}

	cred, key, err := v.authenticate(r, u, payload, "")
	if err != nil {
		return nil, err
	}
	auth := &Auth{Credential: cred}
	if err := installBody(r, auth, mode, payload, &chunkSigner{
		key: key, amzDate: u.amzDate, scope: u.scope(), seed: u.signature,
	}); err != nil {
		return nil, err
	}
	return auth, nil
}

// verifyPresigned authenticates a presigned URL, per "Authenticating
// Requests: Using Query Parameters".
func (v *Verifier) verifyPresigned(r *http.Request, q url.Values) (*Auth, error) {
	u, err := parsePresigned(q)
	if err != nil {
		return nil, err
	}
	if err := v.checkRegion(u, gatehouse.ErrAuthorizationQueryParameters,
		"Error parsing the X-Amz-Credential parameter"); err != nil {
		return nil, err
	}

	// A presigned URL is valid from X-Amz-Date for X-Amz-Expires seconds.
	// The skew window applies only to a URL dated in the future.
	now := v.now()
	if u.date.After(now.Add(v.maxSkew())) {
		return nil, errAccessDenied("Request is not valid yet")
	}
	if now.After(u.date.Add(u.expires)) {
		return nil, errAccessDenied("Request has expired")
	}

	// A presigned URL signs UNSIGNED-PAYLOAD unless the signer included
	// a payload hash, as a signed header or as a query parameter.
	payload := "UNSIGNED-PAYLOAD"
	if slices.Contains(u.signedHeaders, "x-amz-content-sha256") {
		payload = r.Header.Get("X-Amz-Content-Sha256")
	} else if query := q.Get("X-Amz-Content-Sha256"); query != "" {
		payload = query
	}
	mode, err := parsePayloadMode(payload)
	if err != nil {
		return nil, err
	}
	if mode != modeHash && mode != modeUnsigned {
		return nil, gatehouse.ErrInvalidRequest.With(
			"aws-chunked bodies cannot be sent with a presigned URL")
	}

	cred, _, err := v.authenticate(r, u, payload, qSignature)
	if err != nil {
		return nil, err
	}
	auth := &Auth{Credential: cred, Presigned: true}
	if err := installBody(r, auth, mode, payload, nil); err != nil {
		return nil, err
	}
	return auth, nil
}

// authenticate checks that every x-amz-* header is signed, resolves the
// credential and checks the signature. It returns the signing key, which
// chains the signatures of an aws-chunked body.
func (v *Verifier) authenticate(r *http.Request, u *unverifiedSig, payload, skipQuery string,
) (*gatehouse.Credential, []byte, error) {
	// Unsigned x-amz-* headers could change what the request does without
	// touching the signature, so S3 refuses them.
	if name := unsignedAmzHeader(r.Header, u.signedHeaders); name != "" {
		return nil, nil, errAccessDenied("There were headers present in the request which "+
			"were not signed: %s", name)
	}

	cred, err := v.resolve(r.Context(), u.accessKey)
	if err != nil {
		return nil, nil, err
	}
	key := v.keys.signingKey(string(cred.AccessKeyID), cred.Secret, u.scopeDate, u.region)
	if !signatureMatches(r, u, key, payload, skipQuery) {
		return nil, nil, errSignature()
	}
	return cred, key, nil
}

// resolve looks up an access key ID.
func (v *Verifier) resolve(ctx context.Context, id gatehouse.AccessKeyID,
) (*gatehouse.Credential, error) {
	if v.Credentials == nil {
		return nil, fmt.Errorf("sigv4: verifier has no credential resolver")
	}
	cred, err := v.Credentials.Resolve(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("resolve access key %q: %w", id, err)
	}
	if cred == nil || cred.Secret == "" {
		return nil, gatehouse.ErrInvalidAccessKeyID.With(
			"The AWS Access Key Id you provided does not exist in our records.")
	}
	return cred, nil
}

// signatureMatches computes the signature of r and compares it, in
// constant time, with the one claimed. It tries each canonical URI
// candidate (see canonicalURIs).
func signatureMatches(r *http.Request, u *unverifiedSig, key []byte, payload,
	skipQuery string) bool {
	rawPath, rawQuery := rawTarget(r)

	// Everything but the canonical URI is common to the candidates:
	//
	//	Method \n URI \n Query \n Headers \n SignedHeaders \n PayloadHash
	var tail strings.Builder
	tail.Grow(512)
	tail.WriteString(canonicalQuery(rawQuery, skipQuery))
	tail.WriteByte('\n')
	canonicalHeaders(&tail, r, u.signedHeaders)
	tail.WriteByte('\n')
	for i, h := range u.signedHeaders {
		if i > 0 {
			tail.WriteByte(';')
		}
		tail.WriteString(h)
	}
	tail.WriteByte('\n')
	tail.WriteString(payload)

	h := sha256.New()
	var sum [sha256.Size]byte
	for _, uri := range canonicalURIs(rawPath) {
		h.Reset()
		io.WriteString(h, r.Method)
		io.WriteString(h, "\n")
		io.WriteString(h, uri)
		io.WriteString(h, "\n")
		io.WriteString(h, tail.String())
		sts := algorithm + "\n" + u.amzDate + "\n" + u.scope() + "\n" +
			hex.EncodeToString(h.Sum(sum[:0]))
		if hmac.Equal(hmacSHA256(key, sts), u.signature) {
			return true
		}
	}
	return false
}

// unsignedAmzHeader returns the lower-case name of an x-amz-* header of h
// that is not signed, or "".
func unsignedAmzHeader(h http.Header, signed []string) string {
	for k := range h {
		if len(k) < 6 || !strings.EqualFold(k[:6], "x-amz-") {
			continue
		}
		if lk := strings.ToLower(k); !slices.Contains(signed, lk) {
			return lk
		}
	}
	return ""
}

// checkRegion refuses a credential scope for a region other than
// v.Region. S3 answers such a request with e, whose message continues
// with the region given and the region expected, and not with
// SignatureDoesNotMatch, so that the client learns what to fix.
func (v *Verifier) checkRegion(u *unverifiedSig, e *gatehouse.Error, lead string) error {
	if v.Region == "" || u.region == v.Region {
		return nil
	}
	return &RegionError{Region: v.Region, Err: e.With("%s; the region '%s' is wrong; "+
		"expecting '%s'", lead, clip(u.region), v.Region)}
}

// checkHeaderDate checks the x-amz-date of a header-signed request: it
// must be an ISO 8601 basic timestamp on the credential scope's day and
// within MaxSkew of the server's clock. Every SigV4 client sends
// x-amz-date; the Date header alternative is not accepted.
func (v *Verifier) checkHeaderDate(u *unverifiedSig, date string) error {
	if _, err := time.Parse(amzDateFormat, date); err != nil {
		return errAccessDenied(
			"AWS authentication requires a valid Date or x-amz-date header")
	}
	if err := u.parseAmzDate(date); err != nil {
		return errHeaderMalformed("%s", err)
	}
	return v.checkSkew(u.date)
}

// checkSkew refuses a header-signed request dated too far from now.
func (v *Verifier) checkSkew(date time.Time) error {
	now := v.now()
	d := now.Sub(date)
	if d < 0 {
		d = -d
	}
	if d > v.maxSkew() {
		return gatehouse.ErrRequestTimeTooSkewed.With("The difference between the request "+
			"time (%s) and the server's time (%s) is too large.",
			date.UTC().Format(amzDateFormat), now.UTC().Format(amzDateFormat))
	}
	return nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

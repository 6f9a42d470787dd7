// Package sigv4 authenticates S3 requests signed with AWS Signature Version 4.
//
// (API sketch written by the lead so that s3api can compile against it; the
// implementation replaces the bodies. Keep the exported names.)
package sigv4

import (
	"net/http"
	"time"

	"gatehouse.dev/gatehouse"
)

// Verifier checks SigV4 signatures. The zero value is not usable; set
// Credentials. A Verifier is safe for concurrent use.
type Verifier struct {
	// Credentials resolves the access key ID named in the credential scope.
	Credentials gatehouse.CredentialResolver
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxSkew bounds the difference between X-Amz-Date and Now for header
	// authentication; zero means 15 minutes.
	MaxSkew time.Duration
}

// Auth is the outcome of a successful verification.
type Auth struct {
	Credential *gatehouse.Credential
	// Presigned reports query-string authentication.
	Presigned bool
	// Anonymous reports a request with no authentication at all; then
	// Credential is nil and the caller decides (Gatehouse refuses it).
	Anonymous bool
	// Trailer holds trailing headers (x-amz-checksum-*) of an aws-chunked
	// body. It is filled in only once the body has been read to EOF.
	Trailer http.Header
}

// Verify authenticates r.
//
// On success, when the request has a body, Verify replaces r.Body with a
// reader that checks the payload as it streams: the x-amz-content-sha256
// hash, or each aws-chunked chunk signature, decoding aws-chunked framing
// so that the reader yields only the object bytes. It sets r.ContentLength
// to the decoded length (x-amz-decoded-content-length) when known. Read
// errors from the replaced body are *gatehouse.Error values (wrapped), for
// example ErrSignatureDoesNotMatch, ErrXAmzContentSHA256Mismatch,
// ErrIncompleteBody.
//
// Errors are *gatehouse.Error values (wrapped): ErrAccessDenied for an
// unsupported scheme such as SigV2, ErrInvalidAccessKeyID,
// ErrSignatureDoesNotMatch, ErrRequestTimeTooSkewed,
// ErrAuthorizationQueryParameters, ErrAuthorizationHeaderMalformed,
// ErrMissingSecurityHeader.
func (v *Verifier) Verify(r *http.Request) (*Auth, error) {
	panic("sigv4: Verify not yet written")
}

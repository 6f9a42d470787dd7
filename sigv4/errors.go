package sigv4

import (
	"fmt"

	"gatehouse.dev/gatehouse"
)

// errorf makes a plain error whose text becomes part of an S3 message.
func errorf(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

func errHeaderMalformed(format string, args ...any) error {
	return gatehouse.ErrAuthorizationHeaderMalformed.With(format, args...)
}

func errQueryMalformed(format string, args ...any) error {
	return gatehouse.ErrAuthorizationQueryParameters.With(format, args...)
}

func errAccessDenied(format string, args ...any) error {
	return gatehouse.ErrAccessDenied.With(format, args...)
}

// errSignature is the one answer to every signature that does not verify;
// it says nothing of what was expected.
func errSignature() error {
	return gatehouse.ErrSignatureDoesNotMatch.With("The request signature we calculated " +
		"does not match the signature you provided. Check your secret access key and " +
		"signing method.")
}

func errChunkSignature() error {
	return gatehouse.ErrSignatureDoesNotMatch.With("The signature of a chunk of the " +
		"aws-chunked body does not match the signature chain of the request.")
}

func errSigV2() error {
	return errAccessDenied("AWS Signature Version 2 is not supported; " +
		"sign requests with AWS Signature Version 4 (AWS4-HMAC-SHA256)")
}

func errSigV4A() error {
	return errAccessDenied("AWS Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not " +
		"supported; sign requests with AWS4-HMAC-SHA256")
}

func errSecurityToken() error {
	return errAccessDenied("temporary security credentials (X-Amz-Security-Token) are " +
		"not supported; sign with a long-term access key and no session token")
}

func errIncomplete(format string, args ...any) error {
	return gatehouse.ErrIncompleteBody.With(format, args...)
}

// RegionError is the error for a request signed for a region other than
// the Verifier's. S3 answers it with the region it expects in a Region
// element of the error body, which SDKs read to sign again for that
// region. Err is the S3 error to answer with.
type RegionError struct {
	// Region is the region the server expects.
	Region string
	Err    *gatehouse.Error
}

func (e *RegionError) Error() string { return e.Err.Error() }

// Unwrap returns Err, so that errors.Is and errors.As find it.
func (e *RegionError) Unwrap() error { return e.Err }

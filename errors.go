package gatehouse

import (
	"errors"
	"fmt"
)

// Kind classifies an error for callers that do not speak S3. The zero
// value is KindInternal. Append-only.
type Kind uint8

// Error kinds.
const (
	KindInternal   Kind = 0
	KindNotFound   Kind = 1
	KindPermission Kind = 2
	KindInvalid    Kind = 3
	KindConflict   Kind = 4
	KindTransient  Kind = 5
)

// Error is an error with a kind and the S3 error code it maps to. Values
// of the package-level Err* variables are compared with errors.Is; wrap
// them with fmt.Errorf("...: %w", err) or With to add detail.
type Error struct {
	Kind Kind
	// Code is the S3 error code, for example "NoSuchKey".
	Code string
	// Status is the HTTP status S3 answers with.
	Status int
	// Message is the text a client sees.
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is matches errors by code, so that an Error carrying a custom message is
// still the same error as the package-level variable with its code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// With returns a copy of e whose client-visible message is msg.
func (e *Error) With(format string, args ...any) *Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// AsError returns the *Error in err's chain, or InternalError.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrInternal
}

func newErr(k Kind, status int, code, msg string) *Error {
	return &Error{Kind: k, Code: code, Status: status, Message: msg}
}

// The S3 errors Gatehouse returns, with the codes and statuses from the
// Amazon S3 API Reference, "Error responses". Append-only.
var (
	ErrInternal = newErr(KindInternal, 500, "InternalError",
		"We encountered an internal error. Please try again.")
	ErrNoSuchBucket = newErr(KindNotFound, 404, "NoSuchBucket",
		"The specified bucket does not exist")
	ErrNoSuchKey = newErr(KindNotFound, 404, "NoSuchKey",
		"The specified key does not exist.")
	ErrNoSuchUpload = newErr(KindNotFound, 404, "NoSuchUpload",
		"The specified multipart upload does not exist. The upload ID might be invalid, "+
			"or the multipart upload might have been aborted or completed.")
	ErrBucketNotEmpty = newErr(KindConflict, 409, "BucketNotEmpty",
		"The bucket you tried to delete is not empty")
	ErrBucketAlreadyOwnedByYou = newErr(KindConflict, 409, "BucketAlreadyOwnedByYou",
		"Your previous request to create the named bucket succeeded and you already own it.")
	ErrInvalidBucketName = newErr(KindInvalid, 400, "InvalidBucketName",
		"The specified bucket is not valid.")
	ErrKeyTooLong = newErr(KindInvalid, 400, "KeyTooLongError",
		"Your key is too long")
	ErrInvalidRange = newErr(KindInvalid, 416, "InvalidRange",
		"The requested range is not satisfiable")
	ErrInvalidPart = newErr(KindInvalid, 400, "InvalidPart",
		"One or more of the specified parts could not be found. The part may not have been "+
			"uploaded, or the specified entity tag may not match the part's entity tag.")
	ErrInvalidPartOrder = newErr(KindInvalid, 400, "InvalidPartOrder",
		"The list of parts was not in ascending order. The parts list must be specified in "+
			"order by part number.")
	ErrEntityTooSmall = newErr(KindInvalid, 400, "EntityTooSmall",
		"Your proposed upload is smaller than the minimum allowed object size.")
	ErrEntityTooLarge = newErr(KindInvalid, 400, "EntityTooLarge",
		"Your proposed upload exceeds the maximum allowed object size.")
	ErrMalformedXML = newErr(KindInvalid, 400, "MalformedXML",
		"The XML you provided was not well-formed or did not validate against our "+
			"published schema.")
	ErrBadDigest = newErr(KindInvalid, 400, "BadDigest",
		"The Content-MD5 you specified did not match what we received.")
	ErrInvalidDigest = newErr(KindInvalid, 400, "InvalidDigest",
		"The Content-MD5 you specified is not valid.")
	ErrSignatureDoesNotMatch = newErr(KindPermission, 403, "SignatureDoesNotMatch",
		"The request signature we calculated does not match the signature you provided. "+
			"Check your key and signing method.")
	ErrInvalidAccessKeyID = newErr(KindPermission, 403, "InvalidAccessKeyId",
		"The AWS Access Key Id you provided does not exist in our records.")
	ErrAccessDenied         = newErr(KindPermission, 403, "AccessDenied", "Access Denied")
	ErrRequestTimeTooSkewed = newErr(KindPermission, 403, "RequestTimeTooSkewed",
		"The difference between the request time and the server's time is too large.")
	ErrAuthorizationQueryParameters = newErr(KindInvalid, 400,
		"AuthorizationQueryParametersError",
		"Error parsing the X-Amz-Credential parameter.")
	ErrAuthorizationHeaderMalformed = newErr(KindInvalid, 400,
		"AuthorizationHeaderMalformed",
		"The authorization header that you provided is not valid.")
	ErrMissingSecurityHeader = newErr(KindInvalid, 400, "MissingSecurityHeader",
		"Your request is missing a required header.")
	ErrExpiredToken = newErr(KindPermission, 400, "ExpiredToken",
		"The provided token has expired.")
	ErrPreconditionFailed = newErr(KindConflict, 412, "PreconditionFailed",
		"At least one of the preconditions you specified did not hold.")
	ErrNotModified    = newErr(KindConflict, 304, "NotModified", "Not Modified")
	ErrNotImplemented = newErr(KindInvalid, 501, "NotImplemented",
		"A header you provided implies functionality that is not implemented.")
	ErrMethodNotAllowed = newErr(KindInvalid, 405, "MethodNotAllowed",
		"The specified method is not allowed against this resource.")
	ErrInvalidArgument      = newErr(KindInvalid, 400, "InvalidArgument", "Invalid Argument")
	ErrInvalidRequest       = newErr(KindInvalid, 400, "InvalidRequest", "Invalid Request")
	ErrMissingContentLength = newErr(KindInvalid, 411, "MissingContentLength",
		"You must provide the Content-Length HTTP header.")
	ErrIncompleteBody = newErr(KindInvalid, 400, "IncompleteBody",
		"You did not provide the number of bytes specified by the Content-Length HTTP header.")
	ErrMetadataTooLarge = newErr(KindInvalid, 400, "MetadataTooLarge",
		"Your metadata headers exceed the maximum allowed metadata size.")
	ErrXAmzContentSHA256Mismatch = newErr(KindInvalid, 400, "XAmzContentSHA256Mismatch",
		"The provided 'x-amz-content-sha256' header does not match what was computed.")
	ErrInvalidChecksum = newErr(KindInvalid, 400, "BadDigest",
		"The checksum you specified did not match the calculated checksum.")
	ErrInvalidEncodingType = newErr(KindInvalid, 400, "InvalidArgument",
		"Invalid Encoding Method specified in Request")
	ErrRequestTimeout = newErr(KindTransient, 400, "RequestTimeout",
		"Your socket connection to the server was not read from or written to within "+
			"the timeout period.")
	ErrSlowDown           = newErr(KindTransient, 503, "SlowDown", "Please reduce your request rate.")
	ErrInvalidObjectState = newErr(KindConflict, 403, "InvalidObjectState",
		"The operation is not valid for the object's state.")
	ErrMaxMessageLengthExceeded = newErr(KindInvalid, 400, "MaxMessageLengthExceeded",
		"Your request was too big.")
	ErrRequestHeaderSectionTooLarge = newErr(KindInvalid, 400, "RequestHeaderSectionTooLarge",
		"Your request header section exceeds the maximum allowed size.")
)

package checksum

import (
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"

	"gatehouse.dev/gatehouse"
)

// Expect is what a request says its body must hash to.
type Expect struct {
	// ContentMD5 is the base64 Content-MD5 header, or "".
	ContentMD5 string
	// Algorithm is the additional checksum requested (from an
	// x-amz-checksum-<alg> header, x-amz-sdk-checksum-algorithm or
	// x-amz-trailer), or ChecksumNone.
	Algorithm gatehouse.ChecksumAlgorithm
	// Value is the expected base64 value from a header, or "" when it
	// arrives in a trailer (then FromTrailer is true). With neither, the
	// checksum is computed and stored but checked against nothing.
	Value       string
	FromTrailer bool
}

// ParseRequest reads the checksum headers of a PUT or UploadPart request.
// It returns ErrInvalidDigest / ErrInvalidRequest wrapped for a malformed
// or contradictory header set:
//
//   - Content-MD5 must be the base64 of 16 bytes (else ErrInvalidDigest);
//   - at most one checksum may be given, in one x-amz-checksum-<alg>
//     header or as a trailer named in x-amz-trailer (else
//     ErrInvalidRequest);
//   - a value must be the base64 of the algorithm's size;
//   - x-amz-sdk-checksum-algorithm, if present, must name a known
//     algorithm and agree with the header or trailer given.
func ParseRequest(h http.Header) (Expect, error) {
	var e Expect
	if err := e.parseContentMD5(h); err != nil {
		return Expect{}, err
	}

	// Collect every checksum the request announces, in headers or as
	// trailers: S3 allows exactly one.
	var found []gatehouse.ChecksumAlgorithm
	for _, alg := range Algorithms {
		if vs := h.Values(HeaderName(alg)); len(vs) > 0 {
			if len(vs) > 1 {
				return Expect{}, errMultiple()
			}
			if _, err := Decode(alg, vs[0]); err != nil {
				return Expect{}, err
			}
			found = append(found, alg)
			e.Algorithm, e.Value = alg, vs[0]
		}
	}
	for _, alg := range trailerAlgorithms(h) {
		found = append(found, alg)
		e.Algorithm, e.Value, e.FromTrailer = alg, "", true
	}
	if len(found) > 1 {
		return Expect{}, errMultiple()
	}

	return e, e.checkSDKAlgorithm(h)
}

// parseContentMD5 checks a Content-MD5 header (RFC 1864).
func (e *Expect) parseContentMD5(h http.Header) error {
	vs := h.Values("Content-Md5")
	if len(vs) == 0 {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(vs[0])
	if len(vs) > 1 || err != nil || len(b) != md5.Size {
		return gatehouse.ErrInvalidDigest.With("The Content-MD5 you specified is not valid.")
	}
	e.ContentMD5 = vs[0]
	return nil
}

// checkSDKAlgorithm applies x-amz-sdk-checksum-algorithm, which names the
// algorithm without a value; S3 then computes the checksum itself.
func (e *Expect) checkSDKAlgorithm(h http.Header) error {
	name := h.Get("X-Amz-Sdk-Checksum-Algorithm")
	if name == "" {
		return nil
	}
	alg, err := ParseAlgorithm(name)
	if err != nil {
		return err
	}
	if e.Algorithm != gatehouse.ChecksumNone && e.Algorithm != alg {
		return gatehouse.ErrInvalidRequest.With("Value for x-amz-sdk-checksum-algorithm "+
			"header is invalid: it names %s but the request carries %s", alg,
			HeaderName(e.Algorithm))
	}
	e.Algorithm = alg
	return nil
}

// trailerAlgorithms returns the checksum algorithms x-amz-trailer names.
func trailerAlgorithms(h http.Header) []gatehouse.ChecksumAlgorithm {
	var algs []gatehouse.ChecksumAlgorithm
	for _, v := range h.Values("X-Amz-Trailer") {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			for _, alg := range Algorithms {
				if name == HeaderName(alg) {
					algs = append(algs, alg)
				}
			}
		}
	}
	return algs
}

func errMultiple() error {
	return gatehouse.ErrInvalidRequest.With("Expecting a single x-amz-checksum- header. " +
		"Multiple checksum Types are not allowed.")
}

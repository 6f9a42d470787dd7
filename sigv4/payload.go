package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"gatehouse.dev/gatehouse"
)

// payloadMode is how x-amz-content-sha256 says the body is protected.
type payloadMode int

const (
	modeHash                  payloadMode = iota // hex SHA-256 of the body
	modeUnsigned                                 // UNSIGNED-PAYLOAD
	modeStreamSigned                             // signed chunks
	modeStreamSignedTrailer                      // signed chunks, signed trailer
	modeStreamUnsignedTrailer                    // plain chunks, trailer
)

// The x-amz-content-sha256 values of "Authenticating Requests: Using the
// Authorization Header".
const (
	unsignedPayload          = "UNSIGNED-PAYLOAD"
	streamingPayload         = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingPayloadTrailer  = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingECDSAPrefix     = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
)

// parsePayloadMode classifies an x-amz-content-sha256 value.
func parsePayloadMode(v string) (payloadMode, error) {
	switch {
	case v == unsignedPayload:
		return modeUnsigned, nil
	case v == streamingPayload:
		return modeStreamSigned, nil
	case v == streamingPayloadTrailer:
		return modeStreamSignedTrailer, nil
	case v == streamingUnsignedTrailer:
		return modeStreamUnsignedTrailer, nil
	case strings.HasPrefix(v, streamingECDSAPrefix):
		return 0, errSigV4A()
	}
	if b, err := hex.DecodeString(v); err == nil && len(b) == sha256.Size {
		return modeHash, nil
	}
	return 0, gatehouse.ErrInvalidArgument.With("x-amz-content-sha256 must be %s, %s, %s, "+
		"%s or the hex SHA-256 of the payload", unsignedPayload, streamingPayload,
		streamingPayloadTrailer, streamingUnsignedTrailer)
}

// chunkSigner holds what chains the signatures of an aws-chunked body.
type chunkSigner struct {
	key            []byte
	amzDate, scope string
	// seed is the signature of the request's headers.
	seed []byte
}

// installBody replaces r.Body with a reader that enforces mode.
func installBody(r *http.Request, auth *Auth, mode payloadMode, payload string,
	signer *chunkSigner) error {
	switch mode {
	case modeUnsigned:
		return nil
	case modeHash:
		return installHashed(r, payload)
	}

	decoded, err := decodedLength(r.Header)
	if err != nil {
		return err
	}
	c := &chunkedReader{
		src:        newLineReader(r.Body),
		body:       r.Body,
		decodedLen: decoded,
		auth:       auth,
	}
	switch mode {
	case modeStreamSigned:
		c.signer = signer
	case modeStreamSignedTrailer:
		c.signer = signer
		c.trailer, c.declared = true, declaredTrailers(r.Header)
	case modeStreamUnsignedTrailer:
		c.trailer, c.declared = true, declaredTrailers(r.Header)
	}
	if c.signer != nil {
		c.prevSig = signer.seed
		c.hash = sha256.New()
	}
	r.Body = c
	r.ContentLength = decoded
	stripAWSChunked(r.Header)
	return nil
}

// installHashed checks the body against the signed SHA-256 in payload. A
// body known to be empty is checked at once.
func installHashed(r *http.Request, payload string) error {
	want, _ := hex.DecodeString(payload)
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		if payload != emptySHA256 && !strings.EqualFold(payload, emptySHA256) {
			return errHashMismatch()
		}
		return nil
	}
	r.Body = &hashReader{body: r.Body, hash: sha256.New(), want: want}
	return nil
}

// decodedLength parses x-amz-decoded-content-length; -1 means absent.
func decodedLength(h http.Header) (int64, error) {
	v := h.Get("X-Amz-Decoded-Content-Length")
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, gatehouse.ErrInvalidArgument.With(
			"x-amz-decoded-content-length %q is not a length", clip(v))
	}
	return n, nil
}

// declaredTrailers lists the lower-case names in x-amz-trailer.
func declaredTrailers(h http.Header) []string {
	var names []string
	for _, v := range h.Values("X-Amz-Trailer") {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				names = append(names, name)
			}
		}
	}
	return names
}

// stripAWSChunked removes the aws-chunked coding from Content-Encoding:
// it describes the framing, not the object ("PutObject", Content-Encoding).
func stripAWSChunked(h http.Header) {
	var kept []string
	for _, v := range h.Values("Content-Encoding") {
		for coding := range strings.SplitSeq(v, ",") {
			coding = strings.TrimSpace(coding)
			if coding != "" && !strings.EqualFold(coding, "aws-chunked") {
				kept = append(kept, coding)
			}
		}
	}
	if len(kept) == 0 {
		h.Del("Content-Encoding")
		return
	}
	h.Set("Content-Encoding", strings.Join(kept, ","))
}

func errHashMismatch() error {
	return gatehouse.ErrXAmzContentSHA256Mismatch.With(
		"The provided 'x-amz-content-sha256' header does not match what was computed.")
}

// hashReader passes a body through, hashing it, and fails at EOF if the
// hash differs from the signed one.
type hashReader struct {
	body io.ReadCloser
	hash hash.Hash
	want []byte
	err  error
}

// Read implements io.Reader.
func (h *hashReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.body.Read(p)
	h.hash.Write(p[:n])
	switch {
	case err == io.EOF:
		if !hmac.Equal(h.hash.Sum(nil), h.want) {
			err = errHashMismatch()
		}
		h.err = err
	case err != nil:
		err = bodyError(err)
		h.err = err
	}
	return n, err
}

// Close closes the underlying body.
func (h *hashReader) Close() error { return h.body.Close() }

// bodyError maps a read error of the underlying body: a body cut short is
// ErrIncompleteBody; anything else (a cancelled request, a size limit) is
// returned as it is.
func bodyError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errIncomplete("The request body ended before the length its " +
			"Content-Length announced")
	}
	return err
}

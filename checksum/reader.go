package checksum

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"

	"gatehouse.dev/gatehouse"
)

// Reader hashes what passes through it: always MD5, plus the expected
// additional algorithm if any. It is not safe for concurrent use.
type Reader struct {
	src    io.Reader
	expect Expect
	md5    hash.Hash
	extra  hash.Hash // nil without an additional algorithm
	n      int64
	eof    bool
}

// NewReader wraps r. e is normally the result of ParseRequest; an unknown
// algorithm in e makes Seal fail.
func NewReader(r io.Reader, e Expect) *Reader {
	cr := &Reader{src: r, expect: e, md5: md5.New()}
	if e.Algorithm != gatehouse.ChecksumNone {
		cr.extra, _ = New(e.Algorithm)
	}
	return cr
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.src.Read(p)
	if n > 0 {
		r.md5.Write(p[:n])
		if r.extra != nil {
			r.extra.Write(p[:n])
		}
		r.n += int64(n)
	}
	if err == io.EOF {
		r.eof = true
	}
	return n, err
}

// Size returns the number of bytes read so far.
func (r *Reader) Size() int64 { return r.n }

// Seal is called after EOF. trailer is the request's trailing headers
// (may be nil). It checks Content-MD5 (ErrBadDigest) and the additional
// checksum (ErrInvalidChecksum / BadDigest), and returns the size, the
// quoted hex-MD5 ETag and the checksum to store. A checksum expected in a
// trailer that is absent is ErrInvalidRequest.
func (r *Reader) Seal(trailer http.Header) (gatehouse.Sealed, error) {
	if !r.eof {
		return gatehouse.Sealed{}, fmt.Errorf("checksum: seal before the end of the body: %w",
			gatehouse.ErrInternal)
	}
	sum := r.md5.Sum(nil)
	if err := r.checkMD5(sum); err != nil {
		return gatehouse.Sealed{}, err
	}
	s := gatehouse.Sealed{Size: r.n, ETag: `"` + hex.EncodeToString(sum) + `"`}

	if r.expect.Algorithm == gatehouse.ChecksumNone {
		return s, nil
	}
	if r.extra == nil {
		return gatehouse.Sealed{}, gatehouse.ErrInvalidRequest.With(
			"no checksum algorithm %q", clip(string(r.expect.Algorithm)))
	}
	value := Encode(r.extra.Sum(nil))
	if err := r.checkExtra(value, trailer); err != nil {
		return gatehouse.Sealed{}, err
	}
	s.Checksum = gatehouse.Checksum{Algorithm: r.expect.Algorithm,
		Type: gatehouse.ChecksumTypeFullObject, Value: value}
	return s, nil
}

// checkMD5 compares the body's MD5 with Content-MD5, if given.
func (r *Reader) checkMD5(sum []byte) error {
	if r.expect.ContentMD5 == "" {
		return nil
	}
	want, err := base64.StdEncoding.DecodeString(r.expect.ContentMD5)
	if err != nil || len(want) != md5.Size {
		return gatehouse.ErrInvalidDigest.With("The Content-MD5 you specified is not valid.")
	}
	if subtle.ConstantTimeCompare(sum, want) != 1 {
		return gatehouse.ErrBadDigest.With(
			"The Content-MD5 you specified did not match what we received.")
	}
	return nil
}

// checkExtra compares the computed additional checksum with the one the
// client gave in a header or a trailer.
func (r *Reader) checkExtra(value string, trailer http.Header) error {
	want := r.expect.Value
	if r.expect.FromTrailer {
		want = trailer.Get(HeaderName(r.expect.Algorithm))
		if want == "" {
			return gatehouse.ErrInvalidRequest.With("The %s trailer announced in "+
				"x-amz-trailer was not sent.", HeaderName(r.expect.Algorithm))
		}
	}
	if want == "" {
		return nil // only the algorithm was named: S3 computes and stores it
	}
	// Compare bytes, not spellings of them.
	got, _ := base64.StdEncoding.DecodeString(value)
	wantSum, err := base64.StdEncoding.DecodeString(want)
	if err != nil || subtle.ConstantTimeCompare(wantSum, got) != 1 {
		return wrongChecksum(r.expect.Algorithm)
	}
	return nil
}

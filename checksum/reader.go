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
	"sync"

	"gatehouse.dev/gatehouse"
)

// chunkSize is how many bytes the Reader gathers before handing them to
// the hashing goroutine: large enough that starting a goroutine per chunk
// costs nothing next to hashing it (about 0.4 ms for MD5), small enough to
// stay in a core's cache on the way.
const chunkSize = 256 << 10

// chunks recycles staging buffers between requests.
var chunks = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// Reader hashes what passes through it: always MD5, plus the expected
// additional algorithm if any. It is not safe for concurrent use.
//
// The hashing runs beside the reading. MD5 runs at about 700 MB/s on one
// core, slower than a loopback socket and a file write together, so done
// in line it would set the pace of every large write. Instead Read copies
// what it returns into a staging buffer, and each full buffer is hashed on
// goroutines while the caller goes on reading and writing the next one;
// a large write then costs the longer of the hashing and the I/O, not
// their sum, when a second core is free. At most one chunk is being hashed
// at a time, and its goroutines end on their own once it is hashed,
// whatever the caller does next: a Reader abandoned midway leaks nothing.
//
// Bodies shorter than a chunk are hashed in line, at their end.
type Reader struct {
	src    io.Reader
	expect Expect
	md5    hash.Hash
	extra  hash.Hash // nil without an additional algorithm
	n      int64
	eof    bool
	err    error // the first error src returned other than io.EOF

	stage   *[]byte         // bytes read but not yet hashed; nil until needed
	staged  int             // how much of stage is filled
	spare   *[]byte         // the buffer being hashed, or free; nil until needed
	hashing *sync.WaitGroup // the hashing of spare; nil if none runs
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

// Read implements io.Reader. Errors from the wrapped reader are returned
// unchanged; after one, Read keeps returning it, and Seal fails.
func (r *Reader) Read(p []byte) (int, error) {
	switch {
	case r.err != nil:
		return 0, r.err
	case r.eof:
		return 0, io.EOF
	}
	n, err := r.src.Read(p)
	if n > 0 {
		r.n += int64(n)
		r.stageBytes(p[:n])
	}
	switch {
	case err == io.EOF:
		r.finish()
	case err != nil:
		r.abort(err)
	}
	return n, err
}

// stageBytes copies b into the staging buffer, handing each buffer that
// fills up to the hashing goroutine.
func (r *Reader) stageBytes(b []byte) {
	for len(b) > 0 {
		if r.stage == nil {
			r.stage = chunks.Get().(*[]byte)
		}
		c := copy((*r.stage)[r.staged:], b)
		r.staged += c
		b = b[c:]
		if r.staged == len(*r.stage) {
			r.handOff()
		}
	}
}

// handOff starts hashing the full staging buffer, once the previous one
// is done (hashes take their input in order), and makes the spare buffer
// the staging one. MD5 and the additional checksum each get a goroutine,
// so that a SHA256 or CRC64NVME body costs no more time than MD5 alone
// when the cores are there.
func (r *Reader) handOff() {
	r.wait()
	full := *r.stage
	r.stage, r.spare, r.staged = r.spare, r.stage, 0

	r.hashing = new(sync.WaitGroup)
	for _, h := range []hash.Hash{r.md5, r.extra} {
		if h != nil {
			r.hashing.Go(func() { h.Write(full) })
		}
	}
}

// write feeds b to the hashes in line. Writes to a hash.Hash never fail.
func (r *Reader) write(b []byte) {
	r.md5.Write(b)
	if r.extra != nil {
		r.extra.Write(b)
	}
}

// wait blocks until no chunk is being hashed. WaitGroup.Wait orders the
// goroutines' writes to the hashes before what the caller does next.
func (r *Reader) wait() {
	if r.hashing != nil {
		r.hashing.Wait()
		r.hashing = nil
	}
}

// finish hashes what is still staged, at the end of the body, and
// recycles the buffers.
func (r *Reader) finish() {
	r.wait()
	if r.staged > 0 {
		r.write((*r.stage)[:r.staged])
	}
	r.release()
	r.eof = true
}

// abort records err from the body, waits out the hash in flight and
// recycles the buffers: the Reader will not hash again.
func (r *Reader) abort(err error) {
	r.wait()
	r.release()
	r.err = err
}

func (r *Reader) release() {
	for _, b := range []*[]byte{r.stage, r.spare} {
		if b != nil {
			chunks.Put(b)
		}
	}
	r.stage, r.spare, r.staged = nil, nil, 0
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

package s3api

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/checksum"
)

// Bounds on XML request bodies. S3 documents none of them; each is far
// above what a valid request needs, and small enough to decode in memory.
const (
	// maxConfigXML bounds CreateBucketConfiguration and similar bodies.
	maxConfigXML = 64 << 10
	// maxCompleteXML bounds CompleteMultipartUpload: 10,000 parts of
	// about 250 bytes each with a SHA256 checksum, plus slack.
	maxCompleteXML = 4 << 20
	// maxDeleteXML bounds DeleteObjects: 1,000 keys of up to 1,024 bytes,
	// with room for XML escaping.
	maxDeleteXML = 2 << 20
)

// s3NS is the XML namespace of S3 responses.
const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// readXML decodes an XML request body of at most max bytes into v. It
// reads the body to its end before returning, so that the payload
// signature and any Content-MD5 or x-amz-checksum-* value have been
// verified before the caller acts on what was decoded. An empty body is
// io.EOF, which callers with optional bodies accept.
func readXML(q *s3req, max int64, v any) error {
	return readXMLChecked(q, max, v, q.r.Header)
}

// readXMLChecked is readXML verifying the body against the checksum
// headers in h only.
func readXMLChecked(q *s3req, max int64, v any, h http.Header) error {
	expect, err := checksum.ParseRequest(h)
	if err != nil {
		return fmt.Errorf("parse checksum headers: %w", err)
	}
	cr := checksum.NewReader(q.r.Body, expect)
	lr := &io.LimitedReader{R: cr, N: max + 1}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(lr); err != nil {
		return fmt.Errorf("read xml body: %w", err)
	}
	if lr.N == 0 {
		return gatehouse.ErrMaxMessageLengthExceeded.With(
			"Your request was too big: the XML body exceeds %d bytes", max)
	}
	if _, err := cr.Seal(q.auth.Trailer); err != nil {
		return fmt.Errorf("verify xml body: %w", err)
	}
	if buf.Len() == 0 {
		return io.EOF
	}
	if !utf8.Valid(buf.Bytes()) {
		// S3 request bodies are UTF-8; keys in them above all must be.
		return gatehouse.ErrMalformedXML.With(
			"The XML you provided was not well-formed: it is not valid UTF-8")
	}
	if err := xml.NewDecoder(&buf).Decode(v); err != nil {
		return fmt.Errorf("decode xml body: %v: %w", err, gatehouse.ErrMalformedXML)
	}
	return nil
}

// writeXML writes v as an XML response with the given status.
func writeXML(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return fmt.Errorf("encode xml response: %w", err)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// errBodyCut marks a request body that ended before its declared length
// because the client went away.
var errBodyCut = errors.New("request body cut short")

// exactReader yields exactly want bytes from r, failing with
// IncompleteBody when r ends early and with an error when r has more.
type exactReader struct {
	r    io.Reader
	want int64
	n    int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.n >= e.want {
		// Look one byte past the declared length. A well-behaved body
		// is at EOF here; reading on also makes a verifying reader
		// below check what it must check at the end.
		var one [1]byte
		n, err := io.ReadFull(e.r, one[:])
		if n > 0 {
			return 0, gatehouse.ErrIncompleteBody.With(
				"The request body is longer than its declared length of %d bytes", e.want)
		}
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, io.EOF
		}
		return 0, err
	}
	if rem := e.want - e.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := e.r.Read(p)
	e.n += int64(n)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		// The connection closed before the declared length arrived.
		return n, fmt.Errorf("%w after %d of %d bytes: %w", errBodyCut, e.n, e.want,
			gatehouse.ErrIncompleteBody)
	}
	if err == io.EOF && e.n < e.want {
		return n, gatehouse.ErrIncompleteBody.With(
			"You did not provide the number of bytes specified by the Content-Length "+
				"HTTP header: got %d of %d", e.n, e.want)
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// copyOut streams r to w. A reader with WriteTo (the local store's) gets
// to hand w its files, which w passes to the server's sendfile path.
func copyOut(w io.Writer, r io.Reader) (int64, error) {
	return io.Copy(w, r)
}

// writerOnly hides any ReadFrom method of a Writer.
type writerOnly struct{ io.Writer }

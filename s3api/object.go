package s3api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/checksum"
)

// putObject stores the request body as an object (Amazon S3 API
// Reference, PutObject).
func (h *handler) putObject(w *responseWriter, q *s3req) error {
	size, err := contentLength(q.r)
	if err != nil {
		return err
	}
	if size > gatehouse.MaxPutObjectSize {
		return gatehouse.ErrEntityTooLarge.With(
			"Your proposed upload of %d bytes exceeds the maximum allowed object size "+
				"of %d bytes", size, int64(gatehouse.MaxPutObjectSize))
	}
	opts, err := putOptions(q.r.Header)
	if err != nil {
		return err
	}
	expect, err := checksum.ParseRequest(q.r.Header)
	if err != nil {
		return fmt.Errorf("parse checksum headers: %w", err)
	}

	body, seal := q.checkedBody(size, expect)
	opts.Seal = seal
	info, err := h.store.PutObject(q.ctx, q.bucket, q.key, body, opts)
	if err != nil {
		return fmt.Errorf("put object: %w", err)
	}

	w.Header().Set("ETag", info.ETag)
	setChecksumHeaders(w.Header(), info.Checksum)
	w.WriteHeader(http.StatusOK)
	return nil
}

// putOptions reads the metadata and write conditions of a PutObject or
// CreateMultipartUpload.
func putOptions(h http.Header) (gatehouse.PutOptions, error) {
	var opts gatehouse.PutOptions
	if err := checkWriteHeaders(h); err != nil {
		return opts, err
	}
	meta, err := metaFromRequest(h)
	if err != nil {
		return opts, err
	}
	opts.Meta = meta
	return opts, writeConditions(h, &opts)
}

// contentLength is the length of the object bytes a write carries. For an
// aws-chunked body that is x-amz-decoded-content-length, not the framed
// length on the wire. S3 requires it: MissingContentLength otherwise.
func contentLength(r *http.Request) (int64, error) {
	if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, gatehouse.ErrInvalidArgument.With(
				"Invalid x-amz-decoded-content-length: %q", v)
		}
		return n, nil
	}
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") ||
		r.ContentLength < 0 {
		return 0, gatehouse.ErrMissingContentLength
	}
	return r.ContentLength, nil
}

// checkedBody returns the request body, held to exactly size bytes and
// hashed on the way through, and the seal that checks it once read: the
// length, Content-MD5 and any additional checksum, from a header or from
// the trailer of an aws-chunked body.
func (q *s3req) checkedBody(size int64,
	e checksum.Expect) (io.Reader, func() (gatehouse.Sealed, error)) {
	cr := checksum.NewReader(&exactReader{r: q.r.Body, want: size}, e)
	seal := func() (gatehouse.Sealed, error) {
		// The trailer is complete only now that the body is at EOF.
		s, err := cr.Seal(q.auth.Trailer)
		if err != nil {
			return s, fmt.Errorf("verify body: %w", err)
		}
		return s, nil
	}
	return cr, seal
}

// getObject serves GetObject and HeadObject (Amazon S3 API Reference):
// preconditions, then a Range or partNumber, then the headers and, for
// GET, the bytes.
func (h *handler) getObject(w *responseWriter, q *s3req) error {
	if err := checkVersionID(q); err != nil {
		return err
	}
	if err := checkSSEC(q.r.Header); err != nil {
		return err
	}
	part, err := parsePartNumber(q.query)
	if err != nil {
		return err
	}
	obj, err := h.store.OpenObject(q.ctx, q.bucket, q.key)
	if err != nil {
		return fmt.Errorf("open object: %w", err)
	}
	defer obj.Close()
	info := obj.Info()

	hdr := w.Header()
	if err := checkRead(hdr, q.r, info); err != nil {
		return err
	}
	s, err := chooseSpan(hdr, q.r.Header.Get("Range"), part, info)
	if err != nil {
		return err
	}
	if s.length == 0 {
		s.partial = false
	}

	// Open the bytes before setting any header, so that a failure here
	// is still a clean error response.
	var body io.ReadCloser = http.NoBody
	if q.r.Method != http.MethodHead {
		if body, err = obj.Range(s.off, s.length); err != nil {
			return fmt.Errorf("read object: %w", err)
		}
	}
	defer body.Close()

	status := spanHeaders(hdr, q, info, s)
	w.WriteHeader(status)
	if _, err := copyOut(w, body); err != nil {
		return fmt.Errorf("send object: %w", err)
	}
	return nil
}

// spanHeaders sets the response headers for span s of an object and
// returns the status: 206 for a part or range, else 200.
func spanHeaders(hdr http.Header, q *s3req, info gatehouse.ObjectInfo, s span) int {
	setObjectHeaders(hdr, info)
	applyOverrides(hdr, q.query)
	if strings.EqualFold(q.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") &&
		s.whole(info.Size) {
		// A whole-object checksum describes only the whole object.
		setChecksumHeaders(hdr, info.Checksum)
	}
	hdr.Set("Content-Length", strconv.FormatInt(s.length, 10))
	if !s.partial {
		return http.StatusOK
	}
	hdr.Set("Content-Range",
		fmt.Sprintf("bytes %d-%d/%d", s.off, s.off+s.length-1, info.Size))
	return http.StatusPartialContent
}

// deleteObject removes a key; removing a missing key succeeds, as in S3.
func (h *handler) deleteObject(w *responseWriter, q *s3req) error {
	if err := checkVersionID(q); err != nil {
		return err
	}
	if err := h.store.DeleteObject(q.ctx, q.bucket, q.key); err != nil {
		return fmt.Errorf("delete object: %w", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkVersionID accepts only the version ID "null", which on a bucket
// without versioning names the one version there is.
func checkVersionID(q *s3req) error {
	if v, ok := q.query["versionId"]; ok && len(v) > 0 && v[0] != "null" {
		return errNoSuchVersion.With("Invalid version id specified: %q", v[0])
	}
	return nil
}

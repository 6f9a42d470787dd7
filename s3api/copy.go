package s3api

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/checksum"
)

// copySource is the object named by x-amz-copy-source.
type copySource struct {
	bucket gatehouse.BucketName
	key    gatehouse.ObjectKey
}

// parseCopySource reads x-amz-copy-source: "[/]bucket/key[?versionId=v]",
// with the bucket and key URL-encoded (Amazon S3 API Reference,
// CopyObject). The query is split off before decoding, so that an encoded
// "?" (%3F) stays in the key.
func parseCopySource(v string) (copySource, error) {
	path, query, _ := strings.Cut(strings.TrimPrefix(v, "/"), "?")
	if query != "" {
		vals, err := url.ParseQuery(query)
		if err != nil {
			return copySource{}, gatehouse.ErrInvalidArgument.With(
				"Invalid copy source: %q", v)
		}
		if id := vals.Get("versionId"); id != "" && id != "null" {
			return copySource{}, errNoSuchVersion.With("Invalid version id specified: %q", id)
		}
	}
	decoded, err := url.PathUnescape(path)
	if err != nil {
		return copySource{}, gatehouse.ErrInvalidArgument.With(
			"Invalid copy source encoding: %q", v)
	}
	b, k, _ := strings.Cut(decoded, "/")
	if b == "" || k == "" {
		return copySource{}, gatehouse.ErrInvalidArgument.With(
			"Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	src := copySource{gatehouse.BucketName(b), gatehouse.ObjectKey(k)}
	return src, checkNames(src.bucket, src.key)
}

// openCopySource authorizes reading the source of a copy, opens it and
// checks the x-amz-copy-source-if-* conditions. The caller closes it.
func (h *handler) openCopySource(q *s3req) (copySource, gatehouse.Object, error) {
	src, err := parseCopySource(q.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return src, nil, err
	}
	if err := q.allow(gatehouse.ActionRead, src.bucket, src.key); err != nil {
		return src, nil, err
	}
	if err := checkSSEC(q.r.Header); err != nil {
		return src, nil, err
	}
	obj, err := h.store.OpenObject(q.ctx, src.bucket, src.key)
	if err != nil {
		return src, nil, fmt.Errorf("open copy source: %w", err)
	}
	if err := checkCopySource(q.r, obj.Info()); err != nil {
		obj.Close()
		return src, nil, err
	}
	return src, obj, nil
}

type copyObjectResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyObjectResult"`
	ETag         string
	LastModified string
	checksumFields
}

// copyObject answers CopyObject: it streams the source through the same
// checks as a PUT into a new object, never holding it in memory.
func (h *handler) copyObject(w *responseWriter, q *s3req) error {
	directive := strings.ToUpper(q.r.Header.Get("X-Amz-Metadata-Directive"))
	if directive != "" && directive != "COPY" && directive != "REPLACE" {
		return gatehouse.ErrInvalidArgument.With("Unknown metadata directive: %q", directive)
	}
	if err := checkWriteHeaders(q.r.Header); err != nil {
		return err
	}
	src, obj, err := h.openCopySource(q)
	if err != nil {
		return err
	}
	defer obj.Close()
	info := obj.Info()

	if src.bucket == q.bucket && src.key == q.key && directive != "REPLACE" {
		return gatehouse.ErrInvalidRequest.With("This copy request is illegal because it is " +
			"trying to copy an object to itself without changing the object's metadata, " +
			"storage class, website redirect location or encryption attributes.")
	}
	if info.Size > gatehouse.MaxPutObjectSize {
		return gatehouse.ErrInvalidRequest.With("The specified copy source is larger than "+
			"the maximum allowable size for a copy source: %d", int64(gatehouse.MaxPutObjectSize))
	}
	opts := gatehouse.PutOptions{Meta: info.Meta}
	if directive == "REPLACE" {
		if opts.Meta, err = metaFromRequest(q.r.Header); err != nil {
			return err
		}
	}
	alg, err := copyChecksumAlgorithm(q.r.Header, info.Checksum.Algorithm)
	if err != nil {
		return err
	}

	body, err := obj.Range(0, info.Size)
	if err != nil {
		return fmt.Errorf("read copy source: %w", err)
	}
	defer body.Close()
	cr := checksum.NewReader(&exactReader{r: body, want: info.Size}, checksum.Expect{Algorithm: alg})
	opts.Seal = func() (gatehouse.Sealed, error) { return cr.Seal(nil) }
	out, err := h.store.PutObject(q.ctx, q.bucket, q.key, cr, opts)
	if err != nil {
		return fmt.Errorf("copy object: %w", err)
	}
	return writeXML(w, http.StatusOK, copyObjectResult{
		ETag:           out.ETag,
		LastModified:   s3Time(out.Modified),
		checksumFields: checksumXML(out.Checksum, true),
	})
}

// copyChecksumAlgorithm is the checksum a copy computes: the one the
// request asks for in x-amz-checksum-algorithm, else the source's.
func copyChecksumAlgorithm(h http.Header,
	source gatehouse.ChecksumAlgorithm) (gatehouse.ChecksumAlgorithm, error) {
	v := h.Get("X-Amz-Checksum-Algorithm")
	if v == "" {
		return source, nil
	}
	alg := gatehouse.ChecksumAlgorithm(strings.ToUpper(v))
	switch alg {
	case gatehouse.ChecksumCRC32, gatehouse.ChecksumCRC32C, gatehouse.ChecksumCRC64NVME,
		gatehouse.ChecksumSHA1, gatehouse.ChecksumSHA256:
		return alg, nil
	}
	return "", gatehouse.ErrInvalidRequest.With("Checksum algorithm provided is unsupported: %q", v)
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyPartResult"`
	ETag         string
	LastModified string
	checksumFields
}

// uploadPartCopy answers UploadPartCopy: a part copied from all of an
// object or from x-amz-copy-source-range.
func (h *handler) uploadPartCopy(w *responseWriter, q *s3req) error {
	part, err := requiredPartNumber(q.query)
	if err != nil {
		return err
	}
	u, err := h.upload(q)
	if err != nil {
		return err
	}
	_, obj, err := h.openCopySource(q)
	if err != nil {
		return err
	}
	defer obj.Close()
	info := obj.Info()
	s, err := copyRange(q.r.Header.Get("X-Amz-Copy-Source-Range"), info.Size)
	if err != nil {
		return err
	}
	if s.length > gatehouse.MaxPartSize {
		return gatehouse.ErrEntityTooLarge.With(
			"Your proposed part of %d bytes exceeds the maximum allowed part size of %d bytes",
			s.length, int64(gatehouse.MaxPartSize))
	}

	body, err := obj.Range(s.off, s.length)
	if err != nil {
		return fmt.Errorf("read copy source: %w", err)
	}
	defer body.Close()
	cr := checksum.NewReader(&exactReader{r: body, want: s.length},
		checksum.Expect{Algorithm: u.ChecksumAlgorithm})
	pi, err := h.store.UploadPart(q.ctx, q.bucket, q.key, u.ID, part, cr,
		gatehouse.PutOptions{Seal: func() (gatehouse.Sealed, error) { return cr.Seal(nil) }})
	if err != nil {
		return fmt.Errorf("upload part copy %d: %w", part, err)
	}
	return writeXML(w, http.StatusOK, copyPartResult{
		ETag:           pi.ETag,
		LastModified:   s3Time(pi.Modified),
		checksumFields: checksumXML(pi.Checksum, false),
	})
}

// copyRange parses x-amz-copy-source-range, which unlike Range must be
// exactly "bytes=first-last" within the source (Amazon S3 API Reference,
// UploadPartCopy). An empty header copies the whole source.
func copyRange(v string, size int64) (span, error) {
	if v == "" {
		return span{off: 0, length: size}, nil
	}
	bad := gatehouse.ErrInvalidArgument.With("The x-amz-copy-source-range value must be of "+
		"the form bytes=first-last where first and last are the zero-based offsets of the "+
		"first and last bytes to copy: %q", v)
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return span{}, bad
	}
	a, b, ok := strings.Cut(spec, "-")
	first, ok1 := parseDigits(a)
	last, ok2 := parseDigits(b)
	if !ok || !ok1 || !ok2 || first > last {
		return span{}, bad
	}
	if last >= size {
		return span{}, gatehouse.ErrInvalidArgument.With(
			"Range specified is not valid for source object of size: %d", size)
	}
	return span{off: first, length: last - first + 1}, nil
}

package s3api

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/checksum"
)

// errNoSeal is the seal of writes that have no body of their own; the
// store contract says it is not called for them.
func errNoSeal() (gatehouse.Sealed, error) {
	return gatehouse.Sealed{}, fmt.Errorf("seal called for a write without a body: %w",
		gatehouse.ErrInternal)
}

type initiateMultipartUploadResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ InitiateMultipartUploadResult"`
	Bucket   string
	Key      string
	UploadID string `xml:"UploadId"`
}

// createUpload answers CreateMultipartUpload. The metadata and the
// announced checksum algorithm and type are fixed here for the object the
// upload will become.
func (h *handler) createUpload(w *responseWriter, q *s3req) error {
	if err := checkWriteHeaders(q.r.Header); err != nil {
		return err
	}
	meta, err := metaFromRequest(q.r.Header)
	if err != nil {
		return err
	}
	alg, typ, err := uploadChecksum(q.r.Header)
	if err != nil {
		return err
	}
	opts := gatehouse.PutOptions{
		Meta: meta, ChecksumAlgorithm: alg, ChecksumType: typ, Seal: errNoSeal,
	}
	id, err := h.store.CreateMultipartUpload(q.ctx, q.bucket, q.key, opts)
	if err != nil {
		return fmt.Errorf("create multipart upload: %w", err)
	}
	if alg != gatehouse.ChecksumNone {
		w.Header().Set("X-Amz-Checksum-Algorithm", string(alg))
		w.Header().Set("X-Amz-Checksum-Type", string(typ))
	}
	return writeXML(w, http.StatusOK, initiateMultipartUploadResult{
		Bucket: string(q.bucket), Key: string(q.key), UploadID: string(id),
	})
}

// uploadChecksum reads x-amz-checksum-algorithm and x-amz-checksum-type
// of CreateMultipartUpload. The type defaults to FULL_OBJECT for
// CRC64NVME and to COMPOSITE otherwise; SHA digests cannot be combined
// into a FULL_OBJECT checksum and CRC64NVME has no COMPOSITE form (Amazon
// S3 User Guide, "Checking object integrity").
func uploadChecksum(h http.Header) (gatehouse.ChecksumAlgorithm, gatehouse.ChecksumType, error) {
	alg := gatehouse.ChecksumAlgorithm(strings.ToUpper(h.Get("X-Amz-Checksum-Algorithm")))
	typ := gatehouse.ChecksumType(strings.ToUpper(h.Get("X-Amz-Checksum-Type")))
	switch alg {
	case gatehouse.ChecksumNone:
		if typ != gatehouse.ChecksumTypeNone {
			return alg, typ, gatehouse.ErrInvalidRequest.With(
				"The x-amz-checksum-type header can only be used with the " +
					"x-amz-checksum-algorithm header.")
		}
		return alg, typ, nil
	case gatehouse.ChecksumCRC32, gatehouse.ChecksumCRC32C, gatehouse.ChecksumCRC64NVME,
		gatehouse.ChecksumSHA1, gatehouse.ChecksumSHA256:
	default:
		return alg, typ, gatehouse.ErrInvalidRequest.With(
			"Checksum algorithm provided is unsupported: %q", alg)
	}
	if typ == gatehouse.ChecksumTypeNone {
		typ = gatehouse.ChecksumTypeComposite
		if alg == gatehouse.ChecksumCRC64NVME {
			typ = gatehouse.ChecksumTypeFullObject
		}
	}
	sha := alg == gatehouse.ChecksumSHA1 || alg == gatehouse.ChecksumSHA256
	switch {
	case typ != gatehouse.ChecksumTypeComposite && typ != gatehouse.ChecksumTypeFullObject,
		sha && typ == gatehouse.ChecksumTypeFullObject,
		alg == gatehouse.ChecksumCRC64NVME && typ == gatehouse.ChecksumTypeComposite:
		return alg, typ, gatehouse.ErrInvalidRequest.With(
			"The %s checksum type cannot be used with the %s checksum algorithm.", typ, alg)
	}
	return alg, typ, nil
}

// upload looks up the upload a part request names, so that a missing
// upload fails before any body is read.
func (h *handler) upload(q *s3req) (gatehouse.UploadInfo, error) {
	id := gatehouse.UploadID(q.query.Get("uploadId"))
	res, err := h.store.ListParts(q.ctx, q.bucket, q.key, id, 0, 1)
	if err != nil {
		return gatehouse.UploadInfo{}, fmt.Errorf("look up upload: %w", err)
	}
	return res.Upload, nil
}

// requiredPartNumber reads partNumber for UploadPart and UploadPartCopy.
func requiredPartNumber(q url.Values) (int, error) {
	n, err := parsePartNumber(q)
	if err == nil && n == 0 {
		err = gatehouse.ErrInvalidArgument.With("Part number must be specified")
	}
	return n, err
}

// partExpect applies the upload's checksum algorithm to a part. A part
// sent without a checksum gets one computed, so that the composite or
// full-object checksum can be formed at completion; a part sent with
// another algorithm is refused, as S3 does.
func partExpect(e checksum.Expect, u gatehouse.UploadInfo) (checksum.Expect, error) {
	switch {
	case u.ChecksumAlgorithm == gatehouse.ChecksumNone:
	case e.Algorithm == gatehouse.ChecksumNone:
		e.Algorithm = u.ChecksumAlgorithm
	case e.Algorithm != u.ChecksumAlgorithm:
		return e, gatehouse.ErrInvalidRequest.With(
			"Checksum Type mismatch occurred, expected checksum Type: %s, actual "+
				"checksum Type: %s", strings.ToLower(string(u.ChecksumAlgorithm)),
			strings.ToLower(string(e.Algorithm)))
	}
	return e, nil
}

// uploadPart answers UploadPart.
func (h *handler) uploadPart(w *responseWriter, q *s3req) error {
	part, err := requiredPartNumber(q.query)
	if err != nil {
		return err
	}
	size, err := contentLength(q.r)
	if err != nil {
		return err
	}
	if size > gatehouse.MaxPartSize {
		return gatehouse.ErrEntityTooLarge.With(
			"Your proposed part of %d bytes exceeds the maximum allowed part size of %d bytes",
			size, int64(gatehouse.MaxPartSize))
	}
	if err := checkSSEC(q.r.Header); err != nil {
		return err
	}
	u, err := h.upload(q)
	if err != nil {
		return err
	}
	expect, err := checksum.ParseRequest(q.r.Header)
	if err != nil {
		return fmt.Errorf("parse checksum headers: %w", err)
	}
	if expect, err = partExpect(expect, u); err != nil {
		return err
	}

	body, seal := q.checkedBody(size, expect)
	pi, err := h.store.UploadPart(q.ctx, q.bucket, q.key, u.ID, part, body,
		gatehouse.PutOptions{Seal: seal})
	if err != nil {
		return fmt.Errorf("upload part %d: %w", part, err)
	}
	w.Header().Set("ETag", pi.ETag)
	setChecksumHeaders(w.Header(), pi.Checksum)
	w.WriteHeader(http.StatusOK)
	return nil
}

// checksumFields holds an object checksum in the XML element named for
// its algorithm, as S3 result bodies carry it.
type checksumFields struct {
	ChecksumCRC32     string `xml:",omitempty"`
	ChecksumCRC32C    string `xml:",omitempty"`
	ChecksumCRC64NVME string `xml:",omitempty"`
	ChecksumSHA1      string `xml:",omitempty"`
	ChecksumSHA256    string `xml:",omitempty"`
	ChecksumType      string `xml:",omitempty"`
}

func checksumXML(c gatehouse.Checksum, withType bool) checksumFields {
	var f checksumFields
	switch c.Algorithm {
	case gatehouse.ChecksumCRC32:
		f.ChecksumCRC32 = c.Value
	case gatehouse.ChecksumCRC32C:
		f.ChecksumCRC32C = c.Value
	case gatehouse.ChecksumCRC64NVME:
		f.ChecksumCRC64NVME = c.Value
	case gatehouse.ChecksumSHA1:
		f.ChecksumSHA1 = c.Value
	case gatehouse.ChecksumSHA256:
		f.ChecksumSHA256 = c.Value
	}
	if withType && c.Value != "" {
		f.ChecksumType = string(c.Type)
	}
	return f
}

// abortUpload answers AbortMultipartUpload.
func (h *handler) abortUpload(w *responseWriter, q *s3req) error {
	id := gatehouse.UploadID(q.query.Get("uploadId"))
	if err := h.store.AbortMultipartUpload(q.ctx, q.bucket, q.key, id); err != nil {
		return fmt.Errorf("abort multipart upload: %w", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type listPartsResult struct {
	XMLName              xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListPartsResult"`
	Bucket               string
	Key                  string
	UploadID             string `xml:"UploadId"`
	Initiator            owner
	Owner                owner
	StorageClass         string
	PartNumberMarker     int
	NextPartNumberMarker int `xml:",omitempty"`
	MaxParts             int
	IsTruncated          bool
	Parts                []partEntry `xml:"Part"`
	ChecksumAlgorithm    string      `xml:",omitempty"`
	ChecksumType         string      `xml:",omitempty"`
}

type partEntry struct {
	PartNumber   int
	LastModified string
	ETag         string
	Size         int64
	checksumFields
}

// listParts answers ListParts.
func (h *handler) listParts(w *responseWriter, q *s3req) error {
	marker := 0
	if v := q.query.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return gatehouse.ErrInvalidArgument.With(
				"Invalid part-number-marker: %q", v)
		}
		marker = n
	}
	maxParts, err := parseMax(q.query, "max-parts", 1000)
	if err != nil {
		return err
	}
	id := gatehouse.UploadID(q.query.Get("uploadId"))
	// The store reads a page size of 0 as its default; ask for one part
	// and drop it.
	res, err := h.store.ListParts(q.ctx, q.bucket, q.key, id, marker, max(maxParts, 1))
	if err != nil {
		return fmt.Errorf("list parts: %w", err)
	}
	if maxParts == 0 {
		res.Truncated = res.Truncated || len(res.Parts) > 0
		res.Parts = nil
	}

	o := q.owner()
	out := listPartsResult{
		Bucket:            string(q.bucket),
		Key:               string(q.key),
		UploadID:          string(id),
		Initiator:         o,
		Owner:             o,
		StorageClass:      "STANDARD",
		PartNumberMarker:  marker,
		MaxParts:          maxParts,
		IsTruncated:       res.Truncated,
		ChecksumAlgorithm: string(res.Upload.ChecksumAlgorithm),
		ChecksumType:      string(res.Upload.ChecksumType),
	}
	if res.Truncated {
		out.NextPartNumberMarker = res.NextMarker
	}
	for _, p := range res.Parts {
		out.Parts = append(out.Parts, partEntry{
			PartNumber:     p.Number,
			LastModified:   s3Time(p.Modified),
			ETag:           p.ETag,
			Size:           p.Size,
			checksumFields: checksumXML(p.Checksum, false),
		})
	}
	return writeXML(w, http.StatusOK, out)
}

type listUploadsResult struct {
	XMLName            xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListMultipartUploadsResult"`
	Bucket             string
	KeyMarker          string
	UploadIDMarker     string `xml:"UploadIdMarker"`
	NextKeyMarker      string `xml:",omitempty"`
	NextUploadIDMarker string `xml:"NextUploadIdMarker,omitempty"`
	Prefix             string
	Delimiter          string `xml:",omitempty"`
	MaxUploads         int
	IsTruncated        bool
	EncodingType       string        `xml:",omitempty"`
	Uploads            []uploadEntry `xml:"Upload"`
	CommonPrefixes     []commonPrefix
}

type uploadEntry struct {
	Key               string
	UploadID          string `xml:"UploadId"`
	Initiator         owner
	Owner             owner
	StorageClass      string
	Initiated         string
	ChecksumAlgorithm string `xml:",omitempty"`
	ChecksumType      string `xml:",omitempty"`
}

// listUploads answers ListMultipartUploads.
func (h *handler) listUploads(w *responseWriter, q *s3req) error {
	l, err := parseListQuery(q.query, "max-uploads")
	if err != nil {
		return err
	}
	keyMarker := q.query.Get("key-marker")
	if err := checkUTF8("key-marker", keyMarker); err != nil {
		return err
	}
	idMarker := gatehouse.UploadID(q.query.Get("upload-id-marker"))
	res, err := h.store.ListMultipartUploads(q.ctx, q.bucket, gatehouse.ListUploadsOptions{
		Prefix: l.prefix, Delimiter: l.delimiter, KeyMarker: keyMarker,
		UploadIDMarker: idMarker, Max: max(l.max, 1),
	})
	if err != nil {
		return fmt.Errorf("list multipart uploads: %w", err)
	}
	if l.max == 0 {
		res.Truncated = res.Truncated || len(res.Uploads)+len(res.CommonPrefixes) > 0
		res.Uploads, res.CommonPrefixes = nil, nil
	}

	o := q.owner()
	out := listUploadsResult{
		Bucket:         string(q.bucket),
		KeyMarker:      l.encode(keyMarker),
		UploadIDMarker: string(idMarker),
		Prefix:         l.encode(l.prefix),
		Delimiter:      l.encode(l.delimiter),
		MaxUploads:     l.max,
		IsTruncated:    res.Truncated,
		EncodingType:   l.encodingType,
	}
	if res.Truncated {
		out.NextKeyMarker = l.encode(res.NextKeyMarker)
		out.NextUploadIDMarker = string(res.NextUploadIDMarker)
	}
	for _, u := range res.Uploads {
		out.Uploads = append(out.Uploads, uploadEntry{
			Key:               l.encode(string(u.Key)),
			UploadID:          string(u.ID),
			Initiator:         o,
			Owner:             o,
			StorageClass:      "STANDARD",
			Initiated:         s3Time(u.Initiated),
			ChecksumAlgorithm: string(u.ChecksumAlgorithm),
			ChecksumType:      string(u.ChecksumType),
		})
	}
	for _, p := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: l.encode(p)})
	}
	return writeXML(w, http.StatusOK, out)
}

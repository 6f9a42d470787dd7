package s3api

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
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

// completeMultipartUpload is the body of CompleteMultipartUpload. Element
// names match in any namespace.
type completeMultipartUpload struct {
	XMLName xml.Name       `xml:"CompleteMultipartUpload"`
	Parts   []completePart `xml:"Part"`
}

type completePart struct {
	PartNumber        int
	ETag              string
	ChecksumCRC32     string
	ChecksumCRC32C    string
	ChecksumCRC64NVME string
	ChecksumSHA1      string
	ChecksumSHA256    string
}

// checksum is the one part checksum the client sent, if any.
func (p completePart) checksum() string {
	for _, c := range []string{p.ChecksumCRC32, p.ChecksumCRC32C, p.ChecksumCRC64NVME,
		p.ChecksumSHA1, p.ChecksumSHA256} {
		if c != "" {
			return c
		}
	}
	return ""
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

type completeMultipartUploadResult struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CompleteMultipartUploadResult"`
	Location string
	Bucket   string
	Key      string
	ETag     string
	checksumFields
}

// completeUpload answers CompleteMultipartUpload. Unlike S3, which may
// answer 200 and put an error in the body, every failure here is an error
// status: the store publishes the object in one transaction, so there is
// no long-running work to keep the connection alive for.
func (h *handler) completeUpload(w *responseWriter, q *s3req) error {
	opts := gatehouse.PutOptions{Seal: errNoSeal}
	if err := writeConditions(q.r.Header, &opts); err != nil {
		return err
	}
	// Here x-amz-checksum-* describe the object, not the XML body; only
	// Content-MD5 is about the body.
	bodySums := http.Header{"Content-Md5": q.r.Header.Values("Content-Md5")}
	var body completeMultipartUpload
	if err := readXMLChecked(q, maxCompleteXML, &body, bodySums); err != nil {
		if errors.Is(err, io.EOF) {
			return gatehouse.ErrMalformedXML
		}
		return err
	}
	parts, err := completeParts(body.Parts)
	if err != nil {
		return err
	}

	if err := h.checkWholeObject(q, parts); err != nil {
		return err
	}
	id := gatehouse.UploadID(q.query.Get("uploadId"))
	info, err := h.store.CompleteMultipartUpload(q.ctx, q.bucket, q.key, id, parts, opts)
	if err != nil {
		return fmt.Errorf("complete multipart upload: %w", err)
	}
	return writeXML(w, http.StatusOK, completeMultipartUploadResult{
		Location:       objectURL(q),
		Bucket:         string(q.bucket),
		Key:            string(q.key),
		ETag:           info.ETag,
		checksumFields: checksumXML(info.Checksum, true),
	})
}

// completeParts checks the part list of CompleteMultipartUpload: at least
// one part, numbers in range and strictly ascending.
func completeParts(in []completePart) ([]gatehouse.CompletePart, error) {
	if len(in) == 0 {
		return nil, gatehouse.ErrMalformedXML.With(
			"The XML you provided was not well-formed or did not validate against our " +
				"published schema: you must specify at least one part")
	}
	out := make([]gatehouse.CompletePart, 0, len(in))
	for i, p := range in {
		if p.PartNumber < 1 || p.PartNumber > gatehouse.MaxPartNumber {
			return nil, gatehouse.ErrInvalidPart.With(
				"Part number %d is not between 1 and %d", p.PartNumber, gatehouse.MaxPartNumber)
		}
		if i > 0 && p.PartNumber <= in[i-1].PartNumber {
			return nil, gatehouse.ErrInvalidPartOrder
		}
		out = append(out, gatehouse.CompletePart{
			Number: p.PartNumber, ETag: quoteETag(p.ETag), Checksum: p.checksum(),
		})
	}
	return out, nil
}

// checkWholeObject verifies, before anything is published, the optional
// whole-object expectations of CompleteMultipartUpload: the object's
// checksum in x-amz-checksum-<algorithm> and its size in
// x-amz-mp-object-size (Amazon S3 API Reference, CompleteMultipartUpload).
// Both are computed from the stored parts the request lists; parts that
// do not exist are left for the store to refuse as InvalidPart.
func (h *handler) checkWholeObject(q *s3req, parts []gatehouse.CompletePart) error {
	alg, want := requestChecksum(q.r.Header)
	wantSize := q.r.Header.Get("X-Amz-Mp-Object-Size")
	if want == "" && wantSize == "" {
		return nil
	}
	u, stored, err := h.allParts(q)
	if err != nil {
		return err
	}
	var sums []string
	var sizes []int64
	var total int64
	for _, p := range parts {
		sp, ok := stored[p.Number]
		if !ok {
			return nil
		}
		sums, sizes = append(sums, sp.Checksum.Value), append(sizes, sp.Size)
		total += sp.Size
	}
	if wantSize != "" && wantSize != strconv.FormatInt(total, 10) {
		return gatehouse.ErrInvalidRequest.With(
			"The provided x-amz-mp-object-size %q does not match the object size %d",
			wantSize, total)
	}
	if want == "" {
		return nil
	}
	return checkObjectChecksum(u, alg, want, sums, sizes)
}

// checkObjectChecksum compares a client's whole-object checksum with the
// one the listed parts make under the upload's checksum type.
func checkObjectChecksum(u gatehouse.UploadInfo, alg gatehouse.ChecksumAlgorithm, want string,
	sums []string, sizes []int64) error {
	if alg != u.ChecksumAlgorithm {
		return gatehouse.ErrInvalidRequest.With("The upload was created with the %q checksum "+
			"algorithm, not %s", u.ChecksumAlgorithm, alg)
	}
	var got string
	var err error
	if u.ChecksumType == gatehouse.ChecksumTypeFullObject {
		got, err = checksum.FullObject(alg, sums, sizes)
	} else {
		got, err = checksum.Composite(alg, sums)
	}
	if err != nil {
		return fmt.Errorf("combine part checksums: %w", err)
	}
	// A composite value may be given with or without its "-N" suffix.
	bare := func(v string) string { b, _, _ := strings.Cut(v, "-"); return b }
	if bare(got) != bare(want) {
		return gatehouse.ErrInvalidChecksum.With("The %s you specified did not match the "+
			"calculated checksum.", checksumHeader(alg))
	}
	return nil
}

// requestChecksum returns the first x-amz-checksum-<algorithm> header of h.
func requestChecksum(h http.Header) (gatehouse.ChecksumAlgorithm, string) {
	for _, alg := range checksum.Algorithms {
		if v := h.Get(checksumHeader(alg)); v != "" {
			return alg, v
		}
	}
	return gatehouse.ChecksumNone, ""
}

// allParts reads every part of the request's upload, page by page.
func (h *handler) allParts(q *s3req) (gatehouse.UploadInfo, map[int]gatehouse.PartInfo, error) {
	id := gatehouse.UploadID(q.query.Get("uploadId"))
	parts := make(map[int]gatehouse.PartInfo)
	for marker := 0; ; {
		res, err := h.store.ListParts(q.ctx, q.bucket, q.key, id, marker, 1000)
		if err != nil {
			return res.Upload, nil, fmt.Errorf("list parts: %w", err)
		}
		for _, p := range res.Parts {
			parts[p.Number] = p
		}
		if !res.Truncated || len(res.Parts) == 0 {
			return res.Upload, parts, nil
		}
		marker = res.NextMarker
	}
}

// objectURL is the URL of the request's object, for result bodies.
func objectURL(q *s3req) string {
	scheme := "http"
	if q.r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: q.r.Host, Path: "/" + string(q.bucket) + "/" + string(q.key)}
	return u.String()
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

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

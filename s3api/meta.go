package s3api

import (
	"net/http"
	"strconv"
	"strings"

	"gatehouse.dev/gatehouse"
)

// defaultContentType is what S3 stores when a PUT names no Content-Type.
const defaultContentType = "binary/octet-stream"

// maxWriteHeaderBytes bounds the header section of a write (PutObject,
// CopyObject, CreateMultipartUpload, CreateBucket): the header fields
// other than Host, each counted as "Name: value\r\n". The Amazon S3 User
// Guide ("Working with object metadata") limits the PUT request header
// to 8 KB. The server bounds every request's line and headers together
// at 16 KiB before the handler sees them.
const maxWriteHeaderBytes = 8 << 10

// metaFromRequest reads the stored metadata a PutObject, a
// CreateMultipartUpload or a REPLACE copy carries: the content headers and
// x-amz-meta-* (keys lower-cased). It fails with MetadataTooLarge when the
// user metadata exceeds 2 KiB, counted as the Amazon S3 User Guide says:
// the bytes of each key and value.
func metaFromRequest(h http.Header) (gatehouse.ObjectMeta, error) {
	m := gatehouse.ObjectMeta{
		ContentType:        h.Get("Content-Type"),
		ContentEncoding:    withoutAWSChunked(h.Values("Content-Encoding")),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
	}
	if m.ContentType == "" {
		m.ContentType = defaultContentType
	}
	size := 0
	for name, vals := range h {
		lower := strings.ToLower(name)
		k, ok := strings.CutPrefix(lower, "x-amz-meta-")
		if !ok || k == "" {
			continue
		}
		if m.User == nil {
			m.User = make(map[string]string)
		}
		v := strings.Join(vals, ",")
		m.User[k] = v
		size += len(k) + len(v)
	}
	if size > gatehouse.MaxUserMetaBytes {
		return m, gatehouse.ErrMetadataTooLarge.With(
			"Your metadata headers exceed the maximum allowed metadata size: "+
				"%d bytes, limit %d", size, gatehouse.MaxUserMetaBytes)
	}
	return m, nil
}

// withoutAWSChunked drops the "aws-chunked" coding, which describes the
// transfer framing of a streaming upload and not the stored content
// (Amazon S3 API Reference, "Signature Calculations for the Authorization
// Header: Transferring Payload in Multiple Chunks").
func withoutAWSChunked(values []string) string {
	var keep []string
	for _, v := range values {
		for _, c := range strings.Split(v, ",") {
			c = strings.TrimSpace(c)
			if c != "" && !strings.EqualFold(c, "aws-chunked") {
				keep = append(keep, c)
			}
		}
	}
	return strings.Join(keep, ",")
}

// setObjectHeaders sets the headers GET and HEAD return for an object.
func setObjectHeaders(h http.Header, info gatehouse.ObjectInfo) {
	ct := info.Meta.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	h.Set("Content-Type", ct)
	h.Set("ETag", info.ETag)
	h.Set("Last-Modified", info.Modified.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	setIf(h, "Content-Encoding", info.Meta.ContentEncoding)
	setIf(h, "Content-Disposition", info.Meta.ContentDisposition)
	setIf(h, "Content-Language", info.Meta.ContentLanguage)
	setIf(h, "Cache-Control", info.Meta.CacheControl)
	setIf(h, "Expires", info.Meta.Expires)
	for k, v := range info.Meta.User {
		// Set the lower-case name directly: S3 returns metadata names
		// as stored, and canonicalising would change them.
		h["x-amz-meta-"+k] = []string{v}
	}
	if info.Parts > 0 {
		h.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(info.Parts))
	}
}

// responseOverrides are the GetObject query parameters that replace
// response headers (Amazon S3 API Reference, GetObject, "Overriding
// response header values through the request").
var responseOverrides = []struct{ param, header string }{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

func applyOverrides(h http.Header, q map[string][]string) {
	for _, o := range responseOverrides {
		if v, ok := q[o.param]; ok && len(v) > 0 {
			h.Set(o.header, v[0])
		}
	}
}

// setChecksumHeaders sets x-amz-checksum-<algorithm> and
// x-amz-checksum-type for c, if c is set.
func setChecksumHeaders(h http.Header, c gatehouse.Checksum) {
	if c.Algorithm == gatehouse.ChecksumNone || c.Value == "" {
		return
	}
	h.Set(checksumHeader(c.Algorithm), c.Value)
	if c.Type != gatehouse.ChecksumTypeNone {
		h.Set("X-Amz-Checksum-Type", string(c.Type))
	}
}

func checksumHeader(a gatehouse.ChecksumAlgorithm) string {
	return "X-Amz-Checksum-" + strings.ToLower(string(a))
}

func setIf(h http.Header, k, v string) {
	if v != "" {
		h.Set(k, v)
	}
}

// headerBytes is the size of h as it was sent: each field as
// "Name: value\r\n". net/http has moved Host out of h, so it is not
// counted.
func headerBytes(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// checkWriteHeaders refuses headers asking for features Gatehouse does not
// have, rather than storing an object without them, and bounds the header
// section of a write.
func checkWriteHeaders(h http.Header) error {
	if n := headerBytes(h); n > maxWriteHeaderBytes {
		return gatehouse.ErrRequestHeaderSectionTooLarge.With(
			"Your request header section exceeds the maximum allowed size: %d bytes, "+
				"limit %d", n, maxWriteHeaderBytes)
	}
	if err := checkSSEC(h); err != nil {
		return err
	}
	for _, name := range []string{
		"X-Amz-Server-Side-Encryption", "X-Amz-Object-Lock-Mode",
		"X-Amz-Object-Lock-Retain-Until-Date", "X-Amz-Object-Lock-Legal-Hold",
		"X-Amz-Tagging", "X-Amz-Grant-Read", "X-Amz-Grant-Read-Acp",
		"X-Amz-Grant-Write-Acp", "X-Amz-Grant-Full-Control",
	} {
		if h.Get(name) != "" {
			return gatehouse.ErrNotImplemented.With("The %s header is not implemented",
				strings.ToLower(name))
		}
	}
	switch acl := h.Get("X-Amz-Acl"); acl {
	case "", "private", "bucket-owner-full-control", "bucket-owner-read":
		// Only the owner has access in Gatehouse, which is what these say.
	default:
		return gatehouse.ErrNotImplemented.With("The canned ACL %q is not implemented", acl)
	}
	return nil
}

// checkSSEC refuses server-side encryption with customer-provided keys: a
// client sending its key expects it to be used, and Gatehouse does not.
func checkSSEC(h http.Header) error {
	for _, name := range []string{
		"X-Amz-Server-Side-Encryption-Customer-Algorithm",
		"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Algorithm",
	} {
		if h.Get(name) != "" {
			return gatehouse.ErrNotImplemented.With(
				"Server-side encryption with customer-provided keys is not implemented")
		}
	}
	return nil
}

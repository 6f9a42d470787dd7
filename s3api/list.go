package s3api

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"gatehouse.dev/gatehouse"
)

// listQuery is what ListObjects v1 and v2 share: prefix, delimiter, page
// size and the url encoding of keys in the response.
type listQuery struct {
	prefix, delimiter string
	max               int
	encode            func(string) string
	encodingType      string
}

func parseListQuery(q url.Values, maxName string) (listQuery, error) {
	l := listQuery{prefix: q.Get("prefix"), delimiter: q.Get("delimiter")}
	if err := checkKeyParams(q, "prefix", "delimiter"); err != nil {
		return l, err
	}
	var err error
	if l.max, err = parseMax(q, maxName, gatehouse.MaxListKeys); err != nil {
		return l, err
	}
	l.encode, l.encodingType, err = parseEncodingType(q)
	return l, err
}

// checkKeyParams refuses query parameters, among names, whose values
// are not valid UTF-8: they name keys or parts of keys.
func checkKeyParams(q url.Values, names ...string) error {
	for _, name := range names {
		if err := checkUTF8(name, q.Get(name)); err != nil {
			return err
		}
	}
	return nil
}

// parseMax reads a page-size parameter: absent means limit, larger values
// are clamped to it (as S3 does), and anything but a non-negative integer
// is InvalidArgument.
func parseMax(q url.Values, name string, limit int) (int, error) {
	if !q.Has(name) {
		return limit, nil
	}
	v := q.Get(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, gatehouse.ErrInvalidArgument.With(
			"Provided %s not an integer or within integer range: %q", name, v)
	}
	return min(n, limit), nil
}

// parseEncodingType reads encoding-type. The only encoding S3 defines is
// "url" (Amazon S3 API Reference, ListObjectsV2).
func parseEncodingType(q url.Values) (func(string) string, string, error) {
	switch v := q.Get("encoding-type"); v {
	case "":
		return func(s string) string { return s }, "", nil
	case "url":
		return s3URLEncode, "url", nil
	default:
		return nil, "", gatehouse.ErrInvalidEncodingType.With(
			"Invalid Encoding Method specified in Request: %q", v)
	}
}

// s3URLEncode encodes a key for encoding-type=url. Clients decode these
// values as form-encoded (botocore uses unquote_plus), so a space becomes
// "+" and "+" becomes "%2B"; "/" is left as is for readability.
func s3URLEncode(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/")
}

// listEntry is one object in a listing.
type listEntry struct {
	Key               string
	LastModified      string
	ETag              string
	Size              int64
	StorageClass      string
	Owner             *owner `xml:",omitempty"`
	ChecksumAlgorithm string `xml:",omitempty"`
	ChecksumType      string `xml:",omitempty"`
}

type commonPrefix struct {
	Prefix string
}

func entries(res gatehouse.ListResult, l listQuery, o *owner) ([]listEntry, []commonPrefix) {
	objs := make([]listEntry, 0, len(res.Objects))
	for _, info := range res.Objects {
		objs = append(objs, listEntry{
			Key:               l.encode(string(info.Key)),
			LastModified:      s3Time(info.Modified),
			ETag:              info.ETag,
			Size:              info.Size,
			StorageClass:      "STANDARD",
			Owner:             o,
			ChecksumAlgorithm: string(info.Checksum.Algorithm),
			ChecksumType:      string(info.Checksum.Type),
		})
	}
	var cps []commonPrefix
	for _, p := range res.CommonPrefixes {
		cps = append(cps, commonPrefix{Prefix: l.encode(p)})
	}
	return objs, cps
}

// list fetches one page. A page of zero keys is answered without asking
// for keys, since the store reads Max 0 as "the default".
func (h *handler) list(q *s3req, l listQuery, after string) (gatehouse.ListResult, error) {
	if l.max == 0 {
		_, err := h.store.HeadBucket(q.ctx, q.bucket)
		if err != nil {
			return gatehouse.ListResult{}, fmt.Errorf("head bucket: %w", err)
		}
		return gatehouse.ListResult{}, nil
	}
	res, err := h.store.ListObjects(q.ctx, q.bucket, gatehouse.ListOptions{
		Prefix: l.prefix, Delimiter: l.delimiter, After: after, Max: l.max,
	})
	if err != nil {
		return res, fmt.Errorf("list objects: %w", err)
	}
	return res, nil
}

type listObjectsV1Result struct {
	XMLName        xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name           string
	Prefix         string
	Marker         string
	NextMarker     string `xml:",omitempty"`
	MaxKeys        int
	Delimiter      string `xml:",omitempty"`
	IsTruncated    bool
	EncodingType   string `xml:",omitempty"`
	Contents       []listEntry
	CommonPrefixes []commonPrefix
}

// listObjectsV1 answers ListObjects. NextMarker is returned only when a
// delimiter was given; otherwise clients continue from the last key, as
// the Amazon S3 API Reference (ListObjects) describes.
func (h *handler) listObjectsV1(w *responseWriter, q *s3req) error {
	l, err := parseListQuery(q.query, "max-keys")
	if err != nil {
		return err
	}
	marker := q.query.Get("marker")
	if err := checkUTF8("marker", marker); err != nil {
		return err
	}
	res, err := h.list(q, l, marker)
	if err != nil {
		return err
	}
	o := q.owner()
	out := listObjectsV1Result{
		Name:         string(q.bucket),
		Prefix:       l.encode(l.prefix),
		Marker:       l.encode(marker),
		MaxKeys:      l.max,
		Delimiter:    l.encode(l.delimiter),
		IsTruncated:  res.Truncated,
		EncodingType: l.encodingType,
	}
	out.Contents, out.CommonPrefixes = entries(res, l, &o)
	if res.Truncated && l.delimiter != "" {
		out.NextMarker = l.encode(res.Next)
	}
	return writeXML(w, http.StatusOK, out)
}

type listObjectsV2Result struct {
	XMLName               xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string
	Prefix                string
	StartAfter            string `xml:",omitempty"`
	ContinuationToken     string `xml:",omitempty"`
	NextContinuationToken string `xml:",omitempty"`
	KeyCount              int
	MaxKeys               int
	Delimiter             string `xml:",omitempty"`
	IsTruncated           bool
	EncodingType          string `xml:",omitempty"`
	Contents              []listEntry
	CommonPrefixes        []commonPrefix
}

// listObjectsV2 answers ListObjectsV2. A continuation token takes
// precedence over start-after; owners are listed only with fetch-owner.
func (h *handler) listObjectsV2(w *responseWriter, q *s3req) error {
	l, err := parseListQuery(q.query, "max-keys")
	if err != nil {
		return err
	}
	token := q.query.Get("continuation-token")
	startAfter := q.query.Get("start-after")
	if err := checkUTF8("start-after", startAfter); err != nil {
		return err
	}
	after := startAfter
	if q.query.Has("continuation-token") {
		if after, err = decodeToken(token); err != nil {
			return err
		}
	}
	res, err := h.list(q, l, after)
	if err != nil {
		return err
	}
	var o *owner
	if q.query.Get("fetch-owner") == "true" {
		own := q.owner()
		o = &own
	}
	out := listObjectsV2Result{
		Name:              string(q.bucket),
		Prefix:            l.encode(l.prefix),
		StartAfter:        l.encode(startAfter),
		ContinuationToken: token,
		MaxKeys:           l.max,
		Delimiter:         l.encode(l.delimiter),
		IsTruncated:       res.Truncated,
		EncodingType:      l.encodingType,
	}
	out.Contents, out.CommonPrefixes = entries(res, l, o)
	out.KeyCount = len(out.Contents) + len(out.CommonPrefixes)
	if res.Truncated {
		out.NextContinuationToken = encodeToken(res.Next)
	}
	return writeXML(w, http.StatusOK, out)
}

// tokenVersion is the first byte of a continuation token. Layout, version
// 1: the byte 1, then the last key or common prefix of the page, all in
// unpadded base64url. Tokens are opaque to clients and carry nothing
// secret; they are not signed because any key a client could name is one
// it may list after anyway.
const tokenVersion = 1

func encodeToken(after string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{tokenVersion}, after...))
}

func decodeToken(t string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil || len(b) == 0 || b[0] != tokenVersion {
		return "", gatehouse.ErrInvalidArgument.With(
			"The continuation token provided is incorrect")
	}
	after := string(b[1:])
	return after, checkUTF8("key in the continuation token", after)
}

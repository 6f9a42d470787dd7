package s3api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"gatehouse.dev/gatehouse"
)

// span is the part of an object a GET or HEAD returns.
type span struct {
	off, length int64
	// partial makes the response 206 with a Content-Range.
	partial bool
}

// whole reports whether the span covers the entire object of the given
// size, so that whole-object checksums describe it.
func (s span) whole(size int64) bool { return s.off == 0 && s.length == size }

// chooseSpan picks what to return from the Range header or the partNumber
// parameter. S3 refuses both at once (Amazon S3 API Reference, GetObject).
// An unsatisfiable range is 416 with "Content-Range: bytes */size" set in
// h (RFC 9110 section 15.5.17).
func chooseSpan(h http.Header, rangeHdr string, part int, info gatehouse.ObjectInfo) (span, error) {
	all := span{off: 0, length: info.Size}
	switch {
	case rangeHdr != "" && part > 0:
		return span{}, gatehouse.ErrInvalidRequest.With(
			"Cannot specify both Range header and partNumber query parameter")
	case part > 0:
		return partSpan(part, info)
	case rangeHdr == "":
		return all, nil
	}
	s, ok, err := parseRange(rangeHdr, info.Size)
	if err != nil {
		h.Set("Content-Range", fmt.Sprintf("bytes */%d", info.Size))
		return span{}, err
	}
	if !ok {
		return all, nil
	}
	return s, nil
}

// parseRange parses a single byte range (RFC 9110 section 14.1.2). It
// returns ok false for a header to ignore: another unit, bad syntax, or
// several ranges. S3 does not serve multipart/byteranges, and RFC 9110
// section 14.2 lets a server ignore Range, so those get the whole object.
// A syntactically valid range that selects no byte is ErrInvalidRange.
func parseRange(h string, size int64) (span, bool, error) {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return span{}, false, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return span{}, false, nil
	}
	unsatisfiable := gatehouse.ErrInvalidRange.With(
		"The requested range %q is not satisfiable for an object of %d bytes", h, size)

	if first == "" {
		// Suffix range: the last n bytes.
		n, ok := parseDigits(last)
		if !ok {
			return span{}, false, nil
		}
		if n == 0 || size == 0 {
			return span{}, false, unsatisfiable
		}
		n = min(n, size)
		return span{off: size - n, length: n, partial: true}, true, nil
	}

	start, ok := parseDigits(first)
	if !ok {
		return span{}, false, nil
	}
	end := size - 1
	if last != "" {
		if end, ok = parseDigits(last); !ok || end < start {
			return span{}, false, nil
		}
	}
	if start >= size {
		return span{}, false, unsatisfiable
	}
	end = min(end, size-1)
	return span{off: start, length: end - start + 1, partial: true}, true, nil
}

// parseDigits parses a non-negative decimal; values too large for int64
// saturate, which is as unsatisfiable as the range they came from.
func parseDigits(s string) (int64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 1<<63 - 1, true
	}
	return n, true
}

// partSpan is the span of part n of a multipart object. A single-PUT
// object has one part, itself.
func partSpan(n int, info gatehouse.ObjectInfo) (span, error) {
	if info.Parts == 0 || len(info.PartSizes) == 0 {
		if n != 1 {
			return span{}, errInvalidPartNumber
		}
		return span{off: 0, length: info.Size, partial: true}, nil
	}
	if n > len(info.PartSizes) {
		return span{}, errInvalidPartNumber
	}
	var off int64
	for _, s := range info.PartSizes[:n-1] {
		off += s
	}
	return span{off: off, length: info.PartSizes[n-1], partial: true}, nil
}

// parsePartNumber reads the partNumber query parameter: 0 when absent,
// else 1 to 10,000 (InvalidArgument otherwise).
func parsePartNumber(q url.Values) (int, error) {
	if !q.Has("partNumber") {
		return 0, nil
	}
	v := q.Get("partNumber")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > gatehouse.MaxPartNumber {
		return 0, gatehouse.ErrInvalidArgument.With(
			"Part number must be an integer between 1 and %d, inclusive: %q",
			gatehouse.MaxPartNumber, v)
	}
	return n, nil
}

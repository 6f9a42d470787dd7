package s3api

import (
	"net/http"
	"strings"
	"time"

	"gatehouse.dev/gatehouse"
)

// preconditions are the four conditional headers of a request, under
// whatever names the operation reads them from.
type preconditions struct {
	ifMatch, ifNoneMatch               string
	ifModifiedSince, ifUnmodifiedSince string
}

func getPreconditions(h http.Header) preconditions {
	return preconditions{
		ifMatch:           h.Get("If-Match"),
		ifNoneMatch:       h.Get("If-None-Match"),
		ifModifiedSince:   h.Get("If-Modified-Since"),
		ifUnmodifiedSince: h.Get("If-Unmodified-Since"),
	}
}

func copyPreconditions(h http.Header) preconditions {
	return preconditions{
		ifMatch:           h.Get("X-Amz-Copy-Source-If-Match"),
		ifNoneMatch:       h.Get("X-Amz-Copy-Source-If-None-Match"),
		ifModifiedSince:   h.Get("X-Amz-Copy-Source-If-Modified-Since"),
		ifUnmodifiedSince: h.Get("X-Amz-Copy-Source-If-Unmodified-Since"),
	}
}

// outcome is the result of evaluating preconditions.
type outcome int

const (
	proceed outcome = iota
	notModified
	failed
)

// evaluate applies the preconditions to an object with the given ETag and
// modification time, in the order of RFC 9110 section 13.2.2. S3 follows
// it: with If-Match true and If-Unmodified-Since false the request
// proceeds, and with If-None-Match false and If-Modified-Since true it is
// "not modified" (Amazon S3 API Reference, GetObject).
func (p preconditions) evaluate(etag string, modified time.Time) outcome {
	// HTTP dates have one-second resolution.
	modified = modified.Truncate(time.Second)
	if p.ifMatch != "" {
		if !etagMatches(p.ifMatch, etag) {
			return failed
		}
	} else if t, ok := parseHTTPDate(p.ifUnmodifiedSince); ok && modified.After(t) {
		return failed
	}
	if p.ifNoneMatch != "" {
		if etagMatches(p.ifNoneMatch, etag) {
			return notModified
		}
	} else if t, ok := parseHTTPDate(p.ifModifiedSince); ok && !modified.After(t) {
		return notModified
	}
	return proceed
}

// checkRead evaluates GET and HEAD preconditions: a failed If-Match or
// If-Unmodified-Since is 412; a matching If-None-Match or an unmet
// If-Modified-Since is 304, which carries the validators (RFC 9110
// section 15.4.5).
func checkRead(h http.Header, r *http.Request, info gatehouse.ObjectInfo) error {
	switch getPreconditions(r.Header).evaluate(info.ETag, info.Modified) {
	case failed:
		return gatehouse.ErrPreconditionFailed
	case notModified:
		h.Set("ETag", info.ETag)
		h.Set("Last-Modified", info.Modified.UTC().Format(http.TimeFormat))
		return gatehouse.ErrNotModified
	}
	return nil
}

// checkCopySource evaluates x-amz-copy-source-if-* on the source of a
// copy. Every failure, including a matching If-None-Match, is 412
// (Amazon S3 API Reference, CopyObject).
func checkCopySource(r *http.Request, info gatehouse.ObjectInfo) error {
	if copyPreconditions(r.Header).evaluate(info.ETag, info.Modified) != proceed {
		return gatehouse.ErrPreconditionFailed.With(
			"At least one of the pre-conditions you specified did not hold: " +
				"x-amz-copy-source-if-*")
	}
	return nil
}

// etagMatches reports whether the If-Match or If-None-Match list matches
// etag. "*" matches any object. Comparison ignores quotes and the weak
// prefix: S3 ETags are never weak, and clients differ on quoting.
func etagMatches(list, etag string) bool {
	want := bareETag(etag)
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || bareETag(t) == want {
			return true
		}
	}
	return false
}

func bareETag(t string) string {
	return strings.Trim(strings.TrimPrefix(t, "W/"), `"`)
}

// quoteETag returns t in the quoted form S3 stores and returns.
func quoteETag(t string) string {
	return `"` + bareETag(t) + `"`
}

// parseHTTPDate parses an HTTP date; RFC 9110 section 13.1.3 says to
// ignore a conditional date that does not parse.
func parseHTTPDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(s)
	return t, err == nil
}

// writeConditions reads the preconditions S3 honours on writes
// (PutObject, CompleteMultipartUpload, CopyObject): If-None-Match: *
// (create only if absent) and If-Match: <etag> (replace only that
// version), as in the Amazon S3 User Guide, "Conditional writes".
func writeConditions(h http.Header, opts *gatehouse.PutOptions) error {
	if v := h.Get("If-None-Match"); v != "" {
		if strings.TrimSpace(v) != "*" {
			return gatehouse.ErrNotImplemented.With(
				"If-None-Match on a write supports only the value *")
		}
		opts.IfNoneMatchAny = true
	}
	if v := h.Get("If-Match"); v != "" {
		if strings.Contains(v, ",") || strings.TrimSpace(v) == "*" {
			return gatehouse.ErrNotImplemented.With(
				"If-Match on a write supports only a single ETag")
		}
		opts.IfMatch = quoteETag(strings.TrimSpace(v))
	}
	return nil
}

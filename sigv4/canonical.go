package sigv4

import (
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// rawTarget returns the path and query of r exactly as the client sent
// them. The server's RequestURI is the request target verbatim; a request
// built in-process (no RequestURI) falls back to its URL's escaped form.
func rawTarget(r *http.Request) (path, query string) {
	target := r.RequestURI
	if target == "" {
		return r.URL.EscapedPath(), r.URL.RawQuery
	}
	// An absolute-form target (RFC 9112, section 3.2.2) carries the
	// scheme and authority before the path.
	if scheme, rest, ok := strings.Cut(target, "://"); ok && !strings.Contains(scheme, "/") {
		i := strings.IndexAny(rest, "/?")
		switch {
		case i < 0:
			target = "/"
		case rest[i] == '?':
			target = "/" + rest[i:]
		default:
			target = rest[i:]
		}
	}
	path, query, _ = strings.Cut(target, "?")
	return path, query
}

// canonicalURIs returns the canonical URI candidates for a raw path.
//
// S3 signs the path as the client encoded it, without normalizing it
// ("Create a canonical request": S3 does not normalize URI paths and
// clients encode each path segment once). The first candidate is
// therefore the path exactly as received. Clients differ in how they
// encode the same key (for example "~" as "%7E", or "+" left bare), so
// the second candidate, used only if the first fails, is the path decoded
// and then encoded per UriEncode, which is how the S3 signers compute it
// from the decoded key. Both candidates are functions of the same decoded
// path, so accepting either binds the signature to the same key.
func canonicalURIs(raw string) []string {
	if raw == "" {
		raw = "/"
	}
	decoded, err := url.PathUnescape(raw)
	if err != nil {
		return []string{raw}
	}
	if enc := uriEncode(decoded, false); enc != raw {
		return []string{raw, enc}
	}
	return []string{raw}
}

// uriEncode encodes s per the SigV4 UriEncode rules: every byte except
// the unreserved characters A-Z a-z 0-9 - . _ ~ becomes %XX with upper-case
// hex digits; '/' is kept unless encodeSlash is set (as for query values).
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && (s[i] != '/' || encodeSlash) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// queryParam is one name=value pair of a query string, encoded.
type queryParam struct{ name, value string }

// canonicalQuery builds the canonical query string from a raw query:
// each name and value decoded (a bare '+' meaning space, as clients'
// form-decoding signers read it) and re-encoded with UriEncode, sorted by
// name and then value, joined with '&'. Names equal to skip are left out
// (the signature itself, for a presigned URL).
func canonicalQuery(raw, skip string) string {
	if raw == "" {
		return ""
	}
	params := make([]queryParam, 0, strings.Count(raw, "&")+1)
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		name, value = queryUnescape(name), queryUnescape(value)
		if name == skip {
			continue
		}
		params = append(params, queryParam{uriEncode(name, true), uriEncode(value, true)})
	}
	sort.Slice(params, func(i, j int) bool {
		if params[i].name != params[j].name {
			return params[i].name < params[j].name
		}
		return params[i].value < params[j].value
	})

	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// queryUnescape decodes a query component; a malformed escape is kept
// literally, so that it is signed (and fails) as the bytes it is.
func queryUnescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// canonicalHeaders writes the canonical headers block ("name:value\n" for
// each signed header, in the order signed) to b.
//
// Values are trimmed and runs of spaces collapsed to one; several values
// of one header are joined with ','. Go's server moves Host to r.Host and
// Transfer-Encoding to r.TransferEncoding, so those are read from there.
func canonicalHeaders(b *strings.Builder, r *http.Request, signed []string) {
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range headerValues(r, name) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeTrimmed(b, v)
		}
		b.WriteByte('\n')
	}
}

// headerValues returns the values of the named (lower-case) header.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		return []string{r.Host}
	case "transfer-encoding":
		return r.TransferEncoding
	}
	if v, ok := r.Header[textproto.CanonicalMIMEHeaderKey(name)]; ok {
		return v
	}
	if name == "content-length" && r.ContentLength >= 0 {
		return []string{strconv.FormatInt(r.ContentLength, 10)}
	}
	// A header name that is not a valid token is stored as sent.
	for k, v := range r.Header {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// writeTrimmed writes v without leading and trailing spaces and with each
// run of spaces collapsed to one ("Trimall" in the SigV4 specification).
func writeTrimmed(b *strings.Builder, v string) {
	v = strings.Trim(v, " \t")
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
}

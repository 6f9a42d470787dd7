package s3api

import (
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"gatehouse.dev/gatehouse"
)

// operation is what a request asks for: its S3 name, the action the
// credential's policy must allow, and the code that does it.
type operation struct {
	name string
	// action is checked against the policy before run, on the request's
	// bucket and key (the prefix for listings). ActionNone means run
	// authorizes for itself, as copies and multi-object deletes do.
	action gatehouse.Action
	run    func(*responseWriter, *s3req) error
}

// scope is the key an operation's authorization is about: the object key,
// or for a listing the prefix listed.
func (op operation) scope(q *s3req) gatehouse.ObjectKey {
	if op.action == gatehouse.ActionList && q.key == "" {
		return gatehouse.ObjectKey(q.query.Get("prefix"))
	}
	return q.key
}

// locate splits a request into bucket and key. Virtual-hosted-style
// requests ("<bucket>.<domain>", port ignored) name the bucket in Host;
// all others are path-style. The third result reports the former.
//
// The key is taken from the decoded path exactly as received: no cleaning,
// so "a//b" and "dir/" are keys of their own, as S3 treats them.
func (h *handler) locate(r *http.Request) (gatehouse.BucketName, gatehouse.ObjectKey, bool) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	if h.domain != "" {
		host := normalizeHost(r.Host)
		if name, ok := strings.CutSuffix(host, "."+h.domain); ok && name != "" {
			return gatehouse.BucketName(name), gatehouse.ObjectKey(path), true
		}
	}
	name, key, _ := strings.Cut(path, "/")
	return gatehouse.BucketName(name), gatehouse.ObjectKey(key), false
}

// normalizeHost lower-cases a host and drops any port and trailing dot.
func normalizeHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// checkNames validates the bucket name, and the length and encoding of
// the key, of a request.
func checkNames(b gatehouse.BucketName, k gatehouse.ObjectKey) error {
	if b != "" && !validBucketName(string(b)) {
		return gatehouse.ErrInvalidBucketName.With("The specified bucket is not valid: %q", b)
	}
	if len(k) > gatehouse.MaxKeyLength {
		return gatehouse.ErrKeyTooLong
	}
	return checkUTF8("object key", string(k))
}

// checkUTF8 refuses a key, or a parameter naming keys (a prefix, marker
// or delimiter), that is not valid UTF-8. Object key names are UTF-8
// (Amazon S3 User Guide, "Naming Amazon S3 objects"); storing other bytes
// would list them with U+FFFD in their place, under a name no client can
// ask for again.
func checkUTF8(what, v string) error {
	if utf8.ValidString(v) {
		return nil
	}
	return gatehouse.ErrInvalidArgument.With("The %s %q is not valid UTF-8", what, v)
}

// route picks the operation from the method, the address and the
// subresource query parameters, as in the Amazon S3 API Reference.
func (h *handler) route(q *s3req) operation {
	switch {
	case q.bucket == "":
		if q.r.Method == http.MethodGet {
			return operation{"ListBuckets", gatehouse.ActionAdmin, h.listBuckets}
		}
		return methodNotAllowed
	case q.key == "":
		return h.routeBucket(q)
	default:
		return h.routeObject(q)
	}
}

var methodNotAllowed = operation{name: "MethodNotAllowed", run: refuseMethod}

func refuseMethod(*responseWriter, *s3req) error { return gatehouse.ErrMethodNotAllowed }

// unsupported lists subresources Gatehouse does not implement. Requests
// naming one are answered NotImplemented rather than silently treated as
// a plain object or bucket request.
var unsupported = []string{
	"accelerate", "analytics", "attributes", "cors", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "logging",
	"metadataTable", "metrics", "notification", "object-lock",
	"ownershipControls", "policy", "policyStatus", "publicAccessBlock",
	"renameObject", "replication", "requestPayment", "restore", "retention",
	"select", "tagging", "torrent", "versions", "website",
}

// notImplemented answers an operation Gatehouse lacks; the access record
// names what was asked for.
func notImplemented(op, what string) operation {
	return operation{name: op, run: func(*responseWriter, *s3req) error {
		return gatehouse.ErrNotImplemented.With("%s is not implemented", what)
	}}
}

// unsupportedSubresource returns the first unsupported subresource named
// by q, or "".
func unsupportedSubresource(q *s3req) string {
	for _, s := range unsupported {
		if q.query.Has(s) {
			return s
		}
	}
	return ""
}

func (h *handler) routeBucket(q *s3req) operation {
	if s := unsupportedSubresource(q); s != "" {
		return notImplemented("Unsupported:"+s, "The "+s+" subresource")
	}
	has := q.query.Has
	switch q.r.Method {
	case http.MethodGet:
		switch {
		case has("location"):
			return operation{"GetBucketLocation", gatehouse.ActionList, h.getBucketLocation}
		case has("versioning"):
			return operation{"GetBucketVersioning", gatehouse.ActionList, h.getBucketVersioning}
		case has("acl"):
			return operation{"GetBucketAcl", gatehouse.ActionList, h.getBucketACL}
		case has("uploads"):
			return operation{"ListMultipartUploads", gatehouse.ActionList, h.listUploads}
		case q.query.Get("list-type") == "2":
			return operation{"ListObjectsV2", gatehouse.ActionList, h.listObjectsV2}
		}
		return operation{"ListObjects", gatehouse.ActionList, h.listObjectsV1}
	case http.MethodHead:
		return operation{"HeadBucket", gatehouse.ActionList, h.headBucket}
	case http.MethodPut:
		switch {
		case has("versioning"):
			return notImplemented("PutBucketVersioning", "PutBucketVersioning")
		case has("acl"):
			return notImplemented("PutBucketAcl", "PutBucketAcl")
		}
		return operation{"CreateBucket", gatehouse.ActionAdmin, h.createBucket}
	case http.MethodDelete:
		return operation{"DeleteBucket", gatehouse.ActionAdmin, h.deleteBucket}
	case http.MethodPost:
		if has("delete") {
			return operation{"DeleteObjects", gatehouse.ActionNone, h.deleteObjects}
		}
	}
	return methodNotAllowed
}

func (h *handler) routeObject(q *s3req) operation {
	if s := unsupportedSubresource(q); s != "" {
		return notImplemented("Unsupported:"+s, "The "+s+" subresource")
	}
	has := q.query.Has
	switch q.r.Method {
	case http.MethodGet:
		switch {
		case has("uploadId"):
			return operation{"ListParts", gatehouse.ActionList, h.listParts}
		case has("acl"):
			return operation{"GetObjectAcl", gatehouse.ActionRead, h.getObjectACL}
		}
		return operation{"GetObject", gatehouse.ActionRead, h.getObject}
	case http.MethodHead:
		return operation{"HeadObject", gatehouse.ActionRead, h.getObject}
	case http.MethodPut:
		return h.routeObjectPut(q)
	case http.MethodPost:
		switch {
		case has("uploads"):
			return operation{"CreateMultipartUpload", gatehouse.ActionWrite, h.createUpload}
		case has("uploadId"):
			return operation{"CompleteMultipartUpload", gatehouse.ActionWrite, h.completeUpload}
		}
	case http.MethodDelete:
		if has("uploadId") {
			return operation{"AbortMultipartUpload", gatehouse.ActionDelete, h.abortUpload}
		}
		return operation{"DeleteObject", gatehouse.ActionDelete, h.deleteObject}
	}
	return methodNotAllowed
}

func (h *handler) routeObjectPut(q *s3req) operation {
	has := q.query.Has
	copying := q.r.Header.Get("X-Amz-Copy-Source") != ""
	switch {
	case has("acl"):
		return notImplemented("PutObjectAcl", "PutObjectAcl")
	case has("uploadId") && copying:
		return operation{"UploadPartCopy", gatehouse.ActionWrite, h.uploadPartCopy}
	case has("uploadId"):
		return operation{"UploadPart", gatehouse.ActionWrite, h.uploadPart}
	case copying:
		return operation{"CopyObject", gatehouse.ActionWrite, h.copyObject}
	}
	return operation{"PutObject", gatehouse.ActionWrite, h.putObject}
}

// validBucketName applies the general purpose bucket naming rules of the
// Amazon S3 User Guide, "General purpose bucket naming rules": 3 to 63
// characters of lower-case letters, digits, dots and hyphens; a letter or
// digit at each end; no two adjacent dots; not an IPv4 address; none of
// the prefixes and suffixes AWS reserves.
func validBucketName(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		switch {
		case alnum:
		case c == '.' || c == '-':
			if i == 0 || i == len(s)-1 {
				return false
			}
		default:
			return false
		}
	}
	if strings.Contains(s, "..") || looksLikeIPv4(s) {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(s, p) {
			return false
		}
	}
	for _, x := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(s, x) {
			return false
		}
	}
	return true
}

// looksLikeIPv4 reports whether s is four dot-separated runs of digits,
// such as 192.168.5.4, which bucket names may not be.
func looksLikeIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

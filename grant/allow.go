package grant

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gatehouse.dev/gatehouse"
)

// Allow decides a request under a chain of caveats: every caveat must allow
// it. With no caveats (a root grant) every action but ActionNone is
// allowed. Allow returns nil or an error wrapping [gatehouse.ErrAccessDenied]
// whose message names the caveat that denied and why; the message is meant
// for the grant's holder and never contains key material.
//
// size is the number of bytes the request will store: the content length of
// a PutObject or UploadPart, the total at CompleteMultipartUpload, 0 for
// CreateMultipartUpload. It is checked only for ActionWrite; a negative
// size means unknown, which a caveat with MaxObjectSize denies.
//
// now is the server's clock; a zero now is denied, so that a caller that
// forgot the clock fails closed.
//
// How an action meets a caveat:
//
//   - ActionRead, ActionWrite, ActionDelete: the flag for the action, and
//     the object key must lie within an allowed path.
//   - ActionList: DisallowLists, and the listing prefix (req.Key) must
//     itself start with an allowed prefix of the bucket, so that nothing
//     outside the allowed paths can be listed. A grant for "a/b/" cannot
//     list with prefix "a/" (nor HeadBucket, which lists with ""), although
//     some results would be allowed; filtering results instead is left out
//     on purpose, as it is easy to get wrong.
//   - ActionAdmin with a bucket (CreateBucket, DeleteBucket, bucket
//     configuration): it changes the whole bucket, so it counts as both a
//     write and a delete, and the bucket must be allowed whole: an allowed
//     path with that bucket and an empty prefix.
//   - ActionAdmin without a bucket is ListBuckets, the one S3 operation
//     that names no bucket: it is a listing, denied by DisallowLists but
//     not by paths. Filter its result with [AllowsBucket].
//
// Time, source address and size caveats apply to every action.
func Allow(caveats []Caveat, req gatehouse.AccessRequest, size int64, now time.Time) error {
	switch {
	case req.Action == gatehouse.ActionNone || req.Action > gatehouse.ActionAdmin:
		return gatehouse.ErrAccessDenied.With("access grant: unknown action")
	case now.IsZero():
		return gatehouse.ErrAccessDenied.With("access grant: no clock to check it against")
	}
	for i := range caveats {
		if why := caveats[i].deny(req, size, now); why != "" {
			return gatehouse.ErrAccessDenied.With("access grant caveat %d of %d: %s",
				i+1, len(caveats), why)
		}
	}
	return nil
}

// AllowsBucket reports whether the allowed paths of every caveat include
// some part of bucket. ListBuckets shows only such buckets. It considers
// paths only; [Allow] decides the ListBuckets request itself.
func AllowsBucket(caveats []Caveat, bucket gatehouse.BucketName) bool {
	for i := range caveats {
		if !caveats[i].touchesBucket(bucket) {
			return false
		}
	}
	return true
}

// IsDenied reports whether err is a denial by Allow.
func IsDenied(err error) bool { return errors.Is(err, gatehouse.ErrAccessDenied) }

// deny returns why c denies the request, or "" if it allows it.
func (c *Caveat) deny(req gatehouse.AccessRequest, size int64, now time.Time) string {
	// Time and source first: they apply to every action.
	if !c.NotBefore.IsZero() && now.Before(c.NotBefore) {
		return "not valid before " + c.NotBefore.UTC().Format(time.RFC3339)
	}
	if !c.NotAfter.IsZero() && now.After(c.NotAfter) {
		return "expired at " + c.NotAfter.UTC().Format(time.RFC3339)
	}
	if why := c.denySource(req); why != "" {
		return why
	}

	switch req.Action {
	case gatehouse.ActionRead:
		return c.denyObject(c.DisallowReads, "reads", req)
	case gatehouse.ActionWrite:
		if why := c.denyObject(c.DisallowWrites, "writes", req); why != "" {
			return why
		}
		return c.denySize(size)
	case gatehouse.ActionDelete:
		return c.denyObject(c.DisallowDeletes, "deletes", req)
	case gatehouse.ActionList:
		return c.denyList(req)
	}
	return c.denyAdmin(req)
}

func (c *Caveat) denySource(req gatehouse.AccessRequest) string {
	if len(c.AllowedIPs) == 0 {
		return ""
	}
	// A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
	src := req.Source.Unmap()
	for _, p := range c.AllowedIPs {
		if src.IsValid() && p.Contains(src) {
			return ""
		}
	}
	if !src.IsValid() {
		return "source address unknown, and the grant is limited to some addresses"
	}
	return fmt.Sprintf("source address %s is not in the allowed ranges", src)
}

func (c *Caveat) denyObject(disallowed bool, what string, req gatehouse.AccessRequest) string {
	if disallowed {
		return what + " are not allowed"
	}
	if !c.coversKey(req.Bucket, string(req.Key)) {
		return fmt.Sprintf("key %q in bucket %s is outside the allowed paths",
			req.Key, req.Bucket)
	}
	return ""
}

func (c *Caveat) denySize(size int64) string {
	switch {
	case c.MaxObjectSize == 0:
		return ""
	case size < 0:
		return fmt.Sprintf("object size unknown, and the grant allows at most %d bytes",
			c.MaxObjectSize)
	case size > c.MaxObjectSize:
		return fmt.Sprintf("object of %d bytes is larger than the allowed %d bytes",
			size, c.MaxObjectSize)
	}
	return ""
}

func (c *Caveat) denyList(req gatehouse.AccessRequest) string {
	if c.DisallowLists {
		return "lists are not allowed"
	}
	if !c.coversKey(req.Bucket, string(req.Key)) {
		return fmt.Sprintf("listing %s with prefix %q is outside the allowed paths",
			req.Bucket, req.Key)
	}
	return ""
}

func (c *Caveat) denyAdmin(req gatehouse.AccessRequest) string {
	if req.Bucket == "" { // ListBuckets
		if c.DisallowLists {
			return "lists are not allowed"
		}
		return ""
	}
	if c.DisallowWrites || c.DisallowDeletes {
		return "bucket changes are not allowed to a grant without writes and deletes"
	}
	if !c.coversKey(req.Bucket, "") {
		return fmt.Sprintf("bucket %s is not allowed whole", req.Bucket)
	}
	return ""
}

// coversKey reports whether key in bucket lies within an allowed path.
func (c *Caveat) coversKey(bucket gatehouse.BucketName, key string) bool {
	if len(c.AllowedPaths) == 0 {
		return true
	}
	for _, p := range c.AllowedPaths {
		if p.Bucket == bucket && strings.HasPrefix(key, p.Prefix) {
			return true
		}
	}
	return false
}

func (c *Caveat) touchesBucket(bucket gatehouse.BucketName) bool {
	if len(c.AllowedPaths) == 0 {
		return true
	}
	for _, p := range c.AllowedPaths {
		if p.Bucket == bucket {
			return true
		}
	}
	return false
}

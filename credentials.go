package gatehouse

import (
	"context"
	"net/netip"
)

// Action is the class of an S3 operation, as authorization sees it. The
// zero value is ActionNone, which no policy allows. Append-only.
type Action uint8

// Actions.
const (
	ActionNone   Action = 0
	ActionRead   Action = 1 // GetObject, HeadObject, the source of a copy
	ActionWrite  Action = 2 // PutObject, multipart, the target of a copy
	ActionList   Action = 3 // ListObjects, ListParts, ListMultipartUploads, HeadBucket
	ActionDelete Action = 4 // DeleteObject(s), AbortMultipartUpload
	ActionAdmin  Action = 5 // CreateBucket, DeleteBucket, ListBuckets, bucket configuration
)

func (a Action) String() string {
	switch a {
	case ActionRead:
		return "read"
	case ActionWrite:
		return "write"
	case ActionList:
		return "list"
	case ActionDelete:
		return "delete"
	case ActionAdmin:
		return "admin"
	}
	return "none"
}

// AccessRequest is what a policy decides on.
type AccessRequest struct {
	Action Action
	Bucket BucketName
	// Key is the object key, or the listing prefix for ActionList.
	Key ObjectKey
	// Source is the client address, when known.
	Source netip.Addr
	// Size is, for ActionWrite, the number of bytes the write stores, or
	// -1 when that is not known before the data moves (a copy, a
	// multipart completion, a body of unknown length). Policies that
	// limit sizes must treat -1 as too large. Other actions leave it 0.
	Size int64
}

// Policy decides what a credential may do. Allow returns nil or an error
// wrapping ErrAccessDenied. A Policy is safe for concurrent use.
type Policy interface {
	Allow(ctx context.Context, req AccessRequest) error
}

// BucketFilter is implemented by a Policy that limits which buckets
// ListBuckets may show, so that a credential confined to some buckets does
// not learn the names of the others. A Policy without it shows every
// bucket to a credential allowed to list buckets at all.
type BucketFilter interface {
	AllowsBucket(b BucketName) bool
}

// AllowAll is the policy of the administrator: everything is allowed.
type AllowAll struct{}

// Allow implements Policy.
func (AllowAll) Allow(context.Context, AccessRequest) error { return nil }

// Credential is an access key ID resolved to who it is, what it may do and
// the secret that signs its requests.
type Credential struct {
	AccessKeyID AccessKeyID
	// Secret is the SigV4 secret access key. It is never logged.
	Secret string
	// Principal names the holder, for the access log.
	Principal string
	Policy    Policy
}

// CredentialResolver resolves an access key ID. It returns an error
// wrapping ErrInvalidAccessKeyID for an unknown or revoked key.
// Implementations are safe for concurrent use.
type CredentialResolver interface {
	Resolve(ctx context.Context, id AccessKeyID) (*Credential, error)
}

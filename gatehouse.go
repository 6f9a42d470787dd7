// Package gatehouse holds the vocabulary shared by every part of the
// Gatehouse object-storage edge: the distinct names for buckets, keys and
// credentials, the object-store and credential-resolver interfaces, and the
// fixed list of error kinds.
//
// Implementations live in sibling packages named by role: store/local keeps
// objects on local disk with SQLite metadata, sigv4 authenticates requests,
// s3api speaks the S3 protocol over HTTP. Policy (authorization, encryption,
// audit) wraps these interfaces; backends know nothing of it.
package gatehouse

import (
	"context"
	"io"
	"time"
)

// BucketName is an S3 bucket name. The S3 layer checks it against AWS's
// bucket naming rules before any store sees it.
type BucketName string

// ObjectKey is an S3 object key: up to 1,024 bytes of UTF-8.
type ObjectKey string

// AccessKeyID names a credential. It is not secret and may be logged.
type AccessKeyID string

// UploadID names an in-progress multipart upload.
type UploadID string

// Limits from the S3 documentation ("Amazon S3 multipart upload limits" and
// "Creating object key names").
const (
	MaxKeyLength      = 1024
	MaxUserMetaBytes  = 2 << 10
	MaxPartNumber     = 10000
	MinPartSize       = 5 << 20
	MaxPartSize       = 5 << 30
	MaxPutObjectSize  = 5 << 30
	MaxListKeys       = 1000
	MaxDeleteObjects  = 1000
	DefaultRegion     = "us-east-1"
	MaxObjectSize     = 5 << 40
	MaxMultipartParts = MaxPartNumber
)

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name    BucketName
	Created time.Time
}

// ObjectMeta is what a client stores alongside the bytes of an object and
// gets back on GET and HEAD.
type ObjectMeta struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
	// User holds x-amz-meta-* headers, keyed by the lower-case suffix.
	User map[string]string
}

// ChecksumAlgorithm names an S3 additional checksum. The zero value means none.
type ChecksumAlgorithm string

// Checksum algorithms, as spelled in x-amz-checksum-algorithm. Append-only.
const (
	ChecksumNone      ChecksumAlgorithm = ""
	ChecksumCRC32     ChecksumAlgorithm = "CRC32"
	ChecksumCRC32C    ChecksumAlgorithm = "CRC32C"
	ChecksumCRC64NVME ChecksumAlgorithm = "CRC64NVME"
	ChecksumSHA1      ChecksumAlgorithm = "SHA1"
	ChecksumSHA256    ChecksumAlgorithm = "SHA256"
)

// ChecksumType is FULL_OBJECT or COMPOSITE, as in x-amz-checksum-type.
type ChecksumType string

// Checksum types. Append-only.
const (
	ChecksumTypeNone       ChecksumType = ""
	ChecksumTypeFullObject ChecksumType = "FULL_OBJECT"
	ChecksumTypeComposite  ChecksumType = "COMPOSITE"
)

// Checksum is one additional checksum of an object or part: the algorithm
// and the base64 value S3 returns in x-amz-checksum-<algorithm>. For a
// composite multipart checksum the value ends in "-N".
type Checksum struct {
	Algorithm ChecksumAlgorithm
	Type      ChecksumType
	Value     string
}

// ObjectInfo describes a stored object as S3 clients see it.
type ObjectInfo struct {
	Bucket BucketName
	Key    ObjectKey
	// Size is the length of the object's content as clients see it.
	Size int64
	// ETag is the quoted entity tag: the MD5 of a single PUT, or the
	// MD5-of-MD5s with a "-N" suffix for a multipart upload.
	ETag     string
	Modified time.Time
	Meta     ObjectMeta
	Checksum Checksum
	// Parts is the number of parts for a multipart object, else 0.
	Parts int
	// PartSizes lists the content size of each part of a multipart
	// object, in order; nil for a single PUT.
	PartSizes []int64
}

// Sealed is what a writer learns only after the whole body has been read:
// the content size, the ETag and the checksum. See PutOptions.Seal.
type Sealed struct {
	Size     int64
	ETag     string
	Checksum Checksum
}

// PutOptions controls PutObject and CreateMultipartUpload.
type PutOptions struct {
	Meta ObjectMeta
	// IfNoneMatchAny makes the write a conditional create: it fails with
	// ErrPreconditionFailed if the key exists when the write publishes.
	IfNoneMatchAny bool
	// IfMatch, when set, makes the write fail with ErrPreconditionFailed
	// unless the current object has this ETag when the write publishes.
	IfMatch string
	// ChecksumAlgorithm and ChecksumType record, for a multipart upload,
	// which checksum the client announced at creation.
	ChecksumAlgorithm ChecksumAlgorithm
	ChecksumType      ChecksumType
	// Seal is called once the body has been read to its end and made
	// durable, and before the object is published. It returns the
	// attributes computed over the content (which the store cannot know
	// when a stage such as encryption rewrote the bytes), or an error that
	// aborts the write with nothing published. Seal must not be nil.
	Seal func() (Sealed, error)
}

// PartInfo describes one uploaded part of a multipart upload.
type PartInfo struct {
	Number   int
	Size     int64
	ETag     string
	Checksum Checksum
	Modified time.Time
}

// CompletePart names a part in CompleteMultipartUpload.
type CompletePart struct {
	Number   int
	ETag     string
	Checksum string // base64, for the upload's checksum algorithm; may be empty
}

// UploadInfo describes an in-progress multipart upload.
type UploadInfo struct {
	Bucket            BucketName
	Key               ObjectKey
	ID                UploadID
	Initiated         time.Time
	Meta              ObjectMeta
	ChecksumAlgorithm ChecksumAlgorithm
	ChecksumType      ChecksumType
}

// ListOptions selects keys for ListObjects. Keys are returned in ascending
// order of their UTF-8 bytes.
type ListOptions struct {
	Prefix    string
	Delimiter string
	// After excludes every key (and common prefix) at or before it.
	After string
	// Max is the largest number of keys plus common prefixes returned.
	// Zero means MaxListKeys.
	Max int
}

// ListResult is one page of ListObjects.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	// Truncated reports whether more entries follow; Next is then the
	// last key or common prefix returned, to pass as After.
	Truncated bool
	Next      string
}

// ListUploadsOptions selects uploads for ListMultipartUploads.
type ListUploadsOptions struct {
	Prefix         string
	Delimiter      string
	KeyMarker      string
	UploadIDMarker UploadID
	Max            int
}

// ListUploadsResult is one page of ListMultipartUploads.
type ListUploadsResult struct {
	Uploads            []UploadInfo
	CommonPrefixes     []string
	Truncated          bool
	NextKeyMarker      string
	NextUploadIDMarker UploadID
}

// ListPartsResult is one page of ListParts.
type ListPartsResult struct {
	Upload    UploadInfo
	Parts     []PartInfo
	Truncated bool
	// NextMarker is the last part number returned when Truncated.
	NextMarker int
}

// Object is an open, immutable version of an object. Reads see the version
// that was current when it was opened, even if it is overwritten or deleted
// afterwards. Close releases it. Object is safe for concurrent use.
type Object interface {
	Info() ObjectInfo
	// Range returns a reader of length bytes of the object as this store
	// holds it, starting at off. A backend keeps bytes as written, so for
	// the S3 layer these are content offsets within Info().Size. A stage
	// that rewrites bytes on their way to an inner store (encryption)
	// presents content offsets to its caller and asks the inner store for
	// stored offsets, which the inner store bounds by the bytes it holds,
	// while its Info().Size is the content size that Seal reported.
	// The caller closes the reader.
	Range(off, length int64) (io.ReadCloser, error)
	Close() error
}

// ObjectStore keeps buckets and objects. Implementations stream: none holds
// a whole object in memory. All methods are safe for concurrent use.
//
// Errors carry one of the Err* values below so that the S3 layer can map
// them to S3 error codes in one place.
type ObjectStore interface {
	CreateBucket(ctx context.Context, b BucketName) error
	// DeleteBucket fails with ErrBucketNotEmpty while the bucket holds
	// objects or uploads.
	DeleteBucket(ctx context.Context, b BucketName) error
	HeadBucket(ctx context.Context, b BucketName) (BucketInfo, error)
	ListBuckets(ctx context.Context) ([]BucketInfo, error)

	// PutObject stores the whole of body under key, atomically: readers
	// see the old object or the new one, never a mix.
	PutObject(ctx context.Context, b BucketName, k ObjectKey, body io.Reader,
		opts PutOptions) (ObjectInfo, error)
	OpenObject(ctx context.Context, b BucketName, k ObjectKey) (Object, error)
	// DeleteObject removes key. Deleting a missing key succeeds.
	DeleteObject(ctx context.Context, b BucketName, k ObjectKey) error
	ListObjects(ctx context.Context, b BucketName, opts ListOptions) (ListResult, error)

	CreateMultipartUpload(ctx context.Context, b BucketName, k ObjectKey,
		opts PutOptions) (UploadID, error)
	// UploadPart stores a part; opts.Seal supplies its size, ETag and
	// checksum. Uploading a part number again replaces it.
	UploadPart(ctx context.Context, b BucketName, k ObjectKey, id UploadID,
		part int, body io.Reader, opts PutOptions) (PartInfo, error)
	// CompleteMultipartUpload publishes the listed parts, in order, as one
	// object without copying their bytes. opts.Seal is not used; opts
	// conditions (IfNoneMatchAny, IfMatch) are honoured.
	CompleteMultipartUpload(ctx context.Context, b BucketName, k ObjectKey,
		id UploadID, parts []CompletePart, opts PutOptions) (ObjectInfo, error)
	AbortMultipartUpload(ctx context.Context, b BucketName, k ObjectKey, id UploadID) error
	ListParts(ctx context.Context, b BucketName, k ObjectKey, id UploadID,
		marker, max int) (ListPartsResult, error)
	ListMultipartUploads(ctx context.Context, b BucketName,
		opts ListUploadsOptions) (ListUploadsResult, error)
}

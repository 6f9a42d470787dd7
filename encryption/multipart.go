package encryption

import (
	"context"
	"fmt"
	"io"

	"gatehouse.dev/gatehouse"
)

// CreateMultipartUpload seals opts.Meta's user map and starts the upload.
func (s *Store) CreateMultipartUpload(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey, opts gatehouse.PutOptions) (gatehouse.UploadID, error) {
	key, err := pathKey(ctx, b, k)
	if err != nil {
		return "", err
	}
	if opts.Meta, err = sealMeta(opts.Meta, key); err != nil {
		return "", err
	}
	return s.inner.CreateMultipartUpload(ctx, b, k, opts)
}

// UploadPart encrypts body into an envelope of its own, which records
// the part number, under a fresh data key.
func (s *Store) UploadPart(ctx context.Context, b gatehouse.BucketName, k gatehouse.ObjectKey,
	id gatehouse.UploadID, part int, body io.Reader,
	opts gatehouse.PutOptions) (gatehouse.PartInfo, error) {
	key, err := pathKey(ctx, b, k)
	if err != nil {
		return gatehouse.PartInfo{}, err
	}
	if part < 1 || part > gatehouse.MaxPartNumber {
		return gatehouse.PartInfo{}, gatehouse.ErrInvalidArgument.With(
			"Part number must be an integer between 1 and 10000, inclusive")
	}
	enc, inner, err := sealWrite(body, key, uint16(part), opts)
	if err != nil {
		return gatehouse.PartInfo{}, err
	}
	return s.inner.UploadPart(ctx, b, k, id, part, enc, inner)
}

// CompleteMultipartUpload publishes the upload once the request's key
// has opened the upload's sealed metadata, so that a key other than the
// one the upload was started with cannot complete it.
func (s *Store) CompleteMultipartUpload(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey, id gatehouse.UploadID, parts []gatehouse.CompletePart,
	opts gatehouse.PutOptions) (gatehouse.ObjectInfo, error) {
	key, err := pathKey(ctx, b, k)
	if err != nil {
		return gatehouse.ObjectInfo{}, err
	}
	lp, err := s.inner.ListParts(ctx, b, k, id, 0, 1)
	if err != nil {
		return gatehouse.ObjectInfo{}, err
	}
	meta, err := openMeta(lp.Upload.Meta, key)
	if err != nil {
		return gatehouse.ObjectInfo{}, fmt.Errorf("complete upload %s: %w", id, err)
	}
	info, err := s.inner.CompleteMultipartUpload(ctx, b, k, id, parts, opts)
	if err != nil {
		return gatehouse.ObjectInfo{}, err
	}
	info.Meta = meta
	return info, nil
}

// AbortMultipartUpload passes through.
func (s *Store) AbortMultipartUpload(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey, id gatehouse.UploadID) error {
	return s.inner.AbortMultipartUpload(ctx, b, k, id)
}

// ListParts passes through, with the upload's user metadata decrypted
// when the request holds its key.
func (s *Store) ListParts(ctx context.Context, b gatehouse.BucketName, k gatehouse.ObjectKey,
	id gatehouse.UploadID, marker, max int) (gatehouse.ListPartsResult, error) {
	res, err := s.inner.ListParts(ctx, b, k, id, marker, max)
	res.Upload.Meta = bestMeta(ctx, b, k, res.Upload.Meta)
	return res, err
}

// ListMultipartUploads passes through, with user metadata decrypted
// where the request holds the keys.
func (s *Store) ListMultipartUploads(ctx context.Context, b gatehouse.BucketName,
	opts gatehouse.ListUploadsOptions) (gatehouse.ListUploadsResult, error) {
	res, err := s.inner.ListMultipartUploads(ctx, b, opts)
	for i := range res.Uploads {
		u := &res.Uploads[i]
		u.Meta = bestMeta(ctx, b, u.Key, u.Meta)
	}
	return res, err
}

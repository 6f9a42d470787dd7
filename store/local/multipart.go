package local

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/checksum"
	"gatehouse.dev/gatehouse/internal/sqldb"
)

// partRow is a stored part of an upload.
type partRow struct {
	info   gatehouse.PartInfo
	blob   string
	stored int64
}

// newUploadID returns an upload ID that sorts by creation time: 16 hex
// digits of the Unix nanosecond clock, then 16 random ones.
func (s *Store) newUploadID() gatehouse.UploadID {
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], uint64(s.now().UnixNano()))
	return gatehouse.UploadID(hex.EncodeToString(t[:]) + newID()[:16])
}

// CreateMultipartUpload starts an upload to key k with opts.Meta and the
// announced checksum algorithm and type. Conditions in opts are not
// recorded; pass them to CompleteMultipartUpload.
func (s *Store) CreateMultipartUpload(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey, opts gatehouse.PutOptions) (gatehouse.UploadID, error) {
	if err := checkKey(k); err != nil {
		return "", err
	}
	meta, err := encodeMeta(opts.Meta)
	if err != nil {
		return "", err
	}
	id := s.newUploadID()
	err = s.db.Write(ctx, func(tx *sqldb.Tx) error {
		if err := bucketExists(ctx, tx, b); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, qInsertUpload, string(id), string(k),
			s.now().UnixNano(), meta, string(opts.ChecksumAlgorithm),
			string(opts.ChecksumType), string(b))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create upload %s/%s: %w", b, k, err)
	}
	return id, nil
}

// getUpload reads upload id, which must belong to b and k; otherwise it
// fails with ErrNoSuchUpload.
func getUpload(ctx context.Context, q querier, b gatehouse.BucketName, k gatehouse.ObjectKey,
	id gatehouse.UploadID) (gatehouse.UploadInfo, error) {
	if err := bucketExists(ctx, q, b); err != nil {
		return gatehouse.UploadInfo{}, err
	}
	row := q.QueryRowContext(ctx, qUpload, string(id), string(b), string(k))
	up, err := scanUpload(row, b)
	if errors.Is(err, sql.ErrNoRows) {
		return up, fmt.Errorf("upload %s: %w", id, gatehouse.ErrNoSuchUpload)
	}
	return up, err
}

func scanUpload(row interface{ Scan(...any) error },
	b gatehouse.BucketName) (gatehouse.UploadInfo, error) {
	var (
		up            = gatehouse.UploadInfo{Bucket: b}
		id, key, meta string
		alg, typ      string
		initiated     int64
	)
	if err := row.Scan(&id, &key, &initiated, &meta, &alg, &typ); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return up, err
		}
		return up, fmt.Errorf("read upload: %w", err)
	}
	m, err := decodeMeta(meta)
	if err != nil {
		return up, err
	}
	up.ID = gatehouse.UploadID(id)
	up.Key = gatehouse.ObjectKey(key)
	up.Initiated = fromNanos(initiated)
	up.Meta = m
	up.ChecksumAlgorithm = gatehouse.ChecksumAlgorithm(alg)
	up.ChecksumType = gatehouse.ChecksumType(typ)
	return up, nil
}

// UploadPart stores part number part of upload id from body, replacing
// any earlier upload of that number atomically. opts.Seal supplies the
// part's size, ETag and checksum; a body or seal error stores nothing.
func (s *Store) UploadPart(ctx context.Context, b gatehouse.BucketName, k gatehouse.ObjectKey,
	id gatehouse.UploadID, part int, body io.Reader,
	opts gatehouse.PutOptions) (gatehouse.PartInfo, error) {
	if part < 1 || part > gatehouse.MaxPartNumber {
		return gatehouse.PartInfo{}, gatehouse.ErrInvalidArgument.With(
			"Part number must be an integer between 1 and 10000, inclusive")
	}
	// Fail fast, before reading the body; the publishing transaction
	// checks again, since the upload may complete or abort meanwhile.
	if _, err := getUpload(ctx, s.db.Reader(), b, k, id); err != nil {
		return gatehouse.PartInfo{}, fmt.Errorf("upload part %d: %w", part, err)
	}
	bl, err := s.writeBlob(ctx, body, opts.Seal)
	if err != nil {
		return gatehouse.PartInfo{}, fmt.Errorf("upload part %d: %w", part, err)
	}
	p := partRow{
		info: gatehouse.PartInfo{
			Number:   part,
			Size:     bl.sealed.Size,
			ETag:     bl.sealed.ETag,
			Checksum: bl.sealed.Checksum,
			Modified: fromNanos(s.now().UnixNano()),
		},
		blob:   bl.name,
		stored: bl.stored,
	}
	var freed []string
	err = s.db.Write(ctx, func(tx *sqldb.Tx) error {
		if _, err := getUpload(ctx, tx, b, k, id); err != nil {
			return err
		}
		var err error
		freed, err = replacePart(ctx, tx, id, p)
		return err
	})
	if err != nil {
		s.discard(bl, err)
		return gatehouse.PartInfo{}, fmt.Errorf("upload part %d: %w", part, err)
	}
	s.free(freed)
	return p.info, nil
}

// replacePart inserts p, deleting any part of the same number, whose
// blob it returns.
func replacePart(ctx context.Context, tx *sqldb.Tx, id gatehouse.UploadID,
	p partRow) ([]string, error) {
	var freed []string
	var old string
	err := tx.QueryRowContext(ctx, qPart, string(id), p.info.Number).Scan(&old)
	switch {
	case err == nil:
		if _, err := tx.ExecContext(ctx, qDeletePart, string(id), p.info.Number); err != nil {
			return nil, fmt.Errorf("delete old part: %w", err)
		}
		freed = append(freed, old)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("read old part: %w", err)
	}
	c := p.info.Checksum
	_, err = tx.ExecContext(ctx, qInsertPart, p.info.Number, p.blob, p.info.Size, p.stored,
		p.info.ETag, string(c.Algorithm), string(c.Type), c.Value,
		p.info.Modified.UnixNano(), string(id))
	if err != nil {
		return nil, fmt.Errorf("insert part: %w", err)
	}
	return freed, nil
}

// AbortMultipartUpload discards upload id and its parts.
func (s *Store) AbortMultipartUpload(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey, id gatehouse.UploadID) error {
	var freed []string
	err := s.db.Write(ctx, func(tx *sqldb.Tx) error {
		if _, err := getUpload(ctx, tx, b, k, id); err != nil {
			return err
		}
		parts, err := readParts(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, p := range parts {
			freed = append(freed, p.blob)
		}
		// The upload's parts go with it (ON DELETE CASCADE).
		_, err = tx.ExecContext(ctx, qDeleteUpload, string(id))
		return err
	})
	if err != nil {
		return fmt.Errorf("abort upload %s: %w", id, err)
	}
	s.free(freed)
	return nil
}

func readParts(ctx context.Context, tx *sqldb.Tx, id gatehouse.UploadID) ([]partRow, error) {
	rows, err := tx.QueryContext(ctx, qParts, string(id))
	if err != nil {
		return nil, fmt.Errorf("read parts: %w", err)
	}
	return scanParts(rows, gatehouse.MaxPartNumber)
}

// scanParts reads up to max parts from rows and closes them.
func scanParts(rows *sql.Rows, max int) ([]partRow, error) {
	defer rows.Close()
	var parts []partRow
	for len(parts) < max && rows.Next() {
		var (
			p        partRow
			alg, typ string
			modified int64
		)
		err := rows.Scan(&p.info.Number, &p.blob, &p.info.Size, &p.stored, &p.info.ETag,
			&alg, &typ, &p.info.Checksum.Value, &modified)
		if err != nil {
			return nil, fmt.Errorf("read parts: %w", err)
		}
		p.info.Checksum.Algorithm = gatehouse.ChecksumAlgorithm(alg)
		p.info.Checksum.Type = gatehouse.ChecksumType(typ)
		p.info.Modified = fromNanos(modified)
		parts = append(parts, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read parts: %w", err)
	}
	return parts, nil
}

// ListParts lists the parts of upload id numbered above marker, at most
// max of them (0 means 1,000).
func (s *Store) ListParts(ctx context.Context, b gatehouse.BucketName, k gatehouse.ObjectKey,
	id gatehouse.UploadID, marker, max int) (gatehouse.ListPartsResult, error) {
	max = pageSize(max)
	var res gatehouse.ListPartsResult
	err := s.db.Read(ctx, func(tx *sqldb.Tx) error {
		up, err := getUpload(ctx, tx, b, k, id)
		if err != nil {
			return err
		}
		res.Upload = up
		rows, err := tx.QueryContext(ctx, qListParts, string(id), marker)
		if err != nil {
			return fmt.Errorf("list parts: %w", err)
		}
		parts, err := scanParts(rows, max+1)
		if err != nil {
			return err
		}
		if len(parts) > max {
			parts = parts[:max]
			res.Truncated = true
			res.NextMarker = parts[max-1].info.Number
		}
		for _, p := range parts {
			res.Parts = append(res.Parts, p.info)
		}
		return nil
	})
	if err != nil {
		return gatehouse.ListPartsResult{}, fmt.Errorf("list parts of %s: %w", id, err)
	}
	return res, nil
}

// CompleteMultipartUpload publishes the listed parts, in order, as the
// object under k. The object's segments are the parts' blob files
// themselves: no byte is copied. Parts not listed are discarded.
//
// The checks follow the CompleteMultipartUpload API reference: part
// numbers strictly ascending (InvalidPartOrder); each part uploaded, with
// the given ETag and checksum (InvalidPart); each part but the last at
// least 5 MiB (EntityTooSmall). opts.IfNoneMatchAny and opts.IfMatch are
// checked in the publishing transaction.
func (s *Store) CompleteMultipartUpload(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey, id gatehouse.UploadID, parts []gatehouse.CompletePart,
	opts gatehouse.PutOptions) (gatehouse.ObjectInfo, error) {
	if err := checkPartList(parts); err != nil {
		return gatehouse.ObjectInfo{}, fmt.Errorf("complete upload %s: %w", id, err)
	}
	var (
		info  gatehouse.ObjectInfo
		freed []string
	)
	defer s.cache.begin(b, k)()
	err := s.db.Write(ctx, func(tx *sqldb.Tx) error {
		up, err := getUpload(ctx, tx, b, k, id)
		if err != nil {
			return err
		}
		stored, err := readParts(ctx, tx, id)
		if err != nil {
			return err
		}
		segs, unlisted, err := matchParts(parts, stored)
		if err != nil {
			return err
		}
		if info, err = s.assemble(up, parts, stored, segs); err != nil {
			return err
		}
		replaced, err := replace(ctx, tx, info, segs, opts)
		if err != nil {
			return err
		}
		// The upload's parts go with it (ON DELETE CASCADE); the listed
		// ones' blobs now belong to the object's segments.
		if _, err := tx.ExecContext(ctx, qDeleteUpload, string(id)); err != nil {
			return fmt.Errorf("delete upload: %w", err)
		}
		freed = append(unlisted, replaced...)
		return nil
	})
	if err != nil {
		return gatehouse.ObjectInfo{}, fmt.Errorf("complete upload %s: %w", id, err)
	}
	s.free(freed)
	return info, nil
}

// checkPartList checks what can be checked of a completion request
// without the stored parts.
func checkPartList(parts []gatehouse.CompletePart) error {
	if len(parts) == 0 {
		return gatehouse.ErrMalformedXML.With("You must specify at least one part")
	}
	if len(parts) > gatehouse.MaxMultipartParts {
		return fmt.Errorf("%d parts: %w", len(parts), gatehouse.ErrInvalidPart)
	}
	for i, p := range parts {
		if p.Number < 1 || p.Number > gatehouse.MaxPartNumber {
			return fmt.Errorf("part number %d: %w", p.Number, gatehouse.ErrInvalidPart)
		}
		if i > 0 && p.Number <= parts[i-1].Number {
			return fmt.Errorf("part %d after part %d: %w",
				p.Number, parts[i-1].Number, gatehouse.ErrInvalidPartOrder)
		}
	}
	return nil
}

// matchParts pairs the requested parts with the stored ones. It returns
// the listed parts as segments and the blobs of the parts not listed.
func matchParts(req []gatehouse.CompletePart, stored []partRow) ([]segment, []string, error) {
	byNum := make(map[int]partRow, len(stored))
	for _, p := range stored {
		byNum[p.info.Number] = p
	}
	segs := make([]segment, len(req))
	for i, r := range req {
		p, ok := byNum[r.Number]
		if !ok || unquote(r.ETag) != unquote(p.info.ETag) {
			return nil, nil, fmt.Errorf("part %d: %w", r.Number, gatehouse.ErrInvalidPart)
		}
		if r.Checksum != "" && r.Checksum != p.info.Checksum.Value {
			return nil, nil, fmt.Errorf("part %d checksum: %w", r.Number, gatehouse.ErrInvalidPart)
		}
		if i < len(req)-1 && p.info.Size < gatehouse.MinPartSize {
			return nil, nil, fmt.Errorf("part %d of %d bytes: %w",
				r.Number, p.info.Size, gatehouse.ErrEntityTooSmall)
		}
		segs[i] = segment{blob: p.blob, size: p.info.Size, stored: p.stored}
		delete(byNum, r.Number)
	}
	var unlisted []string
	for _, p := range byNum {
		unlisted = append(unlisted, p.blob)
	}
	return segs, unlisted, nil
}

// assemble describes the object a completed upload becomes.
func (s *Store) assemble(up gatehouse.UploadInfo, req []gatehouse.CompletePart,
	stored []partRow, segs []segment) (gatehouse.ObjectInfo, error) {
	byNum := make(map[int]gatehouse.PartInfo, len(stored))
	for _, p := range stored {
		byNum[p.info.Number] = p.info
	}
	parts := make([]gatehouse.PartInfo, len(req))
	etags := make([]string, len(req))
	info := gatehouse.ObjectInfo{
		Bucket:    up.Bucket,
		Key:       up.Key,
		Modified:  fromNanos(s.now().UnixNano()),
		Meta:      up.Meta,
		Parts:     len(req),
		PartSizes: make([]int64, len(req)),
	}
	for i, r := range req {
		parts[i] = byNum[r.Number]
		etags[i] = parts[i].ETag
		info.PartSizes[i] = segs[i].size
		info.Size += segs[i].size
	}
	var err error
	if info.ETag, err = checksum.MultipartETag(etags); err != nil {
		return info, err
	}
	if info.Checksum, err = multipartChecksum(up, parts); err != nil {
		return info, err
	}
	return info, nil
}

package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/internal/sqldb"
)

// segment is one blob of an object's stored bytes.
type segment struct {
	blob   string
	size   int64 // content size of the part it holds
	stored int64 // bytes in the blob file
}

// current is what a writer learns about the object it replaces.
type current struct {
	id   string
	etag string
}

// PutObject stores body under key k. It writes the bytes to a blob file,
// calls opts.Seal, and then publishes the object in one transaction that
// also checks opts.IfNoneMatchAny and opts.IfMatch. A body, seal or
// precondition error publishes nothing and leaves no file behind; the
// error wraps the cause, so errors.As finds a *gatehouse.Error in it.
func (s *Store) PutObject(ctx context.Context, b gatehouse.BucketName, k gatehouse.ObjectKey,
	body io.Reader, opts gatehouse.PutOptions) (gatehouse.ObjectInfo, error) {
	if err := checkKey(k); err != nil {
		return gatehouse.ObjectInfo{}, err
	}
	// Fail fast, before reading the body; the publishing transaction
	// checks again.
	if err := bucketExists(ctx, s.db.Reader(), b); err != nil {
		return gatehouse.ObjectInfo{}, err
	}
	bl, err := s.writeBlob(ctx, body, opts.Seal)
	if err != nil {
		return gatehouse.ObjectInfo{}, fmt.Errorf("put %s/%s: %w", b, k, err)
	}
	info := gatehouse.ObjectInfo{
		Bucket:   b,
		Key:      k,
		Size:     bl.sealed.Size,
		ETag:     bl.sealed.ETag,
		Modified: fromNanos(s.now().UnixNano()),
		Meta:     opts.Meta,
		Checksum: bl.sealed.Checksum,
	}
	segs := []segment{{blob: bl.name, size: bl.sealed.Size, stored: bl.stored}}
	freed, err := s.publish(ctx, info, segs, opts)
	if err != nil {
		s.discard(bl, err)
		return gatehouse.ObjectInfo{}, fmt.Errorf("put %s/%s: %w", b, k, err)
	}
	s.free(freed)
	return info, nil
}

// publish makes info, stored in segs, the current object under its key,
// in one transaction that checks the bucket and opts' preconditions. It
// returns the blobs of the replaced object, to free after the commit.
func (s *Store) publish(ctx context.Context, info gatehouse.ObjectInfo, segs []segment,
	opts gatehouse.PutOptions) ([]string, error) {
	defer s.cache.begin(info.Bucket, info.Key)()
	var freed []string
	err := s.db.Write(ctx, func(tx *sqldb.Tx) error {
		if err := bucketExists(ctx, tx, info.Bucket); err != nil {
			return err
		}
		var err error
		freed, err = replace(ctx, tx, info, segs, opts)
		return err
	})
	return freed, err
}

// replace checks opts' preconditions against the current object under
// info's key, deletes that object and inserts info in its place. It
// returns the blobs the deleted object referenced.
func replace(ctx context.Context, tx *sqldb.Tx, info gatehouse.ObjectInfo, segs []segment,
	opts gatehouse.PutOptions) ([]string, error) {
	cur, err := currentObject(ctx, tx, info.Bucket, info.Key)
	if err != nil {
		return nil, err
	}
	if err := checkPreconditions(cur, opts); err != nil {
		return nil, err
	}
	var freed []string
	if cur != nil {
		if freed, err = deleteObject(ctx, tx, cur.id); err != nil {
			return nil, err
		}
	}
	return freed, insertObject(ctx, tx, info, segs)
}

// checkPreconditions applies a write's conditions to the object it would
// replace (nil if none). See "Conditional writes" in the Amazon S3 User
// Guide: If-None-Match: * fails if the key exists; If-Match fails unless
// the current ETag matches.
func checkPreconditions(cur *current, opts gatehouse.PutOptions) error {
	if opts.IfNoneMatchAny && cur != nil {
		return fmt.Errorf("key exists: %w", gatehouse.ErrPreconditionFailed)
	}
	if opts.IfMatch == "" {
		return nil
	}
	if cur == nil {
		return fmt.Errorf("if-match on a missing key: %w", gatehouse.ErrPreconditionFailed)
	}
	if opts.IfMatch != "*" && unquote(opts.IfMatch) != unquote(cur.etag) {
		return fmt.Errorf("etag %s does not match: %w", cur.etag, gatehouse.ErrPreconditionFailed)
	}
	return nil
}

func unquote(etag string) string {
	return strings.TrimPrefix(strings.TrimSuffix(etag, `"`), `"`)
}

func currentObject(ctx context.Context, tx *sqldb.Tx, b gatehouse.BucketName,
	k gatehouse.ObjectKey) (*current, error) {
	var c current
	err := tx.QueryRowContext(ctx, qCurrent, string(b), string(k)).Scan(&c.id, &c.etag)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read current object: %w", err)
	}
	return &c, nil
}

// deleteObject deletes an object row (its segments cascade) and returns
// the blobs it referenced.
func deleteObject(ctx context.Context, tx *sqldb.Tx, id string) ([]string, error) {
	segs, err := readSegments(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, qDeleteObject, id); err != nil {
		return nil, fmt.Errorf("delete object: %w", err)
	}
	names := make([]string, len(segs))
	for i, sg := range segs {
		names[i] = sg.blob
	}
	return names, nil
}

func insertObject(ctx context.Context, tx *sqldb.Tx, info gatehouse.ObjectInfo,
	segs []segment) error {
	meta, err := encodeMeta(info.Meta)
	if err != nil {
		return err
	}
	id := newID()
	_, err = tx.ExecContext(ctx, qInsertObject, id, string(info.Key), info.Size, info.ETag,
		info.Modified.UnixNano(), meta, string(info.Checksum.Algorithm),
		string(info.Checksum.Type), info.Checksum.Value, info.Parts, string(info.Bucket))
	if err != nil {
		return fmt.Errorf("insert object: %w", err)
	}
	for i, sg := range segs {
		_, err := tx.ExecContext(ctx, qInsertSegment, id, i, sg.blob, sg.size, sg.stored)
		if err != nil {
			return fmt.Errorf("insert segment: %w", err)
		}
	}
	return nil
}

func readSegments(ctx context.Context, q querier, id string) ([]segment, error) {
	rows, err := q.QueryContext(ctx, qSegments, id)
	if err != nil {
		return nil, fmt.Errorf("read segments: %w", err)
	}
	defer rows.Close()
	var segs []segment
	for rows.Next() {
		var sg segment
		if err := rows.Scan(&sg.blob, &sg.size, &sg.stored); err != nil {
			return nil, fmt.Errorf("read segments: %w", err)
		}
		segs = append(segs, sg)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read segments: %w", err)
	}
	return segs, nil
}

// DeleteObject removes key k. Deleting a missing key succeeds; a missing
// bucket fails with ErrNoSuchBucket.
func (s *Store) DeleteObject(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey) error {
	defer s.cache.begin(b, k)()
	var freed []string
	err := s.db.Write(ctx, func(tx *sqldb.Tx) error {
		if err := bucketExists(ctx, tx, b); err != nil {
			return err
		}
		cur, err := currentObject(ctx, tx, b, k)
		if err != nil || cur == nil {
			return err
		}
		freed, err = deleteObject(ctx, tx, cur.id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete %s/%s: %w", b, k, err)
	}
	s.free(freed)
	return nil
}

// OpenObject opens the current version of key k. The returned Object
// keeps reading that version's bytes even if the key is overwritten or
// deleted meanwhile: its blobs are pinned and not removed until it (and
// every reader from its Range) is closed. Metadata of hot keys comes from
// an in-memory cache kept coherent with every write (see metaCache).
func (s *Store) OpenObject(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey) (gatehouse.Object, error) {
	// Hold the gate shared from reading the metadata until the blobs are
	// pinned, so that no writer frees them in between (see free).
	s.gate.RLock()
	defer s.gate.RUnlock()

	o, err := s.lookup(ctx, b, k)
	if err != nil {
		return nil, fmt.Errorf("open %s/%s: %w", b, k, err)
	}
	s.pin(o.segs)
	return o, nil
}

// lookup finds the current version of b/k in the cache, or else in the
// database, caching what it read there.
func (s *Store) lookup(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey) (*object, error) {
	info, segs, gen, ok := s.cache.get(b, k)
	if ok {
		return newObject(s, info, segs), nil
	}
	o, err := s.loadObject(ctx, b, k)
	if err != nil {
		return nil, err
	}
	s.cache.put(gen, o.info, o.segs)
	return o, nil
}

// loadObject reads an object's metadata and segments in one statement.
func (s *Store) loadObject(ctx context.Context, b gatehouse.BucketName,
	k gatehouse.ObjectKey) (*object, error) {
	rows, err := s.db.Reader().QueryContext(ctx, qOpenObject, string(b), string(k))
	if err != nil {
		return nil, fmt.Errorf("read object: %w", err)
	}
	defer rows.Close()
	var (
		info gatehouse.ObjectInfo
		segs []segment
	)
	for rows.Next() {
		var sg segment
		if info, err = scanObject(rows, b, &sg); err != nil {
			return nil, err
		}
		segs = append(segs, sg)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read object: %w", err)
	}
	if len(segs) == 0 {
		if err := bucketExists(ctx, s.db.Reader(), b); err != nil {
			return nil, err
		}
		return nil, gatehouse.ErrNoSuchKey
	}
	if info.Parts > 0 {
		info.PartSizes = make([]int64, len(segs))
		for i, sg := range segs {
			info.PartSizes[i] = sg.size
		}
	}
	return newObject(s, info, segs), nil
}

// scanObject reads a row of qOpenObject into an ObjectInfo and sg.
func scanObject(rows *sql.Rows, b gatehouse.BucketName, sg *segment) (gatehouse.ObjectInfo, error) {
	var (
		id, key, meta string
		alg, typ      string
		modified      int64
		info          = gatehouse.ObjectInfo{Bucket: b}
	)
	err := rows.Scan(&id, &key, &info.Size, &info.ETag, &modified, &meta, &alg, &typ,
		&info.Checksum.Value, &info.Parts, &sg.blob, &sg.size, &sg.stored)
	if err != nil {
		return info, fmt.Errorf("read object: %w", err)
	}
	info.Key = gatehouse.ObjectKey(key)
	info.Modified = fromNanos(modified)
	info.Checksum.Algorithm = gatehouse.ChecksumAlgorithm(alg)
	info.Checksum.Type = gatehouse.ChecksumType(typ)
	info.Meta, err = decodeMeta(meta)
	return info, err
}

// checkKey rejects keys S3 would: empty, or longer than 1,024 bytes.
func checkKey(k gatehouse.ObjectKey) error {
	if k == "" {
		return gatehouse.ErrInvalidArgument.With("The object key must not be empty.")
	}
	if len(k) > gatehouse.MaxKeyLength {
		return fmt.Errorf("key of %d bytes: %w", len(k), gatehouse.ErrKeyTooLong)
	}
	return nil
}

// storedMeta is ObjectMeta as persisted in the meta column. The JSON
// names are part of the on-disk format: append only.
type storedMeta struct {
	ContentType        string            `json:"content_type,omitempty"`
	ContentEncoding    string            `json:"content_encoding,omitempty"`
	ContentDisposition string            `json:"content_disposition,omitempty"`
	ContentLanguage    string            `json:"content_language,omitempty"`
	CacheControl       string            `json:"cache_control,omitempty"`
	Expires            string            `json:"expires,omitempty"`
	User               map[string]string `json:"user,omitempty"`
}

func encodeMeta(m gatehouse.ObjectMeta) (string, error) {
	b, err := json.Marshal(storedMeta(m))
	if err != nil {
		return "", fmt.Errorf("encode metadata: %w", err)
	}
	return string(b), nil
}

func decodeMeta(s string) (gatehouse.ObjectMeta, error) {
	var m storedMeta
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return gatehouse.ObjectMeta{}, fmt.Errorf("decode metadata: %w", err)
	}
	return gatehouse.ObjectMeta(m), nil
}

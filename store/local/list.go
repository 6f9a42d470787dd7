package local

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/internal/sqldb"
)

// Listing walks keys in byte order from a cursor, a page of rows per
// query. A key containing the delimiter after the prefix rolls up into a
// common prefix; the walk then seeks past every key under that prefix
// with one new query, instead of reading them.

// seekMode says how a cursor bounds the next query.
type seekMode int

const (
	seekFrom     seekMode = iota // keys >= key
	seekAfter                    // keys > key
	seekAfterRow                 // (key, id) > (key, id): uploads only
)

// cursor is where a listing query starts.
type cursor struct {
	key  string
	id   string
	mode seekMode
}

// entry is one listed item, or a common prefix when isPrefix.
type entry[T any] struct {
	key      string // the key, or the common prefix
	id       string // upload ID, for uploads
	isPrefix bool
	item     T
}

// walker lists one page.
type walker[T any] struct {
	prefix, delim string
	// marker excludes common prefixes at or before it.
	marker string
	max    int
	// fetch queries up to batchRows rows from c onwards, in order.
	fetch func(c cursor) (*sql.Rows, error)
	// scan reads a row's key, ID and item.
	scan func(*sql.Rows) (key, id string, item T, err error)
}

// walk returns up to w.max entries starting at c, and whether more
// follow. It reads at most one entry beyond the page to know that.
func (w *walker[T]) walk(c cursor) (page []entry[T], truncated bool, err error) {
	if c.key < w.prefix {
		c = cursor{key: w.prefix, mode: seekFrom}
	}
	page = make([]entry[T], 0, min(w.max+1, 128))
	for len(page) <= w.max {
		var more bool
		page, c, more, err = w.step(page, c)
		if err != nil || !more {
			break
		}
	}
	if len(page) > w.max {
		return page[:w.max], true, err
	}
	return page, false, err
}

// step runs one query from c, appending entries to page. It returns the
// cursor to continue from and whether more rows may follow.
func (w *walker[T]) step(page []entry[T], c cursor) ([]entry[T], cursor, bool, error) {
	rows, err := w.fetch(c)
	if err != nil {
		return page, c, false, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		key, id, item, err := w.scan(rows)
		if err != nil {
			return page, c, false, err
		}
		if !strings.HasPrefix(key, w.prefix) {
			return page, c, false, nil // past the prefix: done
		}
		if cp, ok := w.commonPrefix(key); ok {
			if cp > w.marker {
				page = append(page, entry[T]{key: cp, isPrefix: true})
			}
			// Seek past every key under cp. Closing rows early stops
			// SQLite from stepping through the rest of the page.
			next, ok := successor(cp)
			return page, cursor{key: next, mode: seekFrom}, ok, rows.Close()
		}
		page = append(page, entry[T]{key: key, id: id, item: item})
		c = cursor{key: key, id: id, mode: seekAfter}
		if id != "" {
			c.mode = seekAfterRow
		}
		if len(page) > w.max {
			return page, c, false, nil
		}
	}
	return page, c, n == batchRows, rows.Err()
}

// commonPrefix returns the prefix of key up to and including the first
// delimiter after w.prefix, if there is one.
func (w *walker[T]) commonPrefix(key string) (string, bool) {
	if w.delim == "" {
		return "", false
	}
	i := strings.Index(key[len(w.prefix):], w.delim)
	if i < 0 {
		return "", false
	}
	return key[:len(w.prefix)+i+len(w.delim)], true
}

// successor returns the least string greater than every string with
// prefix p, or false if there is none (p is empty or all 0xff bytes).
func successor(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// ListObjects lists keys in UTF-8 byte order per opts; see
// gatehouse.ListOptions. Listed ObjectInfos carry size, ETag, modified
// time, checksum and part count, but not Meta or PartSizes.
func (s *Store) ListObjects(ctx context.Context, b gatehouse.BucketName,
	opts gatehouse.ListOptions) (gatehouse.ListResult, error) {
	// The page's queries run outside a transaction, each on its own
	// snapshot: S3 promises no snapshot across a listing either, and a
	// transaction would cost a third of each query's time.
	db := s.db.Reader()
	if err := bucketExists(ctx, db, b); err != nil {
		return gatehouse.ListResult{}, err
	}
	w := &walker[gatehouse.ObjectInfo]{
		prefix: opts.Prefix,
		delim:  opts.Delimiter,
		marker: opts.After,
		max:    pageSize(opts.Max),
		fetch: func(c cursor) (*sql.Rows, error) {
			q := qListAfter
			if c.mode == seekFrom {
				q = qListFrom
			}
			return db.QueryContext(ctx, q, string(b), c.key)
		},
		scan: func(rows *sql.Rows) (string, string, gatehouse.ObjectInfo, error) {
			info, err := scanListed(rows, b)
			return string(info.Key), "", info, err
		},
	}
	page, truncated, err := w.walk(cursor{key: opts.After, mode: seekAfter})
	if err != nil {
		return gatehouse.ListResult{}, fmt.Errorf("list %s: %w", b, err)
	}
	return objectPage(page, truncated), nil
}

func objectPage(page []entry[gatehouse.ObjectInfo], truncated bool) gatehouse.ListResult {
	res := gatehouse.ListResult{Truncated: truncated}
	for _, e := range page {
		if e.isPrefix {
			res.CommonPrefixes = append(res.CommonPrefixes, e.key)
		} else {
			res.Objects = append(res.Objects, e.item)
		}
	}
	if truncated {
		res.Next = page[len(page)-1].key
	}
	return res
}

func scanListed(rows *sql.Rows, b gatehouse.BucketName) (gatehouse.ObjectInfo, error) {
	var (
		info     = gatehouse.ObjectInfo{Bucket: b}
		key      string
		modified int64
		alg, typ string
	)
	err := rows.Scan(&key, &info.Size, &info.ETag, &modified, &alg, &typ,
		&info.Checksum.Value, &info.Parts)
	if err != nil {
		return info, fmt.Errorf("scan listing: %w", err)
	}
	info.Key = gatehouse.ObjectKey(key)
	info.Modified = fromNanos(modified)
	info.Checksum.Algorithm = gatehouse.ChecksumAlgorithm(alg)
	info.Checksum.Type = gatehouse.ChecksumType(typ)
	return info, nil
}

// batchRows is the LIMIT of every page query in sql.go: a full page and
// one more row, to learn whether more follow.
const batchRows = gatehouse.MaxListKeys + 1

// pageSize applies the default and ceiling of a listing's page size.
func pageSize(n int) int {
	if n <= 0 || n > gatehouse.MaxListKeys {
		return gatehouse.MaxListKeys
	}
	return n
}

// ListMultipartUploads lists in-progress uploads by key, then by
// initiation, per opts. As in S3, without an upload-ID marker the key
// marker excludes its own key's uploads; with one, it excludes only that
// key's uploads up to and including the marker.
func (s *Store) ListMultipartUploads(ctx context.Context, b gatehouse.BucketName,
	opts gatehouse.ListUploadsOptions) (gatehouse.ListUploadsResult, error) {
	var res gatehouse.ListUploadsResult
	err := s.db.Read(ctx, func(tx *sqldb.Tx) error {
		if err := bucketExists(ctx, tx, b); err != nil {
			return err
		}
		w := &walker[gatehouse.UploadInfo]{
			prefix: opts.Prefix,
			delim:  opts.Delimiter,
			marker: opts.KeyMarker,
			max:    pageSize(opts.Max),
			fetch: func(c cursor) (*sql.Rows, error) {
				switch c.mode {
				case seekFrom:
					return tx.QueryContext(ctx, qListUploadsFrom, string(b), c.key)
				case seekAfter:
					return tx.QueryContext(ctx, qListUploadsAfterKey, string(b), c.key)
				}
				return tx.QueryContext(ctx, qListUploadsAfter, string(b), c.key, c.id)
			},
			scan: func(rows *sql.Rows) (string, string, gatehouse.UploadInfo, error) {
				up, err := scanUpload(rows, b)
				return string(up.Key), string(up.ID), up, err
			},
		}
		start := cursor{key: opts.KeyMarker, mode: seekAfter}
		if opts.UploadIDMarker != "" {
			start = cursor{key: opts.KeyMarker, id: string(opts.UploadIDMarker), mode: seekAfterRow}
		}
		page, truncated, err := w.walk(start)
		if err != nil {
			return err
		}
		res = uploadPage(page, truncated)
		return nil
	})
	if err != nil {
		return gatehouse.ListUploadsResult{}, fmt.Errorf("list uploads %s: %w", b, err)
	}
	return res, nil
}

func uploadPage(page []entry[gatehouse.UploadInfo], truncated bool) gatehouse.ListUploadsResult {
	res := gatehouse.ListUploadsResult{Truncated: truncated}
	for _, e := range page {
		if e.isPrefix {
			res.CommonPrefixes = append(res.CommonPrefixes, e.key)
		} else {
			res.Uploads = append(res.Uploads, e.item)
		}
	}
	if truncated {
		last := page[len(page)-1]
		res.NextKeyMarker = last.key
		res.NextUploadIDMarker = gatehouse.UploadID(last.id)
	}
	return res
}

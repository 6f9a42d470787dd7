// Package local is the embedded object store: object bytes live in files
// under a data directory and metadata lives in an SQLite database beside
// them.
//
// Layout of the data directory:
//
//	<dir>/meta.db            SQLite metadata (WAL mode)
//	<dir>/tmp/               files being written; removed at start
//	<dir>/blobs/ab/cd/<id>   immutable blob files, one per PUT or part
//
// A blob is written once under tmp, made durable, renamed into blobs and
// only then referenced by a committed metadata transaction; it is removed
// only after the transaction that dropped its last reference committed.
// A crash between those steps leaves at most an unreferenced file, which
// Open removes. Readers therefore never see partial bytes.
package local

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/internal/sqldb"
)

var _ gatehouse.ObjectStore = (*Store)(nil)

// Options configures a Store. The zero value is usable.
type Options struct {
	// Logger receives warnings about files the store could not remove and
	// what the start-up sweep removed. Nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock for modification and initiation times. Nil means
	// time.Now.
	Now func() time.Time
	// MetadataCacheBytes bounds the in-memory cache of object metadata
	// that spares OpenObject a database query for hot keys. Zero means
	// 8 MiB; negative disables the cache.
	MetadataCacheBytes int64
}

// Store is an ObjectStore on the local file system. It is safe for
// concurrent use. Only one Store may have a directory open at a time.
type Store struct {
	dir   string
	blobs string // filepath.Join(dir, "blobs")
	lock  *os.File
	db    *sqldb.DB
	log   *slog.Logger
	now   func() time.Time

	// gate orders OpenObject against the freeing of blobs: an opener
	// holds it shared from reading an object's metadata until it has
	// pinned the blobs; freeing takes it exclusively, so it never misses
	// a pin by a reader that saw the old metadata.
	gate sync.RWMutex
	// pinMu guards pins and doomed. pins counts open Objects per blob;
	// doomed holds blobs that lost their metadata while pinned and are
	// removed when the last pin goes.
	pinMu  sync.Mutex
	pins   map[string]int
	doomed map[string]bool

	// cache holds the metadata of recently opened objects. Every write
	// to an object row goes through cache.begin.
	cache *metaCache
}

// Open opens the store in dir, creating the directory and database if
// needed. Before it returns, it removes temp files and blob files that no
// metadata references, the leftovers of a crash.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	s := &Store{
		dir:    dir,
		blobs:  filepath.Join(dir, "blobs"),
		log:    opts.Logger,
		now:    opts.Now,
		pins:   make(map[string]int),
		doomed: make(map[string]bool),
		cache:  newMetaCache(cmp.Or(opts.MetadataCacheBytes, defaultCacheBytes)),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}

	for _, d := range []string{dir, s.tmpDir(), s.blobDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("local: create %s: %w", d, err)
		}
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	s.lock = lock
	if err := s.open(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("local: %w", err)
	}
	return s, nil
}

// open opens the database, creates or checks the schema, and sweeps.
func (s *Store) open(ctx context.Context) error {
	db, err := sqldb.Open(filepath.Join(s.dir, "meta.db"))
	if err != nil {
		return err
	}
	s.db = db
	if err := s.migrate(ctx); err != nil {
		return err
	}
	if err := db.Prepare(ctx, queries...); err != nil {
		return err
	}
	if err := s.sweep(ctx); err != nil {
		return fmt.Errorf("sweep %s: %w", s.dir, err)
	}
	return nil
}

// Close closes the database and releases the directory. Objects still
// open remain readable until closed, but no other method may be called
// after Close.
func (s *Store) Close() error {
	var err error
	if s.db != nil {
		err = s.db.Close()
	}
	return errors.Join(err, s.lock.Close())
}

// migrate creates the schema, or checks that an existing one is current.
func (s *Store) migrate(ctx context.Context) error {
	return s.db.Write(ctx, func(tx *sqldb.Tx) error {
		for _, stmt := range schema {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("create schema: %w", err)
			}
		}
		var v int
		err := tx.QueryRowContext(ctx, qSchemaVersion).Scan(&v)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, qSetSchemaVersion, schemaVersion)
			return err
		case err != nil:
			return fmt.Errorf("read schema version: %w", err)
		case v != schemaVersion:
			return fmt.Errorf("schema version %d, want %d", v, schemaVersion)
		}
		return nil
	})
}

// CreateBucket creates bucket b. It fails with ErrBucketAlreadyOwnedByYou
// if b exists. Name rules are the caller's; only the empty name is
// rejected here.
func (s *Store) CreateBucket(ctx context.Context, b gatehouse.BucketName) error {
	if b == "" {
		return fmt.Errorf("create bucket: %w", gatehouse.ErrInvalidBucketName)
	}
	return s.db.Write(ctx, func(tx *sqldb.Tx) error {
		err := bucketExists(ctx, tx, b)
		switch {
		case err == nil:
			return fmt.Errorf("create bucket %q: %w", b, gatehouse.ErrBucketAlreadyOwnedByYou)
		case !errors.Is(err, gatehouse.ErrNoSuchBucket):
			return err
		}
		_, err = tx.ExecContext(ctx, qInsertBucket, string(b), s.now().UnixNano())
		if err != nil {
			return fmt.Errorf("create bucket %q: %w", b, err)
		}
		return nil
	})
}

// DeleteBucket removes an empty bucket.
func (s *Store) DeleteBucket(ctx context.Context, b gatehouse.BucketName) error {
	return s.db.Write(ctx, func(tx *sqldb.Tx) error {
		if err := bucketExists(ctx, tx, b); err != nil {
			return err
		}
		for _, q := range []string{qAnyObject, qAnyUpload} {
			var one int
			err := tx.QueryRowContext(ctx, q, string(b)).Scan(&one)
			if err == nil {
				return fmt.Errorf("delete bucket %q: %w", b, gatehouse.ErrBucketNotEmpty)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("delete bucket %q: %w", b, err)
			}
		}
		if _, err := tx.ExecContext(ctx, qDeleteBucket, string(b)); err != nil {
			return fmt.Errorf("delete bucket %q: %w", b, err)
		}
		return nil
	})
}

// HeadBucket describes bucket b, or fails with ErrNoSuchBucket.
func (s *Store) HeadBucket(ctx context.Context,
	b gatehouse.BucketName) (gatehouse.BucketInfo, error) {
	var created int64
	err := s.db.Reader().QueryRowContext(ctx, qBucketCreated, string(b)).Scan(&created)
	if errors.Is(err, sql.ErrNoRows) {
		return gatehouse.BucketInfo{}, fmt.Errorf("bucket %q: %w", b, gatehouse.ErrNoSuchBucket)
	}
	if err != nil {
		return gatehouse.BucketInfo{}, fmt.Errorf("head bucket %q: %w", b, err)
	}
	return gatehouse.BucketInfo{Name: b, Created: fromNanos(created)}, nil
}

// ListBuckets lists every bucket in name order.
func (s *Store) ListBuckets(ctx context.Context) ([]gatehouse.BucketInfo, error) {
	rows, err := s.db.Reader().QueryContext(ctx, qListBuckets)
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	defer rows.Close()
	var out []gatehouse.BucketInfo
	for rows.Next() {
		var name string
		var created int64
		if err := rows.Scan(&name, &created); err != nil {
			return nil, fmt.Errorf("list buckets: %w", err)
		}
		out = append(out, gatehouse.BucketInfo{
			Name: gatehouse.BucketName(name), Created: fromNanos(created),
		})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	return out, nil
}

// querier is a transaction or a pool.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// bucketExists returns nil if b exists, else a wrapped ErrNoSuchBucket.
func bucketExists(ctx context.Context, q querier, b gatehouse.BucketName) error {
	var created int64
	err := q.QueryRowContext(ctx, qBucketCreated, string(b)).Scan(&created)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("bucket %q: %w", b, gatehouse.ErrNoSuchBucket)
	}
	if err != nil {
		return fmt.Errorf("bucket %q: %w", b, err)
	}
	return nil
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

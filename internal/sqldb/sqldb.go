// Package sqldb opens an embedded SQLite database the way Gatehouse uses
// it: one connection for writes, a pool for reads, WAL journaling, and
// transactions run through small helpers that always end them.
//
// SQLite admits one writer at a time. Rather than let concurrent writers
// collide and retry on SQLITE_BUSY, DB funnels every write through a
// single connection, so writers queue in Go (honouring their contexts)
// while readers proceed in parallel on their own WAL snapshots.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DB is an SQLite database opened as one write connection and a pool of
// read-only connections. It is safe for concurrent use.
type DB struct {
	w *sql.DB
	r *sql.DB
}

// pragmas are applied to every connection the driver opens.
//
// synchronous=FULL makes each commit durable when it returns: the store
// answers a client only after its object's metadata committed, and S3
// promises that an acknowledged write survives. NORMAL would skip the WAL
// fsync per commit and could lose acknowledged objects on power loss.
var pragmas = []string{
	"journal_mode(WAL)",
	"synchronous(FULL)",
	"busy_timeout(10000)",
	"foreign_keys(1)",
}

// Open opens (creating if needed) the SQLite database file at path.
func Open(path string) (*DB, error) {
	// The driver reads the DSN as "file:<path>?<params>".
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("database path %q: must not contain '?' or '#'", path)
	}
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	// BEGIN IMMEDIATE takes the write lock up front, so a write
	// transaction never fails half-way upgrading from a read lock when
	// another process holds the database.
	wq := cloneValues(q)
	wq.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", "file:"+path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s for writing: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)

	// The write connection creates the file and switches it to WAL
	// before any reader opens it.
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}

	rq := cloneValues(q)
	rq.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return &DB{w: w, r: r}, nil
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// Writer returns the single write connection pool, for preparing
// statements. Use Write for transactions.
func (db *DB) Writer() *sql.DB { return db.w }

// Reader returns the read-only connection pool.
func (db *DB) Reader() *sql.DB { return db.r }

// Write runs fn in a write transaction and commits it if fn returns nil;
// otherwise it rolls back and returns fn's error. Writes are serialized:
// Write waits (until ctx is done) for the previous writer to finish.
func (db *DB) Write(ctx context.Context, fn func(*sql.Tx) error) error {
	return run(ctx, db.w, fn)
}

// Read runs fn in a read transaction, which sees one consistent snapshot
// of the database, and then ends it.
func (db *DB) Read(ctx context.Context, fn func(*sql.Tx) error) error {
	return run(ctx, db.r, fn)
}

func run(ctx context.Context, pool *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

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
	"sync"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DB is an SQLite database opened as one write connection and a pool of
// read-only connections. It is safe for concurrent use.
//
// Every query goes through a prepared statement, prepared once per
// connection and then reused: with the pure-Go driver, preparing a
// statement costs several times more than running a simple one.
type DB struct {
	w *Pool
	r *Pool
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
	return &DB{w: &Pool{db: w}, r: &Pool{db: r}}, nil
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// Reader returns the read-only pool, for single-statement reads.
func (db *DB) Reader() *Pool { return db.r }

// Write runs fn in a write transaction and commits it if fn returns nil;
// otherwise it rolls back and returns fn's error. A failed commit is a
// *CommitError. Writes are serialized: Write waits (until ctx is done)
// for the previous writer to finish.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	return db.w.run(ctx, fn)
}

// Read runs fn in a read transaction, which sees one consistent snapshot
// of the database, and then ends it.
func (db *DB) Read(ctx context.Context, fn func(*Tx) error) error {
	return db.r.run(ctx, fn)
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.r.close(), db.w.close())
}

// Pool is a connection pool whose queries use cached prepared statements.
type Pool struct {
	db    *sql.DB
	stmts sync.Map // query string -> *sql.Stmt
}

// Prepare prepares queries on both pools, for later reuse by Tx and Pool
// methods. Call it before the first transaction: a transaction holding
// the write connection could not prepare on its pool without deadlock, so
// transactions run statements that were not prepared here unprepared.
func (db *DB) Prepare(ctx context.Context, queries ...string) error {
	for _, q := range queries {
		for _, p := range []*Pool{db.w, db.r} {
			if _, err := p.stmt(ctx, q); err != nil {
				return fmt.Errorf("prepare %q: %w", q, err)
			}
		}
	}
	return nil
}

// stmt returns the prepared statement for q, preparing it on first use.
// Only Prepare and Pool's own query methods call it; see Prepare.
func (p *Pool) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := p.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := p.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := p.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// prepared returns q's statement if Prepare prepared it.
func (p *Pool) prepared(q string) *sql.Stmt {
	if st, ok := p.stmts.Load(q); ok {
		return st.(*sql.Stmt)
	}
	return nil
}

// QueryContext runs a query outside any transaction.
func (p *Pool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a query expected to return at most one row.
func (p *Pool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := p.stmt(ctx, q)
	if err != nil {
		// Let database/sql report the same error through the Row.
		return p.db.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (p *Pool) run(ctx context.Context, fn func(*Tx) error) error {
	sqltx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{tx: sqltx, pool: p}
	if err := fn(tx); err != nil {
		if rerr := sqltx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return &CommitError{Err: err}
	}
	return nil
}

// CommitError reports that COMMIT itself failed. Unlike an error from the
// transaction's function, after which the transaction was rolled back,
// the caller cannot tell whether the transaction took effect, and must
// not undo side effects it depends on (such as files it refers to).
type CommitError struct {
	Err error
}

func (e *CommitError) Error() string { return "commit: " + e.Err.Error() }

// Unwrap returns the driver's error.
func (e *CommitError) Unwrap() error { return e.Err }

func (p *Pool) close() error {
	p.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	return p.db.Close()
}

// Tx is a transaction whose queries use the pool's prepared statements.
type Tx struct {
	tx   *sql.Tx
	pool *Pool
}

// ExecContext runs a statement that returns no rows.
func (t *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.pool.prepared(q); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

// QueryContext runs a query.
func (t *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.pool.prepared(q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

// QueryRowContext runs a query expected to return at most one row.
func (t *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := t.pool.prepared(q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

package sqldb

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	err = db.Write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE n (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)`)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO n (id, v) VALUES (1, 0)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Prepare(ctx, qGet, qInc); err != nil {
		t.Fatal(err)
	}
	return db
}

const (
	qGet = `SELECT v FROM n WHERE id = $1`
	qInc = `UPDATE n SET v = v + 1 WHERE id = $1`
)

func value(t *testing.T, db *DB) int {
	t.Helper()
	var v int
	if err := db.Reader().QueryRowContext(context.Background(), qGet, 1).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Concurrent read-modify-write transactions neither fail with
// SQLITE_BUSY nor lose updates: writes are serialized.
func TestConcurrentWritesAreSerialized(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- db.Write(ctx, func(tx *Tx) error {
				var v int
				if err := tx.QueryRowContext(ctx, qGet, 1).Scan(&v); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `UPDATE n SET v = $1 WHERE id = 1`, v+1)
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := value(t, db); got != n {
		t.Fatalf("after %d increments, v = %d", n, got)
	}
}

func TestWriteRollsBackWhenFnFails(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, qInc, 1); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want fn's error", err)
	}
	var ce *CommitError
	if errors.As(err, &ce) {
		t.Fatal("a rolled-back transaction reported a CommitError")
	}
	if got := value(t, db); got != 0 {
		t.Fatalf("v = %d after a rolled-back increment", got)
	}
}

func TestReadTransactionsCannotWrite(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	err := db.Read(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, qInc, 1)
		return err
	})
	if err == nil {
		t.Fatal("a write in a read transaction succeeded")
	}
	if got := value(t, db); got != 0 {
		t.Fatalf("v = %d after a refused write", got)
	}
}

func TestOpenRejectsPathsTheDSNWouldSplit(t *testing.T) {
	for _, p := range []string{"a?b.db", "a#b.db"} {
		if db, err := Open(filepath.Join(t.TempDir(), p)); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

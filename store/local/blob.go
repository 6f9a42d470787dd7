package local

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/internal/sqldb"
)

// A blob is an immutable file holding the stored bytes of one PUT or one
// part. Its name is 32 random hex digits; it lives at blobs/ab/cd/<name>,
// where ab and cd are the name's first four digits, so that no directory
// grows past 65,536 entries before the files themselves spread out.

func (s *Store) tmpDir() string  { return filepath.Join(s.dir, "tmp") }
func (s *Store) blobDir() string { return s.blobs }

// blobPath is where blob name lives. It concatenates rather than calling
// filepath.Join, which cleans the path anew on every GET: s.blobs is
// clean already and a blob name is hex digits.
func (s *Store) blobPath(name string) string {
	const sep = string(filepath.Separator)
	return s.blobs + sep + name[0:2] + sep + name[2:4] + sep + name
}

// newID returns 32 random hex digits.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// blob is a blob file written and durable but not yet published.
type blob struct {
	name   string
	stored int64
	sealed gatehouse.Sealed
}

// copyBufs holds buffers for copying bodies to disk.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// writeBlob streams body into a new blob file and seals it. On any error,
// including a failing body or seal, nothing is left behind.
func (s *Store) writeBlob(ctx context.Context, body io.Reader,
	seal func() (gatehouse.Sealed, error)) (blob, error) {
	if seal == nil {
		return blob{}, errors.New("write blob: PutOptions.Seal is nil")
	}
	name := newID()

	// Step 1: create the file under tmp, where a crash leaves it to the
	// sweep at the next start.
	tmp := filepath.Join(s.tmpDir(), name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return blob{}, fmt.Errorf("write blob: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			s.remove(tmp)
		}
	}()

	// Step 2: copy the body to its end. A body error (a bad signature
	// upstream, a client gone) aborts the write and is returned as is.
	n, err := copyBody(ctx, f, body)
	if err != nil {
		return blob{}, fmt.Errorf("write blob: %w", err)
	}

	// Step 3: make the bytes durable before anything can refer to them.
	if err := f.Sync(); err != nil {
		return blob{}, fmt.Errorf("write blob: sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return blob{}, fmt.Errorf("write blob: close: %w", err)
	}

	// Step 4: seal. The caller checks digests and signatures over what
	// was read; its verdict decides whether the write goes on.
	sealed, err := seal()
	if err != nil {
		return blob{}, fmt.Errorf("write blob: seal: %w", err)
	}

	// Step 5: rename into the blob tree. Still unreferenced, so a crash
	// from here until the metadata commits leaves an orphan to sweep.
	dst := s.blobPath(name)
	if err := s.mkdirBlob(filepath.Dir(dst)); err != nil {
		return blob{}, fmt.Errorf("write blob: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return blob{}, fmt.Errorf("write blob: %w", err)
	}
	tmp = dst // on failure below, the deferred cleanup removes dst

	// Step 6: make the rename durable, so that committed metadata never
	// refers to a name a power loss could undo.
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return blob{}, fmt.Errorf("write blob: %w", err)
	}
	ok = true
	return blob{name: name, stored: n, sealed: sealed}, nil
}

// mkdirBlob creates a blob fan-out directory, and its parent, making
// each creation durable in its own parent.
func (s *Store) mkdirBlob(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	for _, d := range []string{filepath.Dir(dir), dir} {
		err := os.Mkdir(d, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := syncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// writebackEvery is how many bytes copyBody writes before it starts
// their writeback (see startWriteback).
const writebackEvery = 8 << 20

// copyBody copies body to f until EOF, in large writes through a pooled
// buffer (io.Copy would hand the copy to os.File.ReadFrom, which writes
// 32 KiB at a time), checking ctx between reads. Every writebackEvery
// bytes it starts writing them to disk, so that the disk works while the
// body is still arriving instead of all at once in the final fsync.
func copyBody(ctx context.Context, f *os.File, body io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var n, flushed int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, rerr := fill(body, buf)
		if m > 0 {
			if _, err := f.Write(buf[:m]); err != nil {
				return n, err
			}
			n += int64(m)
		}
		if n-flushed >= writebackEvery {
			startWriteback(f, flushed, n-flushed)
			flushed = n
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// fill reads into buf until it is full or r fails. Unlike io.ReadFull,
// it passes r's errors through unchanged, so that a body cut short (which
// net/http reports as io.ErrUnexpectedEOF) is never taken for its end.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// discard removes a blob whose publishing transaction failed with err.
// If the commit itself failed, the metadata may refer to the blob after
// all; it is then left for the sweep at the next start, which removes it
// only if nothing refers to it.
func (s *Store) discard(b blob, err error) {
	var ce *sqldb.CommitError
	if errors.As(err, &ce) {
		s.log.Warn("local: commit failed; leaving blob to the start-up sweep",
			"blob", b.name, "err", err)
		return
	}
	s.remove(s.blobPath(b.name))
}

// remove deletes a file, logging (not returning) a failure: the sweep at
// the next start removes whatever is left.
func (s *Store) remove(path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("local: remove file", "path", path, "err", err)
	}
}

// free removes blobs that a committed transaction stopped referencing.
// A blob still pinned by an open Object is removed when it is unpinned.
func (s *Store) free(names []string) {
	if len(names) == 0 {
		return
	}
	var now []string
	s.gate.Lock()
	s.pinMu.Lock()
	for _, n := range names {
		if s.pins[n] > 0 {
			s.doomed[n] = true
		} else {
			now = append(now, n)
		}
	}
	s.pinMu.Unlock()
	s.gate.Unlock()
	for _, n := range now {
		s.remove(s.blobPath(n))
	}
}

// pin marks blobs as in use by an open Object. The caller holds gate
// shared.
func (s *Store) pin(segs []segment) {
	s.pinMu.Lock()
	for _, sg := range segs {
		s.pins[sg.blob]++
	}
	s.pinMu.Unlock()
}

// unpin releases pins taken by pin and removes blobs freed meanwhile.
func (s *Store) unpin(segs []segment) {
	var now []string
	s.pinMu.Lock()
	for _, sg := range segs {
		s.pins[sg.blob]--
		if s.pins[sg.blob] > 0 {
			continue
		}
		delete(s.pins, sg.blob)
		if s.doomed[sg.blob] {
			delete(s.doomed, sg.blob)
			now = append(now, sg.blob)
		}
	}
	s.pinMu.Unlock()
	for _, n := range now {
		s.remove(s.blobPath(n))
	}
}

// sweep removes what a crash can leave behind: every file under tmp, and
// every blob file no segment or part references. It walks the blob tree
// in name order (os.ReadDir sorts) alongside the referenced names in the
// same order, so it needs constant memory whatever the store's size.
func (s *Store) sweep(ctx context.Context) error {
	tmps, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return err
	}
	for _, e := range tmps {
		if err := os.RemoveAll(filepath.Join(s.tmpDir(), e.Name())); err != nil {
			return err
		}
	}
	if len(tmps) > 0 {
		s.log.Info("local: removed unfinished uploads", "count", len(tmps))
	}

	return s.db.Read(ctx, func(tx *sqldb.Tx) error {
		rows, err := tx.QueryContext(ctx, qAllBlobs)
		if err != nil {
			return err
		}
		defer rows.Close()
		refs := &refCursor{rows: rows}
		removed := 0
		err = walkBlobs(s.blobDir(), func(name, path string) error {
			ref, err := refs.seek(name)
			if err != nil {
				return err
			}
			if ref {
				return nil
			}
			removed++
			return os.Remove(path)
		})
		if removed > 0 {
			s.log.Info("local: removed unreferenced blobs", "count", removed)
		}
		return err
	})
}

// walkBlobs calls fn for each blob file in the two-level blob tree, in
// name order. Entries that are not where a blob of their name would be
// are skipped (and kept): order, which the sweep relies on, holds only
// for well-placed names.
func walkBlobs(root string, fn func(name, path string) error) error {
	l1, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	for _, a := range l1 {
		if !a.IsDir() || !isHex(a.Name(), 2) {
			continue
		}
		l2, err := os.ReadDir(filepath.Join(root, a.Name()))
		if err != nil {
			return err
		}
		for _, b := range l2 {
			if !b.IsDir() || !isHex(b.Name(), 2) {
				continue
			}
			dir := filepath.Join(root, a.Name(), b.Name())
			files, err := os.ReadDir(dir)
			if err != nil {
				return err
			}
			for _, f := range files {
				n := f.Name()
				if !f.Type().IsRegular() || !isHex(n, 32) || n[:4] != a.Name()+b.Name() {
					continue
				}
				if err := fn(n, filepath.Join(dir, n)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// isHex reports whether s is n lower-case hex digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// refCursor walks the sorted referenced blob names.
type refCursor struct {
	rows *sql.Rows
	cur  string
	done bool
}

// seek advances to the first name >= name and reports whether it equals
// name. Calls must come in ascending order of name.
func (c *refCursor) seek(name string) (bool, error) {
	for !c.done && c.cur < name {
		if !c.rows.Next() {
			c.done = true
			return false, c.rows.Err()
		}
		if err := c.rows.Scan(&c.cur); err != nil {
			return false, err
		}
	}
	return !c.done && c.cur == name, nil
}

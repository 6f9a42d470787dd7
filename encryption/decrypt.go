package encryption

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"gatehouse.dev/gatehouse"
)

// Source reads stored bytes: the inner store's gatehouse.Object, whose
// Range takes offsets into what the inner store holds.
type Source interface {
	Range(off, length int64) (io.ReadCloser, error)
}

// segment is one envelope within an object's stored bytes.
type segment struct {
	plainOff  int64 // where its content starts in the object's content
	plain     int64 // its content size
	storedOff int64 // where it starts in the object's stored bytes
}

// layout places the envelopes of an object: one for a single PUT, one
// per part for a multipart object, back to back.
type layout struct {
	segs      []segment
	multipart bool
	size      int64 // content size
}

// newLayout lays out an object of content size size, with partSizes
// the content size of each part of a multipart object (nil otherwise).
func newLayout(size int64, partSizes []int64) *layout {
	if partSizes == nil {
		return &layout{segs: []segment{{plain: size}}, size: size}
	}
	l := &layout{segs: make([]segment, len(partSizes)), multipart: true}
	var stored int64
	for i, p := range partSizes {
		l.segs[i] = segment{plainOff: l.size, plain: p, storedOff: stored}
		l.size += p
		stored += StoredSize(p)
	}
	return l
}

// find is the index of the non-empty segment holding content byte off.
func (l *layout) find(off int64) int {
	return sort.Search(len(l.segs), func(i int) bool {
		s := l.segs[i]
		return s.plainOff+s.plain > off
	})
}

// NewRangeReader decrypts content bytes [off, off+n) of a single-PUT
// envelope of plain content bytes, read from src, with the path key
// that wrapped its data key. It reads only the header and the blocks
// the range touches. A wrong key fails with gatehouse.ErrAccessDenied;
// stored bytes that fail authentication fail the read, never yielding
// the bytes of a block that did not verify.
func NewRangeReader(src Source, pathKey Key, plain, off, n int64) (io.ReadCloser, error) {
	return openRange(src, pathKey, newLayout(plain, nil), off, n)
}

// rangeReader decrypts a range block by block, reading one stored span.
type rangeReader struct {
	src  io.ReadCloser
	key  Key
	lay  *layout
	seg  int   // current segment
	blk  int64 // next block of the current segment
	hdr  *header
	part int   // part number of the last header read
	skip int   // content bytes to drop from the front of the next block
	left int64 // content bytes still to return
	in   []byte
	out  []byte
	err  error
}

// openRange returns a reader of content [off, off+n) of the object laid
// out by lay. It reads the first envelope's header at once when the
// range starts past its first block, so that a wrong key fails here
// rather than at the first Read.
func openRange(src Source, key Key, lay *layout, off, n int64) (io.ReadCloser, error) {
	if off < 0 || n < 0 || off > lay.size || n > lay.size-off {
		return nil, fmt.Errorf("range %d+%d of %d bytes: %w",
			off, n, lay.size, gatehouse.ErrInvalidRange)
	}
	if n == 0 {
		return io.NopCloser(strings.NewReader("")), nil
	}
	si := lay.find(off)
	sg := lay.segs[si]
	first := (off - sg.plainOff) / blockSize
	r := &rangeReader{
		key: key, lay: lay, seg: si, blk: first, left: n,
		skip: int(off - sg.plainOff - first*blockSize),
		in:   make([]byte, sealedBlock),
	}
	start := sg.storedOff
	if first > 0 {
		if err := r.readHeaderAt(src, sg.storedOff); err != nil {
			return nil, err
		}
		start += HeaderSize + first*sealedBlock
	}
	rc, err := src.Range(start, lay.storedEnd(off+n-1)-start)
	if err != nil {
		return nil, fmt.Errorf("read envelope: %w", err)
	}
	r.src = rc
	return r, nil
}

// storedEnd is the stored offset just past the block holding content
// byte last.
func (l *layout) storedEnd(last int64) int64 {
	sg := l.segs[l.find(last)]
	blk := (last - sg.plainOff) / blockSize
	body := min((blk+1)*sealedBlock, StoredSize(sg.plain)-HeaderSize)
	return sg.storedOff + HeaderSize + body
}

// readHeaderAt reads and opens the header at stored offset off.
func (r *rangeReader) readHeaderAt(src Source, off int64) error {
	rc, err := src.Range(off, HeaderSize)
	if err != nil {
		return fmt.Errorf("read envelope header: %w", err)
	}
	defer rc.Close()
	return r.readHeader(rc)
}

// readHeader reads a header from rd, unwraps its data key, and checks
// its part number against the object's layout.
func (r *rangeReader) readHeader(rd io.Reader) error {
	if _, err := io.ReadFull(rd, r.in[:HeaderSize]); err != nil {
		return fmt.Errorf("read envelope header: %w: %w", errDamaged, err)
	}
	h, err := openHeader(r.in[:HeaderSize], r.key)
	if err != nil {
		return err
	}
	p := int(h.part)
	switch {
	case !r.lay.multipart && p != 0,
		r.lay.multipart && (p < r.seg+1 || p <= r.part):
		return fmt.Errorf("envelope of part %d at position %d: %w", p, r.seg, errDamaged)
	}
	r.hdr, r.part = &h, p
	return nil
}

// Read returns decrypted content, a verified block at a time.
func (r *rangeReader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.left == 0 {
			return 0, io.EOF
		}
		r.err = r.next()
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

// next decrypts the next block into r.out, reading the header of its
// envelope first when it starts one.
func (r *rangeReader) next() error {
	if r.hdr == nil {
		if err := r.readHeader(r.src); err != nil {
			return err
		}
	}
	sg := r.lay.segs[r.seg]
	blocks := blocksOf(sg.plain)
	plain := min(blockSize, sg.plain-r.blk*blockSize)
	sealed := r.in[:plain+tagSize]
	if _, err := io.ReadFull(r.src, sealed); err != nil {
		return fmt.Errorf("read block %d: %w: %w", r.blk, errDamaged, err)
	}

	var (
		nonce [nonceSize]byte
		aad   [blockAADSize]byte
	)
	blockNonce(&nonce, r.hdr.nonce, r.blk)
	blockAAD(&aad, r.blk, r.blk == blocks-1)
	out, err := r.hdr.data.Open(sealed[:0], nonce[:], sealed, aad[:])
	if err != nil {
		return fmt.Errorf("block %d of envelope %d fails authentication: %w",
			r.blk, r.seg, errDamaged)
	}
	out = out[r.skip:]
	r.skip = 0
	r.out = out[:min(int64(len(out)), r.left)]
	r.left -= int64(len(r.out))

	// Move on to the next block, or the next envelope's header.
	if r.blk++; r.blk == blocks {
		r.seg, r.blk, r.hdr = r.seg+1, 0, nil
	}
	return nil
}

// Close closes the stored span.
func (r *rangeReader) Close() error { return r.src.Close() }

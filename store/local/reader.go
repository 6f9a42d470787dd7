package local

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"

	"gatehouse.dev/gatehouse"
)

// object is an open version of an object. Its blobs stay pinned, and so
// on disk, until the object and every reader from Range are closed.
type object struct {
	s    *Store
	info gatehouse.ObjectInfo
	segs []segment
	offs []int64 // offs[i] is where segs[i] starts in the stored bytes

	mu     sync.Mutex
	refs   int // 1 for the object until Close, plus 1 per open reader
	closed bool
}

func newObject(s *Store, info gatehouse.ObjectInfo, segs []segment) *object {
	offs := make([]int64, len(segs)+1)
	for i, sg := range segs {
		offs[i+1] = offs[i] + sg.stored
	}
	return &object{s: s, info: info, segs: segs, offs: offs, refs: 1}
}

// Info describes the version. The caller must not modify its slices.
func (o *object) Info() gatehouse.ObjectInfo { return o.info }

// size is the total size of the version's blob files.
func (o *object) size() int64 { return o.offs[len(o.segs)] }

// Range returns a reader of the stored bytes [off, off+length), reading
// across part boundaries of a multipart object. It fails with
// ErrInvalidRange unless the range lies within the object.
func (o *object) Range(off, length int64) (io.ReadCloser, error) {
	size := o.size()
	if off < 0 || length < 0 || off > size || length > size-off {
		return nil, fmt.Errorf("range %d+%d of %d bytes: %w",
			off, length, size, gatehouse.ErrInvalidRange)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil, errors.New("local: range of a closed object")
	}
	o.refs++

	// Find the segment holding off: the last one starting at or before it.
	i := sort.Search(len(o.segs), func(i int) bool { return o.offs[i+1] > off })
	r := &rangeReader{o: o, i: i, left: length}
	if i < len(o.segs) {
		r.pos = off - o.offs[i]
	}
	return r, nil
}

// Close releases the version. Readers from Range remain valid until they
// are closed themselves.
func (o *object) Close() error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true
	o.mu.Unlock()
	o.release()
	return nil
}

func (o *object) release() {
	o.mu.Lock()
	o.refs--
	last := o.refs == 0
	o.mu.Unlock()
	if last {
		o.s.unpin(o.segs)
	}
}

// rangeReader reads a span of an object's stored bytes, opening each
// segment's blob file in turn.
type rangeReader struct {
	o      *object
	i      int      // current segment
	pos    int64    // offset in the current segment
	left   int64    // bytes still to read
	f      *os.File // current segment's file, positioned at pos
	closed bool
}

func (r *rangeReader) Read(p []byte) (int, error) {
	for {
		if r.closed {
			return 0, errors.New("local: read of a closed range")
		}
		if r.left == 0 {
			return 0, io.EOF
		}
		n, err := r.segment()
		if err != nil {
			return 0, err
		}
		if n == 0 {
			continue
		}
		if int64(len(p)) > n {
			p = p[:n]
		}
		m, err := r.f.Read(p)
		r.pos += int64(m)
		r.left -= int64(m)
		if err == io.EOF {
			err = r.short()
		}
		if m > 0 || err != nil {
			return m, err
		}
	}
}

// WriteTo copies the rest of the range to w a segment at a time, through
// a LimitedReader of the blob file, so that an *http.response destination
// can hand the copy to sendfile(2).
func (r *rangeReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for r.left > 0 && !r.closed {
		n, err := r.segment()
		if err != nil {
			return total, err
		}
		if n == 0 {
			continue
		}
		m, err := io.Copy(w, &io.LimitedReader{R: r.f, N: n})
		total += m
		r.pos += m
		r.left -= m
		if err != nil {
			return total, err
		}
		if m < n {
			return total, r.short()
		}
	}
	if r.closed {
		return total, errors.New("local: read of a closed range")
	}
	return total, nil
}

// segment makes r.f the file holding the next byte to read, and returns
// how many bytes of the range it holds from r.pos (0 when it moved past
// the end of a segment and the caller should call again).
func (r *rangeReader) segment() (int64, error) {
	segs := r.o.segs
	if r.i >= len(segs) {
		return 0, r.short()
	}
	sg := segs[r.i]
	if r.pos >= sg.stored {
		r.closeFile()
		r.i++
		r.pos = 0
		return 0, nil
	}
	if r.f == nil {
		f, err := openBlob(r.o.s.blobPath(sg.blob))
		if err != nil {
			return 0, fmt.Errorf("local: open blob: %w", err)
		}
		if r.pos > 0 {
			if _, err := f.Seek(r.pos, io.SeekStart); err != nil {
				f.Close()
				return 0, fmt.Errorf("local: seek blob: %w", err)
			}
		}
		r.f = f
	}
	return min(r.left, sg.stored-r.pos), nil
}

// short reports a blob file shorter than its metadata says: damage on
// disk, never a normal end of data.
func (r *rangeReader) short() error {
	return fmt.Errorf("local: blob of %s/%s is shorter than recorded: %w",
		r.o.info.Bucket, r.o.info.Key, io.ErrUnexpectedEOF)
}

func (r *rangeReader) closeFile() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}

// Close closes the reader and releases its hold on the object's blobs.
func (r *rangeReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.closeFile()
	r.o.release()
	return nil
}

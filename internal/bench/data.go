package bench

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"sync"
)

// patternLen is the length of the shared pattern. It is not a power of two,
// so the pattern does not line up with the block sizes of disks, buffers or
// checksums.
const patternLen = 1<<20 - 3

// pattern is a fixed block of pseudo-random bytes from a seeded ChaCha8.
// Every object's content is a window of it, repeated, starting at an offset
// chosen by the object's seed. It is generated once and only read after,
// so streaming a body costs the client a copy, not a PRNG.
var pattern = sync.OnceValue(func() []byte {
	var seed [32]byte
	copy(seed[:], "gatehouse bench pattern, fixed.")
	b := make([]byte, patternLen)
	_, _ = rand.NewChaCha8(seed).Read(b) // ChaCha8.Read never fails
	return b
})

// seedFor derives the content seed of an object from its key, so that the
// same key always has the same bytes whichever writer put it last.
func seedFor(key string) uint64 {
	h := fnv.New64a()
	_, _ = io.WriteString(h, key)
	return h.Sum64()
}

// content describes the deterministic bytes of one object.
type content struct {
	seed uint64
	size int64
}

// at copies the object's bytes from offset off into p and returns how many
// it copied, which is less than len(p) only at the end of the object.
func (c content) at(p []byte, off int64) int {
	pat := pattern()
	if rest := c.size - off; int64(len(p)) > rest {
		p = p[:rest]
	}
	pos := int((c.seed + uint64(off)) % patternLen)
	n := 0
	for n < len(p) {
		k := copy(p[n:], pat[pos:])
		n += k
		pos = 0
	}
	return n
}

// reader returns a reader of the object's bytes.
func (c content) reader() io.Reader { return &contentReader{c: c} }

// contentReader streams a content. It holds no object bytes of its own.
type contentReader struct {
	c   content
	off int64
}

// Read implements io.Reader.
func (r *contentReader) Read(p []byte) (int, error) {
	if r.off >= r.c.size {
		return 0, io.EOF
	}
	n := r.c.at(p, r.off)
	r.off += int64(n)
	return n, nil
}

// errContentMismatch reports a body whose bytes differ from what was put.
var errContentMismatch = errors.New("body differs from the bytes that were put")

// scratch is one worker's buffers for reading and checking bodies.
type scratch struct{ got, want []byte }

// newScratch returns buffers of n bytes each.
func newScratch(n int) *scratch {
	return &scratch{got: make([]byte, n), want: make([]byte, n)}
}

// verify reads body to EOF and checks that it is exactly the object's
// bytes. It compares one buffer at a time and never holds more of the
// object than that.
func (c content) verify(body io.Reader, s *scratch) error {
	var off int64
	for {
		n, err := body.Read(s.got)
		if n > 0 {
			if off+int64(n) > c.size {
				return fmt.Errorf("body longer than %d bytes: %w", c.size, errContentMismatch)
			}
			c.at(s.want[:n], off)
			if !bytes.Equal(s.got[:n], s.want[:n]) {
				return fmt.Errorf("at offset %d: %w", off, errContentMismatch)
			}
			off += int64(n)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read body at offset %d: %w", off, err)
		}
	}
	if off != c.size {
		return fmt.Errorf("body is %d bytes, want %d: %w", off, c.size, errContentMismatch)
	}
	return nil
}

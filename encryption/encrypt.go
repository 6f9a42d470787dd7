package encryption

import (
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"io"
)

// Encrypter is an io.Reader of the envelope of the plaintext it reads
// from its source: hand it to PutObject as the body. It reads the source
// one block ahead and holds two blocks of memory, whatever the size.
// An error from the source is returned unchanged, so that a body cut
// short is never sealed as complete. It is not safe for concurrent use.
type Encrypter struct {
	src   io.Reader
	nonce [nonceSize]byte
	data  cipher.AEAD

	in    []byte // blockSize+1: a block and one byte of look-ahead
	held  int    // bytes of in already filled (the look-ahead)
	out   []byte // sealed bytes not yet returned
	buf   []byte // backing store of out
	block int64  // index of the next block to seal
	plain int64  // plaintext bytes read so far
	eof   bool   // the source reported io.EOF
	done  bool   // the final block is sealed
	err   error  // sticky source error
}

// NewEncrypter returns an Encrypter of the content read from src, under
// a fresh random data key and nonce wrapped by pathKey. part is the part
// number of a multipart upload (1..10000), or 0 for a single PUT.
func NewEncrypter(src io.Reader, pathKey Key, part uint16) (*Encrypter, error) {
	var (
		dataKey Key
		nonce   [nonceSize]byte
	)
	rand.Read(dataKey[:]) // crypto/rand.Read never fails (Go 1.24+).
	rand.Read(nonce[:])
	return newEncrypter(src, pathKey, part, dataKey, nonce)
}

// newEncrypter is NewEncrypter with a chosen data key and nonce: the
// seam for known-answer tests. Nothing else may call it.
func newEncrypter(src io.Reader, pathKey Key, part uint16, dataKey Key,
	nonce [nonceSize]byte) (*Encrypter, error) {
	data, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	e := &Encrypter{
		src:   src,
		nonce: nonce,
		data:  data,
		in:    make([]byte, blockSize+1),
		buf:   make([]byte, HeaderSize+sealedBlock),
	}
	e.out = e.buf[:HeaderSize]
	if err := sealHeader(e.out, pathKey, part, nonce, dataKey); err != nil {
		return nil, err
	}
	return e, nil
}

// Consumed is the number of plaintext bytes read from the source so far.
func (e *Encrypter) Consumed() int64 { return e.plain }

// Read returns sealed bytes: the header, then each block once the source
// has shown whether a further byte follows it.
func (e *Encrypter) Read(p []byte) (int, error) {
	for len(e.out) == 0 {
		if e.err != nil {
			return 0, e.err
		}
		if e.done {
			return 0, io.EOF
		}
		if err := e.sealNext(); err != nil {
			e.err = err
		}
	}
	n := copy(p, e.out)
	e.out = e.out[n:]
	return n, nil
}

// sealNext reads the next block and seals it into e.out.
func (e *Encrypter) sealNext() error {
	n := e.held
	if !e.eof {
		m, err := fill(e.src, e.in[e.held:])
		n += m
		switch {
		case err == io.EOF:
			e.eof = true
		case err != nil:
			return err
		}
	}
	// Without a byte beyond it, this block is the last.
	e.done = e.eof && n <= blockSize
	if e.block >= maxBlocks {
		return errors.New("encryption: body exceeds the envelope's block count")
	}

	// A full buffer holds a block and the first byte of the next one.
	m := min(n, blockSize)
	var (
		nonce [nonceSize]byte
		aad   [blockAADSize]byte
	)
	blockNonce(&nonce, e.nonce, e.block)
	blockAAD(&aad, e.block, e.done)
	e.out = e.data.Seal(e.buf[:0], nonce[:], e.in[:m], aad[:])
	e.plain += int64(m)
	e.block++

	e.held = copy(e.in, e.in[m:n])
	return nil
}

// fill reads into buf until it is full or r fails, passing r's errors
// (io.EOF included) through unchanged.
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

var _ io.Reader = (*Encrypter)(nil)

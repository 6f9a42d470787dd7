package encryption

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"

	"gatehouse.dev/gatehouse"
)

// Envelope v1 is the stored form of one single PUT or one part:
//
//	header (68 bytes):
//	  0  magic "GHE1"
//	  4  version 1
//	  5  block size as log2 (16: 64 KiB)
//	  6  part number, uint16 big-endian (0 for a single PUT)
//	  8  object nonce, 12 random bytes
//	 20  wrapped data key: AES-256-GCM under the path key of the 32-byte
//	     random data key, with nonce = the object nonce and AAD = bytes
//	     0..19 of the header (48 bytes: key and tag)
//	blocks, from 68:
//	  block i = AES-256-GCM under the data key of plaintext bytes
//	            [i*B, min((i+1)*B, size)), with
//	            nonce = object nonce[0:8] || uint32(i) big-endian,
//	            AAD   = "gh1" || final (1 byte: 1 for the last block,
//	                    else 0) || uint64(i) big-endian
//	          (ciphertext and a 16-byte tag)
//
// Every block but the last holds exactly B plaintext bytes; the last
// holds 1..B, and an empty body is one empty final block. Block i so
// starts at 68 + i*(B+16) and the stored size is a pure function of the
// plaintext size (StoredSize, PlainSize).
//
// What the layout detects: a block moved to another index fails (the
// index is in its nonce and AAD); a body cut at a block boundary fails
// (the new last block was not sealed as final); a block from another
// object or part fails (each has its own random data key); a changed
// header fails (it is the AAD of the key wrap), and a changed part
// number with it. A wrong path key fails to unwrap the data key.
const (
	magic        = "GHE1"
	version1     = 1
	blockLog2    = 16
	blockSize    = 1 << blockLog2
	tagSize      = 16
	nonceSize    = 12
	prefixSize   = 20 // magic, version, block size, part, nonce
	wrappedSize  = KeySize + tagSize
	HeaderSize   = prefixSize + wrappedSize
	sealedBlock  = blockSize + tagSize
	maxBlocks    = 1 << 32
	blockAADSize = 3 + 1 + 8
)

// errWrongKey is what reading with a key that did not write the object
// gives. A damaged header gives it too: the two cannot be told apart.
var errWrongKey = gatehouse.ErrAccessDenied.With(
	"The object is encrypted under another key.")

// errDamaged marks stored bytes that fail authentication or parsing.
var errDamaged = fmt.Errorf("encrypted object is damaged: %w", gatehouse.ErrInternal)

// StoredSize is the number of stored bytes of an envelope holding plain
// bytes of content.
func StoredSize(plain int64) int64 {
	blocks := max(1, (plain+blockSize-1)/blockSize)
	return HeaderSize + blocks*tagSize + plain
}

// PlainSize inverts StoredSize. It fails for a size no envelope has.
func PlainSize(stored int64) (int64, error) {
	s := stored - HeaderSize
	if s < tagSize {
		return 0, fmt.Errorf("stored size %d: %w", stored, errDamaged)
	}
	full, rem := s/sealedBlock, s%sealedBlock
	switch {
	case rem == 0:
		return full * blockSize, nil
	case rem == tagSize && full == 0:
		return 0, nil
	case rem > tagSize:
		return full*blockSize + rem - tagSize, nil
	}
	return 0, fmt.Errorf("stored size %d: %w", stored, errDamaged)
}

// blocksOf is the number of blocks of an envelope of plain bytes.
func blocksOf(plain int64) int64 { return max(1, (plain+blockSize-1)/blockSize) }

// header is a parsed envelope header.
type header struct {
	part  uint16
	nonce [nonceSize]byte
	data  cipher.AEAD // the unwrapped data key
}

// sealHeader writes the header of a new envelope into dst (HeaderSize
// bytes), wrapping dataKey under pathKey.
func sealHeader(dst []byte, pathKey Key, part uint16, nonce [nonceSize]byte,
	dataKey Key) error {
	copy(dst, magic)
	dst[4] = version1
	dst[5] = blockLog2
	binary.BigEndian.PutUint16(dst[6:], part)
	copy(dst[8:prefixSize], nonce[:])
	wrap, err := newGCM(pathKey)
	if err != nil {
		return err
	}
	wrap.Seal(dst[prefixSize:prefixSize], nonce[:], dataKey[:], dst[:prefixSize])
	return nil
}

// openHeader parses a header and unwraps its data key with pathKey.
func openHeader(src []byte, pathKey Key) (header, error) {
	var h header
	if len(src) < HeaderSize || string(src[:4]) != magic {
		return h, fmt.Errorf("no envelope header: %w", errDamaged)
	}
	if src[4] != version1 || src[5] != blockLog2 {
		return h, fmt.Errorf("envelope version %d, block size 2^%d: %w",
			src[4], src[5], errDamaged)
	}
	h.part = binary.BigEndian.Uint16(src[6:])
	copy(h.nonce[:], src[8:prefixSize])
	wrap, err := newGCM(pathKey)
	if err != nil {
		return h, err
	}
	var dataKey Key
	if _, err := wrap.Open(dataKey[:0], h.nonce[:], src[prefixSize:HeaderSize],
		src[:prefixSize]); err != nil {
		return h, fmt.Errorf("unwrap data key: %w", errWrongKey)
	}
	h.data, err = newGCM(dataKey)
	return h, err
}

// blockNonce is the nonce of block i.
func blockNonce(dst *[nonceSize]byte, object [nonceSize]byte, i int64) {
	copy(dst[:8], object[:8])
	binary.BigEndian.PutUint32(dst[8:], uint32(i))
}

// blockAAD is the additional data of block i.
func blockAAD(dst *[blockAADSize]byte, i int64, final bool) {
	copy(dst[:3], "gh1")
	dst[3] = 0
	if final {
		dst[3] = 1
	}
	binary.BigEndian.PutUint64(dst[4:], uint64(i))
}

func newGCM(k Key) (cipher.AEAD, error) {
	b, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, fmt.Errorf("encryption: %w", err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("encryption: %w", err)
	}
	return g, nil
}

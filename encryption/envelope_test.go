package encryption

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"testing"

	"gatehouse.dev/gatehouse"
)

// katKeys are the fixed keys of the envelope known-answer tests: the
// path key of customer-a/photos/2024/cat.jpg under the root 00..1f (see
// keys_test.go), a data key and an object nonce.
func katKeys() (path, data Key, nonce [nonceSize]byte) {
	var root Key
	for i := range root {
		root[i] = byte(i)
	}
	path = KeyFor(root.Bucket("customer-a"), "photos/2024/cat.jpg")
	for i := range data {
		data[i] = 0xa0 + byte(i%16)
	}
	for i := range nonce {
		nonce[i] = 0xc0 + byte(i)
	}
	return path, data, nonce
}

func sealFixed(t testing.TB, plain []byte, part uint16) []byte {
	t.Helper()
	path, data, nonce := katKeys()
	e, err := newEncrypter(bytes.NewReader(plain), path, part, data, nonce)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The pinned bytes were computed once by this package; the test then
// takes them apart with crypto/cipher alone, following the layout in
// envelope.go, so that the documentation and the code agree.
func TestEnvelopeKnownAnswer(t *testing.T) {
	const want = "4748453101100000c0c1c2c3c4c5c6c7c8c9cacb406f6cba671a204bb0bca161d6" +
		"83307b131ab7f4e37ec8892f6ab99ea4bd4dd82e2ab809691a09eabca3e840e8fcb6b6302656eb" +
		"5783478e88ec6511c7540321ea747f8ac5c0a68de2891630bcb7866e"
	got := sealFixed(t, []byte("hello, gatehouse"), 0)
	if hex.EncodeToString(got) != want {
		t.Fatalf("envelope = %x\nwant       %s", got, want)
	}

	// Unwrap the data key and open the one, final block independently.
	path, data, nonce := katKeys()
	if string(got[:4]) != "GHE1" || got[4] != 1 || got[5] != 16 || got[6] != 0 || got[7] != 0 {
		t.Fatalf("header prefix %x", got[:8])
	}
	dk, err := gcm(t, path[:]).Open(nil, got[8:20], got[20:68], got[:20])
	if err != nil || !bytes.Equal(dk, data[:]) || !bytes.Equal(got[8:20], nonce[:]) {
		t.Fatalf("unwrapped data key %x, %v", dk, err)
	}
	bn := append(append([]byte{}, nonce[:8]...), 0, 0, 0, 0)
	aad := append([]byte("gh1\x01"), make([]byte, 8)...)
	plain, err := gcm(t, dk).Open(nil, bn, got[68:], aad)
	if err != nil || string(plain) != "hello, gatehouse" {
		t.Fatalf("block 0 opens to %q, %v", plain, err)
	}
}

func TestMultiBlockEnvelopeKnownAnswer(t *testing.T) {
	big := patterned(2*blockSize + 100)
	got := sealFixed(t, big, 3)
	sum := sha256.Sum256(got)
	const want = "be2d05a24eabf7eb414bb77bb0c8a2eec7e798437e1e310ecdbfcec5d13e80b7"
	if len(got) != 131288 || hex.EncodeToString(sum[:]) != want {
		t.Fatalf("envelope of %d bytes with SHA-256 %x; want 131288 bytes, %s",
			len(got), sum, want)
	}
	// Block 1 is not final; block 2 is.
	_, data, nonce := katKeys()
	for i, final := range []byte{0, 0, 1} {
		start := HeaderSize + i*sealedBlock
		end := min(start+sealedBlock, len(got))
		bn := binary.BigEndian.AppendUint32(append([]byte{}, nonce[:8]...), uint32(i))
		aad := binary.BigEndian.AppendUint64([]byte{'g', 'h', '1', final}, uint64(i))
		plain, err := gcm(t, data[:]).Open(nil, bn, got[start:end], aad)
		if err != nil || !bytes.Equal(plain, big[i*blockSize:min((i+1)*blockSize, len(big))]) {
			t.Fatalf("block %d: %v", i, err)
		}
	}
}

func gcm(t testing.TB, key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func patterned(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func TestStoredSizeRoundTrips(t *testing.T) {
	for _, n := range []int64{0, 1, blockSize - 1, blockSize, blockSize + 1, 3 * blockSize,
		5 << 20, 5<<30 + 3} {
		s := StoredSize(n)
		if p, err := PlainSize(s); err != nil || p != n {
			t.Errorf("PlainSize(StoredSize(%d) = %d) = %d, %v", n, s, p, err)
		}
		if n <= 3*blockSize {
			if got := int64(len(sealFixed(t, patterned(int(n)), 0))); got != s {
				t.Errorf("envelope of %d bytes has %d, StoredSize says %d", n, got, s)
			}
		}
	}
	// Sizes no envelope has: no tag, or a trailing empty block.
	for _, s := range []int64{0, HeaderSize, HeaderSize + 15, HeaderSize + sealedBlock + 16} {
		if p, err := PlainSize(s); err == nil {
			t.Errorf("PlainSize(%d) = %d; want an error", s, p)
		}
	}
}

// memSource is stored bytes in memory, read by stored offset.
type memSource []byte

func (m memSource) Range(off, n int64) (io.ReadCloser, error) {
	if off < 0 || n < 0 || off+n > int64(len(m)) {
		return nil, fmt.Errorf("range %d+%d of %d: %w", off, n, len(m), gatehouse.ErrInvalidRange)
	}
	return io.NopCloser(bytes.NewReader(m[off : off+n])), nil
}

// countingSource records which stored bytes were read.
type countingSource struct {
	memSource
	read int64
}

func (c *countingSource) Range(off, n int64) (io.ReadCloser, error) {
	c.read += n
	return c.memSource.Range(off, n)
}

func TestRangeReadsAcrossBlockBoundaries(t *testing.T) {
	const size = 3*blockSize + 1000
	plain := patterned(size)
	path, _, _ := katKeys()
	stored := sealFixed(t, plain, 0)
	cases := []struct {
		name   string
		off, n int64
		blocks int64 // blocks the range touches
	}{
		{"first byte", 0, 1, 1},
		{"whole object", 0, size, 4},
		{"last byte of block 0", blockSize - 1, 1, 1},
		{"first byte of block 1", blockSize, 1, 1},
		{"straddles blocks 0 and 1", blockSize - 10, 20, 2},
		{"exactly block 1", blockSize, blockSize, 1},
		{"from mid block 1 to the end", blockSize + 5, size - blockSize - 5, 3},
		{"last byte", size - 1, 1, 1},
		{"empty range mid-object", 500, 0, 0},
		{"empty range at the end", size, 0, 0},
	}
	for _, c := range cases {
		src := &countingSource{memSource: stored}
		r, err := NewRangeReader(src, path, size, c.off, c.n)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, plain[c.off:c.off+c.n]) {
			t.Fatalf("%s: read %d bytes, %v; want %d matching bytes", c.name, len(got), err, c.n)
		}
		// At most the header and each touched block, which is sealed.
		if limit := HeaderSize + c.blocks*sealedBlock; c.n > 0 && src.read > limit {
			t.Errorf("%s: read %d stored bytes, want at most %d", c.name, src.read, limit)
		}
	}
	for _, r := range [][2]int64{{-1, 1}, {0, size + 1}, {size, 1}, {1 << 62, 1 << 62}} {
		_, err := NewRangeReader(memSource(stored), path, size, r[0], r[1])
		if !errors.Is(err, gatehouse.ErrInvalidRange) {
			t.Errorf("Range(%d, %d): %v, want InvalidRange", r[0], r[1], err)
		}
	}
}

func TestEmptyObjectIsOneEmptyFinalBlock(t *testing.T) {
	path, _, _ := katKeys()
	stored := sealFixed(t, nil, 0)
	if len(stored) != HeaderSize+tagSize {
		t.Fatalf("empty envelope has %d bytes", len(stored))
	}
	r, err := NewRangeReader(memSource(stored), path, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || len(got) != 0 {
		t.Fatalf("read %q, %v", got, err)
	}
}

// readAllOf decrypts the whole of an envelope of size content bytes.
func readAllOf(stored []byte, key Key, size int64) ([]byte, error) {
	r, err := NewRangeReader(memSource(stored), key, size, 0, size)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func TestEveryFlippedByteFails(t *testing.T) {
	const size = 2*blockSize + 300
	plain := patterned(size)
	path, _, _ := katKeys()
	stored := sealFixed(t, plain, 0)
	regions := []struct {
		name string
		at   int
	}{
		{"magic", 0}, {"version", 4}, {"block size", 5}, {"part number", 7},
		{"object nonce", 10}, {"wrapped key", 30}, {"wrapped key tag", 67},
		{"block 0 ciphertext", HeaderSize + 100}, {"block 0 tag", HeaderSize + sealedBlock - 1},
		{"block 1 ciphertext", HeaderSize + sealedBlock + 5},
		{"block 2 ciphertext", HeaderSize + 2*sealedBlock}, {"final tag", len(stored) - 1},
	}
	for _, rg := range regions {
		bad := bytes.Clone(stored)
		bad[rg.at] ^= 0x01
		got, err := readAllOf(bad, path, size)
		if err == nil {
			t.Errorf("flipped %s (byte %d): read succeeded", rg.name, rg.at)
		}
		// Whatever came before the error is true content.
		if !bytes.Equal(got, plain[:len(got)]) {
			t.Errorf("flipped %s: returned altered bytes", rg.name)
		}
	}
}

func TestTruncationAtBlockBoundaryFails(t *testing.T) {
	path, _, _ := katKeys()
	stored := sealFixed(t, patterned(3*blockSize), 0)
	cut := stored[:HeaderSize+2*sealedBlock]
	// The size a tamperer would record beside the cut blob.
	if _, err := readAllOf(cut, path, 2*blockSize); err == nil {
		t.Error("a body cut after block 1 read as a complete 2-block object")
	}
	if _, err := readAllOf(cut, path, 3*blockSize); err == nil {
		t.Error("a body cut after block 1 read as the 3-block object")
	}
}

func TestReorderedAndSwappedBlocksFail(t *testing.T) {
	path, _, _ := katKeys()
	a := sealFixed(t, patterned(3*blockSize), 0)
	e, err := NewEncrypter(bytes.NewReader(patterned(3*blockSize)), path, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(e)
	blk := func(s []byte, i int) []byte { return s[HeaderSize+i*sealedBlock:][:sealedBlock] }

	reordered := bytes.Clone(a)
	copy(blk(reordered, 0), blk(a, 1))
	copy(blk(reordered, 1), blk(a, 0))
	if _, err := readAllOf(reordered, path, 3*blockSize); err == nil {
		t.Error("blocks 0 and 1 swapped within an object: read succeeded")
	}
	// Same key, same content, same position: only the data key differs.
	swapped := bytes.Clone(a)
	copy(blk(swapped, 1), blk(b, 1))
	if _, err := readAllOf(swapped, path, 3*blockSize); err == nil {
		t.Error("block 1 taken from another object: read succeeded")
	}
}

func TestWrongKeyIsAccessDenied(t *testing.T) {
	path, _, _ := katKeys()
	stored := sealFixed(t, []byte("secret"), 0)
	other := path
	other[0] ^= 1
	_, err := readAllOf(stored, other, 6)
	if !errors.Is(err, gatehouse.ErrAccessDenied) {
		t.Fatalf("read with another key: %v, want AccessDenied", err)
	}
	if msg := gatehouse.AsError(err).Message; msg != "The object is encrypted under another key." {
		t.Errorf("client message %q", msg)
	}
}

// A source error (a client that hung up, a bad chunk signature) comes
// out of the Encrypter unchanged, and nothing after it is sealed final.
func TestEncrypterPassesSourceErrorsThrough(t *testing.T) {
	path, _, _ := katKeys()
	boom := gatehouse.ErrSignatureDoesNotMatch.With("test")
	src := io.MultiReader(bytes.NewReader(patterned(100_000)), errReader{io.ErrUnexpectedEOF})
	e, _ := NewEncrypter(src, path, 0)
	if _, err := io.ReadAll(e); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut-short body: %v, want io.ErrUnexpectedEOF", err)
	}
	e, _ = NewEncrypter(errReader{boom}, path, 0)
	if _, err := io.ReadAll(e); !errors.Is(err, gatehouse.ErrSignatureDoesNotMatch) {
		t.Errorf("failing body: %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// A source that returns its last bytes together with io.EOF, and one
// that returns a byte at a time, give the same envelope.
func TestEncrypterIsIndependentOfReadSizes(t *testing.T) {
	plain := patterned(blockSize + 1)
	want := sealFixed(t, plain, 0)
	path, data, nonce := katKeys()
	for _, src := range []io.Reader{dataEOFReader{plain}, &oneByteReader{plain}} {
		e, _ := newEncrypter(src, path, 0, data, nonce)
		got, err := io.ReadAll(e)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%T: envelope differs (%d vs %d bytes), %v", src, len(got), len(want), err)
		}
	}
}

type dataEOFReader struct{ b []byte }

func (d dataEOFReader) Read(p []byte) (int, error) {
	return copy(p, d.b), io.EOF // only ever called with a large enough p here
}

type oneByteReader struct{ b []byte }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(o.b) == 0 {
		return 0, io.EOF
	}
	p[0] = o.b[0]
	o.b = o.b[1:]
	return 1, nil
}

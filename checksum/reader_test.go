package checksum_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"testing/iotest"
	"time"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/checksum"
)

// randomBytes returns n bytes from a seeded generator.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestReaderHashesEveryShape checks that the Reader's ETag and SHA256
// equal the standard library's over the whole body, for sizes around
// and across its staging chunks and for readers that return data in odd
// pieces, including data together with io.EOF.
func TestReaderHashesEveryShape(t *testing.T) {
	const k = 256 << 10 // the Reader's chunk size, as of writing
	sizes := []int{0, 1, 4 << 10, k - 1, k, k + 1, 2 * k, 4*k + 13, 3<<20 + 5}
	shapes := []struct {
		name string
		wrap func(io.Reader) io.Reader
		max  int // largest size worth trying (one-byte reads are slow)
	}{
		{"whole reads", func(r io.Reader) io.Reader { return r }, 1 << 30},
		{"half reads", iotest.HalfReader, 1 << 30},
		{"data with EOF", iotest.DataErrReader, 1 << 30},
		{"one byte reads", iotest.OneByteReader, k + 1},
	}
	for _, size := range sizes {
		data := randomBytes(size, uint64(size))
		md5sum := md5.Sum(data)
		shasum := sha256.Sum256(data)
		want := gatehouse.Sealed{
			Size: int64(size),
			ETag: `"` + hex.EncodeToString(md5sum[:]) + `"`,
			Checksum: gatehouse.Checksum{Algorithm: gatehouse.ChecksumSHA256,
				Type: gatehouse.ChecksumTypeFullObject, Value: checksum.Encode(shasum[:])},
		}
		for _, sh := range shapes {
			if size > sh.max {
				continue
			}
			t.Run(fmt.Sprintf("%d bytes, %s", size, sh.name), func(t *testing.T) {
				r := checksum.NewReader(sh.wrap(bytes.NewReader(data)),
					checksum.Expect{Algorithm: gatehouse.ChecksumSHA256})
				var out bytes.Buffer
				if _, err := io.CopyBuffer(&out, r, make([]byte, 77<<10)); err != nil {
					t.Fatalf("copy: %v", err)
				}
				if !bytes.Equal(out.Bytes(), data) {
					t.Fatalf("the Reader passed on %d bytes that differ from the body",
						out.Len())
				}
				got, err := r.Seal(nil)
				if err != nil {
					t.Fatalf("Seal: %v", err)
				}
				if got != want {
					t.Fatalf("Seal = %+v, want %+v", got, want)
				}
			})
		}
	}
}

// failingBody yields n bytes and then fails with errBody.
type failingBody struct {
	r io.Reader
}

var errBody = errors.New("connection reset midway")

func (f *failingBody) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, fmt.Errorf("read body: %w", errBody)
	}
	return n, err
}

// waitGoroutines fails t unless the number of goroutines falls back to
// at most want within a few seconds: a goroutine that stays is a leak.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines remain, want at most %d", runtime.NumGoroutine(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestReaderBodyErrorMidway checks that an error from the body in the
// middle of a multi-chunk read reaches the caller unchanged, stays
// returned by later reads, makes Seal fail, and leaves no goroutine.
func TestReaderBodyErrorMidway(t *testing.T) {
	before := runtime.NumGoroutine()
	body := &failingBody{r: bytes.NewReader(randomBytes(1<<20+300<<10, 1))}
	r := checksum.NewReader(body, checksum.Expect{Algorithm: gatehouse.ChecksumCRC32C})

	n, err := io.Copy(io.Discard, r)
	if !errors.Is(err, errBody) {
		t.Fatalf("copy = %d, %v; want the body's error", n, err)
	}
	if n != 1<<20+300<<10 {
		t.Errorf("copied %d bytes before the error, want every byte the body gave", n)
	}
	if _, err := r.Read(make([]byte, 10)); !errors.Is(err, errBody) {
		t.Errorf("Read after the error = %v, want the body's error again", err)
	}
	if _, err := r.Seal(nil); !errors.Is(err, gatehouse.ErrInternal) {
		t.Errorf("Seal after a body error = %v, want InternalError", err)
	}
	waitGoroutines(t, before)
}

// TestReaderAbandonedMidway checks that a Reader its caller stops
// reading in the middle of a chunk hash leaves no goroutine behind, as
// when the disk fails under a write.
func TestReaderAbandonedMidway(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 20 {
		r := checksum.NewReader(bytes.NewReader(randomBytes(4<<20, 2)), checksum.Expect{})
		if _, err := io.CopyN(io.Discard, r, 1<<20+1); err != nil {
			t.Fatal(err)
		}
	}
	waitGoroutines(t, before)
}

package encryption

import (
	"io"
	"testing"
)

const benchSize = 64 << 20

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// BenchmarkEncrypt64MiB seals 64 MiB into an envelope (MB/s of content).
func BenchmarkEncrypt64MiB(b *testing.B) {
	path, _, _ := katKeys()
	b.SetBytes(benchSize)
	for b.Loop() {
		e, err := NewEncrypter(io.LimitReader(zeroReader{}, benchSize), path, 0)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecrypt64MiB opens a 64 MiB envelope held in memory.
func BenchmarkDecrypt64MiB(b *testing.B) {
	path, _, _ := katKeys()
	e, _ := NewEncrypter(io.LimitReader(zeroReader{}, benchSize), path, 0)
	stored, _ := io.ReadAll(e)
	b.SetBytes(benchSize)
	for b.Loop() {
		r, err := NewRangeReader(memSource(stored), path, benchSize, 0, benchSize)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRootKey is one Argon2id derivation: the reason RootKey runs
// when a grant is made and never on the request path.
func BenchmarkRootKey(b *testing.B) {
	for b.Loop() {
		RootKey([]byte("correct horse battery staple"), []byte("gatehouse salt 1"))
	}
}

// BenchmarkObjectKey is the per-request derivation of a path key from a
// bucket key (three components).
func BenchmarkObjectKey(b *testing.B) {
	path, _, _ := katKeys()
	for b.Loop() {
		KeyFor(path, "photos/2024/cat.jpg")
	}
}

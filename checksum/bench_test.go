package checksum_test

import (
	"bytes"
	"io"
	"testing"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/checksum"
)

// BenchmarkReader measures hashing a 64 MiB body: MD5 always, plus each
// additional algorithm.
func BenchmarkReader(b *testing.B) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 4<<20)
	buf := make([]byte, 32<<10)
	for _, alg := range append([]gatehouse.ChecksumAlgorithm{gatehouse.ChecksumNone},
		checksum.Algorithms...) {
		name := string(alg)
		if name == "" {
			name = "MD5only"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				r := checksum.NewReader(bytes.NewReader(body), checksum.Expect{Algorithm: alg})
				if _, err := io.CopyBuffer(io.Discard, r, buf); err != nil {
					b.Fatal(err)
				}
				if _, err := r.Seal(nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFullObject10000Parts combines the CRC64NVME of 10,000 parts.
func BenchmarkFullObject10000Parts(b *testing.B) {
	parts := make([]string, 10000)
	sizes := make([]int64, 10000)
	for i := range parts {
		parts[i] = referenceCRC(gatehouse.ChecksumCRC64NVME, []byte{byte(i), byte(i >> 8)})
		sizes[i] = 5<<20 + int64(i)
	}
	for b.Loop() {
		if _, err := checksum.FullObject(gatehouse.ChecksumCRC64NVME, parts, sizes); err != nil {
			b.Fatal(err)
		}
	}
}

package checksum_test

import (
	"encoding/binary"
	"hash/crc32"
	"slices"
	"testing"

	"github.com/minio/crc64nvme"
	"pgregory.net/rapid"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/checksum"
)

// referenceCRC computes the CRC of data with implementations independent
// of this package: the standard library's crc32 and minio's crc64nvme.
func referenceCRC(alg gatehouse.ChecksumAlgorithm, data []byte) string {
	var b []byte
	switch alg {
	case gatehouse.ChecksumCRC32:
		b = binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data))
	case gatehouse.ChecksumCRC32C:
		b = binary.BigEndian.AppendUint32(nil,
			crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	case gatehouse.ChecksumCRC64NVME:
		b = binary.BigEndian.AppendUint64(nil, crc64nvme.Checksum(data))
	}
	return checksum.Encode(b)
}

// ourCRC computes the CRC with this package's hash.
func ourCRC(alg gatehouse.ChecksumAlgorithm, data []byte) string {
	h, _ := checksum.New(alg)
	h.Write(data)
	return checksum.Encode(h.Sum(nil))
}

var crcAlgorithms = []gatehouse.ChecksumAlgorithm{
	gatehouse.ChecksumCRC32, gatehouse.ChecksumCRC32C, gatehouse.ChecksumCRC64NVME,
}

// TestFullObjectEqualsWholeCRC checks, for random data split at random
// points into parts (empty parts included), that combining the parts'
// CRCs gives the CRC of the whole, and that this package's CRC hashes
// agree with the reference implementations.
func TestFullObjectEqualsWholeCRC(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		alg := rapid.SampledFrom(crcAlgorithms).Draw(t, "alg")
		data := rapid.SliceOfN(rapid.Byte(), 0, 4096).Draw(t, "data")
		cuts := rapid.SliceOfN(rapid.IntRange(0, len(data)), 0, 12).Draw(t, "cuts")

		parts, sizes := split(t, alg, data, cuts)
		got, err := checksum.FullObject(alg, parts, sizes)
		if err != nil {
			t.Fatalf("FullObject: %v", err)
		}
		want := referenceCRC(alg, data)
		if got != want {
			t.Fatalf("FullObject over %d parts = %s, CRC of whole = %s", len(parts), got, want)
		}
		if ours := ourCRC(alg, data); ours != want {
			t.Fatalf("%s hash = %s, reference = %s", alg, ours, want)
		}
	})
}

// split cuts data at the sorted cut points and returns each part's CRC,
// computed by the reference implementation, and size.
func split(t *rapid.T, alg gatehouse.ChecksumAlgorithm, data []byte, cuts []int,
) ([]string, []int64) {
	slices.Sort(cuts)
	var parts []string
	var sizes []int64
	prev := 0
	for _, c := range append(cuts, len(data)) {
		parts = append(parts, referenceCRC(alg, data[prev:c]))
		sizes = append(sizes, int64(c-prev))
		prev = c
	}
	return parts, sizes
}

// TestFullObjectLargeParts combines parts of multipart sizes (5 MiB and
// an odd tail), where the shift exponent has many bits set.
func TestFullObjectLargeParts(t *testing.T) {
	data := make([]byte, 3*5<<20+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	for _, alg := range crcAlgorithms {
		var parts []string
		var sizes []int64
		for off := 0; off < len(data); off += 5 << 20 {
			end := min(off+5<<20, len(data))
			parts = append(parts, referenceCRC(alg, data[off:end]))
			sizes = append(sizes, int64(end-off))
		}
		got, err := checksum.FullObject(alg, parts, sizes)
		if want := referenceCRC(alg, data); err != nil || got != want {
			t.Errorf("%s: FullObject = %s, %v; want %s", alg, got, err, want)
		}
	}
}

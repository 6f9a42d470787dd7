package checksum

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"gatehouse.dev/gatehouse"
)

// Composite returns the COMPOSITE multipart checksum of the given base64
// part checksums: base64(alg(concat(decoded parts))) + "-N" ("Using part-
// level checksums for multipart uploads" in the S3 User Guide). A part
// value that does not decode is ErrInvalidPart.
func Composite(alg gatehouse.ChecksumAlgorithm, parts []string) (string, error) {
	h, err := New(alg)
	if err != nil {
		return "", err
	}
	if len(parts) == 0 {
		return "", gatehouse.ErrInvalidRequest.With("a multipart checksum needs parts")
	}
	for i, p := range parts {
		b, err := Decode(alg, p)
		if err != nil {
			return "", errPartChecksum(alg, i)
		}
		h.Write(b)
	}
	return Encode(h.Sum(nil)) + "-" + strconv.Itoa(len(parts)), nil
}

// FullObject combines the CRC checksums of consecutive parts of the given
// sizes into the CRC of the whole object (FULL_OBJECT type). Only CRC32,
// CRC32C and CRC64NVME can be combined; other algorithms are
// ErrInvalidRequest, and a part value that does not decode is
// ErrInvalidPart. parts and sizes must have the same, non-zero length.
func FullObject(alg gatehouse.ChecksumAlgorithm, parts []string, sizes []int64) (string, error) {
	m, ok := crcModels[alg]
	if !ok {
		return "", gatehouse.ErrInvalidRequest.With("The FULL_OBJECT checksum type is not "+
			"supported for %s; only CRC32, CRC32C and CRC64NVME combine", clip(string(alg)))
	}
	if len(parts) == 0 || len(parts) != len(sizes) {
		return "", gatehouse.ErrInvalidRequest.With(
			"a full-object checksum needs one size per part")
	}

	var crc uint64
	for i, p := range parts {
		b, err := Decode(alg, p)
		if err != nil || sizes[i] < 0 {
			return "", errPartChecksum(alg, i)
		}
		crc = m.combine(crc, uintFromBytes(b), uint64(sizes[i]))
	}
	return Encode(bytesFromUint(crc, Size(alg))), nil
}

var crcModels = map[gatehouse.ChecksumAlgorithm]crcModel{
	gatehouse.ChecksumCRC32:     modelCRC32,
	gatehouse.ChecksumCRC32C:    modelCRC32C,
	gatehouse.ChecksumCRC64NVME: modelCRC64NVME,
}

// uintFromBytes reads a 4- or 8-byte big-endian checksum.
func uintFromBytes(b []byte) uint64 {
	if len(b) == 4 {
		return uint64(binary.BigEndian.Uint32(b))
	}
	return binary.BigEndian.Uint64(b)
}

// bytesFromUint writes a checksum of size 4 or 8 big-endian.
func bytesFromUint(v uint64, size int) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b[8-size:]
}

// MultipartETag returns the quoted ETag of a multipart object from the
// quoted ETags of its parts: hex(md5(concat(md5 bytes))) + "-N". A part
// ETag that is not a quoted (or bare) hex MD5 is ErrInvalidPart.
func MultipartETag(partETags []string) (string, error) {
	if len(partETags) == 0 {
		return "", gatehouse.ErrInvalidRequest.With("a multipart ETag needs parts")
	}
	h := md5.New()
	for _, etag := range partETags {
		b, err := hex.DecodeString(strings.Trim(etag, `"`))
		if err != nil || len(b) != md5.Size {
			return "", gatehouse.ErrInvalidPart.With("The part ETag %q is not an MD5 ETag.",
				clip(etag))
		}
		h.Write(b)
	}
	return `"` + hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(partETags)) + `"`, nil
}

func errPartChecksum(alg gatehouse.ChecksumAlgorithm, i int) error {
	return gatehouse.ErrInvalidPart.With("The %s checksum of part %d is not valid.", alg, i+1)
}

// Package checksum computes and verifies the checksums S3 clients send:
// Content-MD5 and the additional checksums CRC32, CRC32C, CRC64NVME, SHA1
// and SHA256, for whole objects, parts and multipart composites.
//
// The rules follow the Amazon S3 User Guide, "Checking object integrity in
// Amazon S3", and the PutObject, UploadPart and CompleteMultipartUpload
// pages of the API Reference. Checksum values travel as the base64 of the
// checksum's big-endian bytes.
package checksum

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"

	"gatehouse.dev/gatehouse"
)

// Algorithms lists the additional checksum algorithms S3 supports, in the
// order S3 documents them.
var Algorithms = []gatehouse.ChecksumAlgorithm{
	gatehouse.ChecksumCRC32,
	gatehouse.ChecksumCRC32C,
	gatehouse.ChecksumCRC64NVME,
	gatehouse.ChecksumSHA1,
	gatehouse.ChecksumSHA256,
}

// Reflected generator polynomials of the CRC algorithms. CRC64NVME is the
// NVM Express CRC-64 ("NVM Express NVM Command Set Specification",
// section 5.2.1.3.4), whose check value over "123456789" is
// 0xae8b14860a799888.
const (
	polyCRC32     = 0xedb88320
	polyCRC32C    = 0x82f63b78
	polyCRC64NVME = 0x9a6c9329ac4bc9b5
)

var (
	tableCRC32C    = crc32.MakeTable(crc32.Castagnoli)
	tableCRC64NVME = crc64.MakeTable(polyCRC64NVME)
)

// ParseAlgorithm parses an algorithm name as S3 spells it in
// x-amz-checksum-algorithm and x-amz-sdk-checksum-algorithm, ignoring
// case. It returns ErrInvalidRequest for an unknown name.
func ParseAlgorithm(s string) (gatehouse.ChecksumAlgorithm, error) {
	for _, a := range Algorithms {
		if strings.EqualFold(s, string(a)) {
			return a, nil
		}
	}
	return gatehouse.ChecksumNone, gatehouse.ErrInvalidRequest.With(
		"Checksum algorithm %q is not supported; use CRC32, CRC32C, CRC64NVME, SHA1 or SHA256",
		clip(s))
}

// HeaderName returns the lower-case header that carries alg's value, for
// example "x-amz-checksum-crc32", or "" for ChecksumNone.
func HeaderName(alg gatehouse.ChecksumAlgorithm) string {
	if alg == gatehouse.ChecksumNone {
		return ""
	}
	return "x-amz-checksum-" + strings.ToLower(string(alg))
}

// New returns a hash computing alg, whose Sum is the checksum's
// big-endian bytes. It returns ErrInvalidRequest for ChecksumNone or an
// unknown algorithm.
func New(alg gatehouse.ChecksumAlgorithm) (hash.Hash, error) {
	switch alg {
	case gatehouse.ChecksumCRC32:
		return crc32.NewIEEE(), nil
	case gatehouse.ChecksumCRC32C:
		return crc32.New(tableCRC32C), nil
	case gatehouse.ChecksumCRC64NVME:
		return crc64.New(tableCRC64NVME), nil
	case gatehouse.ChecksumSHA1:
		return sha1.New(), nil
	case gatehouse.ChecksumSHA256:
		return sha256.New(), nil
	}
	return nil, gatehouse.ErrInvalidRequest.With("no checksum algorithm %q", clip(string(alg)))
}

// Size returns the length in bytes of alg's checksum, or 0 if unknown.
func Size(alg gatehouse.ChecksumAlgorithm) int {
	switch alg {
	case gatehouse.ChecksumCRC32, gatehouse.ChecksumCRC32C:
		return crc32.Size
	case gatehouse.ChecksumCRC64NVME:
		return crc64.Size
	case gatehouse.ChecksumSHA1:
		return sha1.Size
	case gatehouse.ChecksumSHA256:
		return sha256.Size
	}
	return 0
}

// Decode decodes a base64 checksum value of alg. It returns
// ErrInvalidRequest if the value is not base64 or has the wrong length.
func Decode(alg gatehouse.ChecksumAlgorithm, value string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(value)
	if err != nil || len(b) != Size(alg) || Size(alg) == 0 {
		return nil, gatehouse.ErrInvalidRequest.With("Value for %s header is invalid.",
			HeaderName(alg))
	}
	return b, nil
}

// Encode returns the base64 form of checksum bytes.
func Encode(sum []byte) string { return base64.StdEncoding.EncodeToString(sum) }

// clip shortens s for quoting in an error message.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// wrongChecksum is BadDigest with the message S3 gives for an additional
// checksum that does not match the data.
func wrongChecksum(alg gatehouse.ChecksumAlgorithm) error {
	return gatehouse.ErrInvalidChecksum.With(
		"The %s you specified did not match the calculated checksum.", alg)
}

package local

import (
	"fmt"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/checksum"
)

// multipartChecksum is the additional checksum of an object completed
// from parts, per "Checking object integrity" in the Amazon S3 User
// Guide: with type COMPOSITE, the checksum of the concatenated part
// checksums with a "-N" suffix; with FULL_OBJECT (CRC algorithms only),
// the part CRCs combined into the CRC of the whole content.
//
// An upload announced without an algorithm, or with a part that carries
// no checksum of that algorithm, gets no object checksum.
func multipartChecksum(up gatehouse.UploadInfo,
	parts []gatehouse.PartInfo) (gatehouse.Checksum, error) {
	alg := up.ChecksumAlgorithm
	if alg == gatehouse.ChecksumNone {
		return gatehouse.Checksum{}, nil
	}
	values := make([]string, len(parts))
	sizes := make([]int64, len(parts))
	for i, p := range parts {
		if p.Checksum.Algorithm != alg || p.Checksum.Value == "" {
			return gatehouse.Checksum{}, nil
		}
		values[i] = p.Checksum.Value
		sizes[i] = p.Size
	}

	c := gatehouse.Checksum{Algorithm: alg, Type: checksumType(up)}
	var err error
	if c.Type == gatehouse.ChecksumTypeFullObject {
		c.Value, err = checksum.FullObject(alg, values, sizes)
	} else {
		c.Value, err = checksum.Composite(alg, values)
	}
	if err != nil {
		return gatehouse.Checksum{}, fmt.Errorf("multipart %s checksum: %w", alg, err)
	}
	return c, nil
}

// checksumType is the upload's checksum type, defaulted as S3 does when
// the client named none: FULL_OBJECT for CRC64NVME, which supports only
// that, and COMPOSITE for the rest.
func checksumType(up gatehouse.UploadInfo) gatehouse.ChecksumType {
	switch {
	case up.ChecksumType != gatehouse.ChecksumTypeNone:
		return up.ChecksumType
	case up.ChecksumAlgorithm == gatehouse.ChecksumCRC64NVME:
		return gatehouse.ChecksumTypeFullObject
	}
	return gatehouse.ChecksumTypeComposite
}

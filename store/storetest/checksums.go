package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strconv"
	"testing"

	"gatehouse.dev/gatehouse"
)

// crc64NVME is the CRC-64/NVME model: reflected polynomial
// 0x9a6c9329ac4bc9b5 with all-ones init and final XOR, which is what
// hash/crc64 does with a table of that polynomial.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

func newHash(alg gatehouse.ChecksumAlgorithm) hash.Hash {
	switch alg {
	case gatehouse.ChecksumCRC32:
		return crc32.NewIEEE()
	case gatehouse.ChecksumCRC32C:
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case gatehouse.ChecksumCRC64NVME:
		return crc64.New(crc64NVME)
	case gatehouse.ChecksumSHA256:
		return sha256.New()
	}
	panic("storetest: no hash for " + alg)
}

// sum64 is the base64 checksum of data under alg.
func sum64(alg gatehouse.ChecksumAlgorithm, data []byte) string {
	h := newHash(alg)
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// composite is the COMPOSITE checksum of parts, computed independently.
func composite(alg gatehouse.ChecksumAlgorithm, parts ...[]byte) string {
	h := newHash(alg)
	for _, p := range parts {
		ph := newHash(alg)
		ph.Write(p)
		h.Write(ph.Sum(nil))
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
}

// uploadPartSum uploads data as part n, sealed with its MD5 ETag and its
// alg checksum.
func uploadPartSum(t *testing.T, s gatehouse.ObjectStore, b gatehouse.BucketName,
	k gatehouse.ObjectKey, id gatehouse.UploadID, n int, data []byte,
	alg gatehouse.ChecksumAlgorithm) gatehouse.PartInfo {
	t.Helper()
	body, seal := Hashing(bytes.NewReader(data))
	p, err := s.UploadPart(context.Background(), b, k, id, n, body, gatehouse.PutOptions{
		Seal: func() (gatehouse.Sealed, error) {
			sd, err := seal()
			sd.Checksum = gatehouse.Checksum{Algorithm: alg, Value: sum64(alg, data)}
			return sd, err
		},
	})
	if err != nil {
		t.Fatalf("UploadPart(%d): %v", n, err)
	}
	if p.Checksum.Value != sum64(alg, data) {
		t.Fatalf("part %d checksum %+v, want %s", n, p.Checksum, sum64(alg, data))
	}
	return p
}

var checksumTests = map[string]func(*testing.T, gatehouse.ObjectStore){
	"MultipartObjectChecksums": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		p1, p2 := randomBytes(21, 5*mib), randomBytes(22, 12345)
		whole := append(append([]byte{}, p1...), p2...)
		cases := []struct {
			alg  gatehouse.ChecksumAlgorithm
			typ  gatehouse.ChecksumType
			want gatehouse.Checksum
		}{
			{gatehouse.ChecksumCRC32, "", gatehouse.Checksum{Algorithm: gatehouse.ChecksumCRC32,
				Type: gatehouse.ChecksumTypeComposite, Value: composite(gatehouse.ChecksumCRC32, p1, p2)}},
			{gatehouse.ChecksumSHA256, gatehouse.ChecksumTypeComposite, gatehouse.Checksum{
				Algorithm: gatehouse.ChecksumSHA256, Type: gatehouse.ChecksumTypeComposite,
				Value: composite(gatehouse.ChecksumSHA256, p1, p2)}},
			{gatehouse.ChecksumCRC32C, gatehouse.ChecksumTypeFullObject, gatehouse.Checksum{
				Algorithm: gatehouse.ChecksumCRC32C, Type: gatehouse.ChecksumTypeFullObject,
				Value: sum64(gatehouse.ChecksumCRC32C, whole)}},
			{gatehouse.ChecksumCRC64NVME, "", gatehouse.Checksum{
				Algorithm: gatehouse.ChecksumCRC64NVME, Type: gatehouse.ChecksumTypeFullObject,
				Value: sum64(gatehouse.ChecksumCRC64NVME, whole)}},
		}
		for i, c := range cases {
			k := gatehouse.ObjectKey(fmt.Sprintf("k%d", i))
			id, err := s.CreateMultipartUpload(ctx, b, k, gatehouse.PutOptions{
				ChecksumAlgorithm: c.alg, ChecksumType: c.typ})
			if err != nil {
				t.Fatal(err)
			}
			pi1 := uploadPartSum(t, s, b, k, id, 1, p1, c.alg)
			pi2 := uploadPartSum(t, s, b, k, id, 2, p2, c.alg)
			parts := []gatehouse.CompletePart{
				{Number: 1, ETag: pi1.ETag, Checksum: pi1.Checksum.Value},
				{Number: 2, ETag: pi2.ETag, Checksum: pi2.Checksum.Value},
			}
			info, err := s.CompleteMultipartUpload(ctx, b, k, id, parts, gatehouse.PutOptions{})
			if err != nil {
				t.Fatalf("%s %s: Complete: %v", c.alg, c.typ, err)
			}
			if info.Checksum != c.want {
				t.Errorf("%s %q: Complete checksum %+v, want %+v", c.alg, c.typ, info.Checksum, c.want)
			}
			o, err := s.OpenObject(ctx, b, k)
			if err != nil {
				t.Fatal(err)
			}
			if o.Info().Checksum != c.want {
				t.Errorf("%s %q: stored checksum %+v, want %+v", c.alg, c.typ, o.Info().Checksum, c.want)
			}
			o.Close()
		}
	},
	"CompleteWithWrongPartChecksumIsInvalidPart": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		alg := gatehouse.ChecksumSHA256
		id, err := s.CreateMultipartUpload(ctx, b, "k", gatehouse.PutOptions{ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		p := uploadPartSum(t, s, b, "k", id, 1, []byte("data"), alg)
		bad := []gatehouse.CompletePart{{Number: 1, ETag: p.ETag, Checksum: sum64(alg, []byte("other"))}}
		_, err = s.CompleteMultipartUpload(ctx, b, "k", id, bad, gatehouse.PutOptions{})
		wantErr(t, "Complete with a wrong part checksum", err, gatehouse.ErrInvalidPart)
		mustNotExist(t, s, b, "k")
	},
	"UploadWithoutAlgorithmHasNoChecksum": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		id, parts := upload(t, s, b, "k", []byte("plain"))
		info, err := s.CompleteMultipartUpload(ctx, b, "k", id, parts, gatehouse.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if info.Checksum != (gatehouse.Checksum{}) {
			t.Errorf("checksum %+v on an upload announced without one", info.Checksum)
		}
	},
}

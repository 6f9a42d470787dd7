package storetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"testing"

	"gatehouse.dev/gatehouse"
)

const mib = 1 << 20

// multipartETag computes, independently of any store, the ETag S3 gives
// an object made of these parts.
func multipartETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		sum := md5.Sum(p)
		h.Write(sum[:])
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(parts))
}

// upload creates an upload of k and uploads the given parts, numbered
// from 1.
func upload(t *testing.T, s gatehouse.ObjectStore, b gatehouse.BucketName, k gatehouse.ObjectKey,
	parts ...[]byte) (gatehouse.UploadID, []gatehouse.CompletePart) {
	t.Helper()
	id, err := s.CreateMultipartUpload(context.Background(), b, k, gatehouse.PutOptions{
		Meta: gatehouse.ObjectMeta{ContentType: "video/x-test", User: map[string]string{"m": "1"}},
	})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	var done []gatehouse.CompletePart
	for i, p := range parts {
		pi := uploadPart(t, s, b, k, id, i+1, p)
		done = append(done, gatehouse.CompletePart{Number: i + 1, ETag: pi.ETag})
	}
	return id, done
}

var multipartTests = map[string]func(*testing.T, gatehouse.ObjectStore){
	"CompleteJoinsPartsInOrder": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		p1, p2, p3 := randomBytes(11, 5*mib), randomBytes(12, 5*mib+7), randomBytes(13, 1000)
		id, parts := upload(t, s, b, "big", p1, p2, p3)
		info, err := s.CompleteMultipartUpload(ctx, b, "big", id, parts, gatehouse.PutOptions{})
		if err != nil {
			t.Fatalf("CompleteMultipartUpload: %v", err)
		}
		whole := bytes.Join([][]byte{p1, p2, p3}, nil)
		want := multipartETag(p1, p2, p3)
		if info.ETag != want || info.Size != int64(len(whole)) || info.Parts != 3 {
			t.Errorf("Complete info = etag %s size %d parts %d; want %s %d 3",
				info.ETag, info.Size, info.Parts, want, len(whole))
		}

		o, err := s.OpenObject(ctx, b, "big")
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		got := o.Info()
		if got.ETag != want || got.Parts != 3 || got.Meta.ContentType != "video/x-test" ||
			got.Meta.User["m"] != "1" {
			t.Errorf("Info = %+v", got)
		}
		sizes := []int64{int64(len(p1)), int64(len(p2)), int64(len(p3))}
		if fmt.Sprint(got.PartSizes) != fmt.Sprint(sizes) {
			t.Errorf("PartSizes = %v, want %v", got.PartSizes, sizes)
		}
		sameBytes(t, "whole multipart object", readRange(t, o, 0, o.Info().Size), whole)

		// Ranges that start, end or lie across part boundaries.
		b1, b2 := int64(len(p1)), int64(len(p1)+len(p2))
		for _, r := range [][2]int64{
			{b1 - 10, 20}, {b1, 1}, {b1 - 1, 1}, {b2 - 3, 1003}, {b1 - 5, b2 - b1 + 10},
			{0, b1}, {b1, b2 - b1}, {b2, 1000}, {int64(len(whole)) - 1, 1}, {10, 0},
		} {
			sameBytes(t, fmt.Sprintf("range %v", r), readRange(t, o, r[0], r[1]), whole[r[0]:r[0]+r[1]])
		}

		_, err = s.ListParts(ctx, b, "big", id, 0, 0)
		wantErr(t, "ListParts after Complete", err, gatehouse.ErrNoSuchUpload)
	},
	"SinglePartUploadMayBeSmall": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		id, parts := upload(t, s, b, "k", []byte("tiny"))
		info, err := s.CompleteMultipartUpload(ctx, b, "k", id, parts, gatehouse.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if info.ETag != multipartETag([]byte("tiny")) {
			t.Errorf("ETag = %s", info.ETag)
		}
		sameBytes(t, "one-part object", readAll(t, s, b, "k"), []byte("tiny"))
	},
	"UploadPartAgainReplacesIt": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		first, second, last := randomBytes(14, 5*mib), randomBytes(15, 5*mib), []byte("end")
		id, _ := upload(t, s, b, "k", first, last)
		p1 := uploadPart(t, s, b, "k", id, 1, second)

		lp, err := s.ListParts(ctx, b, "k", id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(lp.Parts) != 2 || lp.Parts[0].ETag != etagOf(second) ||
			lp.Parts[0].Size != int64(len(second)) {
			t.Fatalf("ListParts after replacing part 1 = %+v", lp.Parts)
		}
		parts := []gatehouse.CompletePart{{Number: 1, ETag: p1.ETag}, {Number: 2, ETag: etagOf(last)}}
		_, err = s.CompleteMultipartUpload(ctx, b, "k", id, parts, gatehouse.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sameBytes(t, "object with the replaced part", readAll(t, s, b, "k"), append(second, last...))
	},
	"UnlistedPartsAreDropped": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		p1, p2, p3 := randomBytes(16, 5*mib), randomBytes(17, 5*mib), []byte("three")
		id, parts := upload(t, s, b, "k", p1, p2, p3)
		chosen := []gatehouse.CompletePart{parts[0], parts[2]}
		info, err := s.CompleteMultipartUpload(ctx, b, "k", id, chosen, gatehouse.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if info.ETag != multipartETag(p1, p3) || info.Parts != 2 {
			t.Errorf("info = %+v", info)
		}
		sameBytes(t, "parts 1 and 3", readAll(t, s, b, "k"), append(append([]byte{}, p1...), p3...))
	},
	"CompleteRejectsBadPartLists": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		big1, big2, small := randomBytes(18, 5*mib), randomBytes(19, 5*mib), []byte("small")
		id, parts := upload(t, s, b, "k", big1, small, big2)
		cases := []struct {
			name  string
			parts []gatehouse.CompletePart
			want  *gatehouse.Error
		}{
			{"descending", []gatehouse.CompletePart{parts[2], parts[0]}, gatehouse.ErrInvalidPartOrder},
			{"duplicate", []gatehouse.CompletePart{parts[0], parts[0]}, gatehouse.ErrInvalidPartOrder},
			{"never uploaded", []gatehouse.CompletePart{parts[0], {Number: 9, ETag: parts[0].ETag}},
				gatehouse.ErrInvalidPart},
			{"wrong etag", []gatehouse.CompletePart{{Number: 1, ETag: parts[2].ETag}},
				gatehouse.ErrInvalidPart},
			{"number zero", []gatehouse.CompletePart{{Number: 0, ETag: parts[0].ETag}},
				gatehouse.ErrInvalidPart},
			{"number above 10000", []gatehouse.CompletePart{{Number: 10001, ETag: parts[0].ETag}},
				gatehouse.ErrInvalidPart},
			{"small part not last", parts, gatehouse.ErrEntityTooSmall},
			{"empty list", nil, gatehouse.ErrMalformedXML},
		}
		for _, c := range cases {
			_, err := s.CompleteMultipartUpload(ctx, b, "k", id, c.parts, gatehouse.PutOptions{})
			wantErr(t, c.name, err, c.want)
			mustNotExist(t, s, b, "k")
		}
		// The upload survives every refusal; ETags compare without quotes.
		ok := []gatehouse.CompletePart{
			{Number: 1, ETag: trimQuotes(parts[0].ETag)}, {Number: 3, ETag: parts[2].ETag},
		}
		_, err := s.CompleteMultipartUpload(ctx, b, "k", id, ok, gatehouse.PutOptions{})
		if err != nil {
			t.Fatalf("Complete after refusals: %v", err)
		}
		sameBytes(t, "completed", readAll(t, s, b, "k"), append(append([]byte{}, big1...), big2...))
	},
	"UnknownUploadIsNoSuchUpload": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b, other := newBucket(t, s), newBucket(t, s)
		id, parts := upload(t, s, b, "k", []byte("x"))
		for _, c := range []struct {
			name string
			b    gatehouse.BucketName
			k    gatehouse.ObjectKey
			id   gatehouse.UploadID
		}{
			{"made-up ID", b, "k", "not-an-upload"},
			{"other key", b, "k2", id},
			{"other bucket", other, "k", id},
		} {
			_, err := s.UploadPart(ctx, c.b, c.k, c.id, 1, bytes.NewReader(nil),
				gatehouse.PutOptions{Seal: func() (gatehouse.Sealed, error) { return gatehouse.Sealed{}, nil }})
			wantErr(t, "UploadPart, "+c.name, err, gatehouse.ErrNoSuchUpload)
			_, err = s.ListParts(ctx, c.b, c.k, c.id, 0, 0)
			wantErr(t, "ListParts, "+c.name, err, gatehouse.ErrNoSuchUpload)
			_, err = s.CompleteMultipartUpload(ctx, c.b, c.k, c.id, parts, gatehouse.PutOptions{})
			wantErr(t, "Complete, "+c.name, err, gatehouse.ErrNoSuchUpload)
			wantErr(t, "Abort, "+c.name, s.AbortMultipartUpload(ctx, c.b, c.k, c.id),
				gatehouse.ErrNoSuchUpload)
		}
		if err := s.AbortMultipartUpload(ctx, b, "k", id); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		_, err := s.CompleteMultipartUpload(ctx, b, "k", id, parts, gatehouse.PutOptions{})
		wantErr(t, "Complete after Abort", err, gatehouse.ErrNoSuchUpload)
		wantErr(t, "Abort after Abort", s.AbortMultipartUpload(ctx, b, "k", id),
			gatehouse.ErrNoSuchUpload)
		mustNotExist(t, s, b, "k")
	},
	"PartNumberOutOfRangeIsRejected": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		id, _ := upload(t, s, b, "k")
		for _, n := range []int{0, -1, 10001} {
			body, seal := Hashing(bytes.NewReader([]byte("x")))
			_, err := s.UploadPart(ctx, b, "k", id, n, body, gatehouse.PutOptions{Seal: seal})
			wantErr(t, fmt.Sprintf("UploadPart number %d", n), err, gatehouse.ErrInvalidArgument)
		}
		uploadPart(t, s, b, "k", id, 10000, []byte("x"))
	},
	"ListPartsPages": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		id, _ := upload(t, s, b, "k")
		nums := []int{1, 2, 5, 9, 10, 100, 10000}
		for _, n := range nums {
			uploadPart(t, s, b, "k", id, n, []byte(fmt.Sprint(n)))
		}
		var got []int
		marker := 0
		for pages := 0; ; pages++ {
			if pages > len(nums) {
				t.Fatal("ListParts does not terminate")
			}
			lp, err := s.ListParts(ctx, b, "k", id, marker, 3)
			if err != nil {
				t.Fatal(err)
			}
			if lp.Upload.ID != id || lp.Upload.Key != "k" || lp.Upload.Meta.ContentType != "video/x-test" {
				t.Errorf("ListParts upload = %+v", lp.Upload)
			}
			for _, p := range lp.Parts {
				got = append(got, p.Number)
				if p.ETag != etagOf([]byte(fmt.Sprint(p.Number))) || p.Modified.IsZero() {
					t.Errorf("part %+v", p)
				}
			}
			if !lp.Truncated {
				break
			}
			if len(lp.Parts) != 3 || lp.NextMarker != lp.Parts[2].Number {
				t.Fatalf("truncated page %+v", lp)
			}
			marker = lp.NextMarker
		}
		if fmt.Sprint(got) != fmt.Sprint(nums) {
			t.Errorf("listed parts %v, want %v", got, nums)
		}
	},
	"CompleteReplacesAnExistingObject": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		put(t, s, b, "k", []byte("single put"))
		old, err := s.OpenObject(ctx, b, "k")
		if err != nil {
			t.Fatal(err)
		}
		defer old.Close()
		id, parts := upload(t, s, b, "k", []byte("multi"))
		_, err = s.CompleteMultipartUpload(ctx, b, "k", id, parts, gatehouse.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sameBytes(t, "new", readAll(t, s, b, "k"), []byte("multi"))
		sameBytes(t, "old handle", readRange(t, old, 0, old.Info().Size), []byte("single put"))
	},
}

package s3api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
	"github.com/minio/crc64nvme"
	"github.com/minio/minio-go/v7"

	"gatehouse.dev/gatehouse/internal/s3test"
)

const mib = 1 << 20

// upload drives a multipart upload with c: create with alg (may be
// empty), one UploadPart per part, and complete listing every part.
type upload struct {
	t      *testing.T
	c      *s3.Client
	bucket string
	key    string
	id     string
	done   []types.CompletedPart
}

func startUpload(t *testing.T, c *s3.Client, bucket, key string,
	alg types.ChecksumAlgorithm) *upload {
	t.Helper()
	out, err := c.CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{
		Bucket: &bucket, Key: &key, ChecksumAlgorithm: alg,
		ContentType: aws.String("video/mp4"), Metadata: map[string]string{"origin": "test"},
	})
	if err != nil {
		t.Fatalf("create multipart upload: %v", err)
	}
	return &upload{t: t, c: c, bucket: bucket, key: key, id: aws.ToString(out.UploadId)}
}

func (u *upload) part(n int32, body []byte, alg types.ChecksumAlgorithm) *s3.UploadPartOutput {
	u.t.Helper()
	out, err := u.c.UploadPart(context.Background(), &s3.UploadPartInput{
		Bucket: &u.bucket, Key: &u.key, UploadId: &u.id, PartNumber: &n,
		Body: bytes.NewReader(body), ChecksumAlgorithm: alg,
	})
	if err != nil {
		u.t.Fatalf("upload part %d: %v", n, err)
	}
	u.done = append(u.done, types.CompletedPart{
		PartNumber: &n, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32,
		ChecksumCRC32C: out.ChecksumCRC32C, ChecksumCRC64NVME: out.ChecksumCRC64NVME,
		ChecksumSHA1: out.ChecksumSHA1, ChecksumSHA256: out.ChecksumSHA256,
	})
	return out
}

func (u *upload) complete() (*s3.CompleteMultipartUploadOutput, error) {
	return u.c.CompleteMultipartUpload(context.Background(), &s3.CompleteMultipartUploadInput{
		Bucket: &u.bucket, Key: &u.key, UploadId: &u.id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: u.done},
	})
}

func TestMultipartUploadLifecycle(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	p1, p2, p3 := randomBytes(5*mib, 1), randomBytes(5*mib, 2), randomBytes(mib+17, 3)

	u := startUpload(t, srv.S3, bucket, "movie.mp4", "")
	u.part(1, p1, "")
	u.part(2, p2, "")
	u.part(3, p3, "")

	uploads, err := srv.S3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil {
		t.Fatalf("list uploads: %v", err)
	}
	if len(uploads.Uploads) != 1 || aws.ToString(uploads.Uploads[0].UploadId) != u.id ||
		aws.ToString(uploads.Uploads[0].Key) != "movie.mp4" {
		t.Errorf("uploads = %+v, want the one in progress", uploads.Uploads)
	}

	parts, err := srv.S3.ListParts(ctx, &s3.ListPartsInput{
		Bucket: &bucket, Key: aws.String("movie.mp4"), UploadId: &u.id,
	})
	if err != nil {
		t.Fatalf("list parts: %v", err)
	}
	type partView struct {
		N    int32
		Size int64
		ETag string
	}
	var got []partView
	for _, p := range parts.Parts {
		got = append(got, partView{aws.ToInt32(p.PartNumber), aws.ToInt64(p.Size), aws.ToString(p.ETag)})
	}
	want := []partView{
		{1, 5 * mib, md5ETag(p1)}, {2, 5 * mib, md5ETag(p2)}, {3, mib + 17, md5ETag(p3)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}

	// Pages of one part.
	page, err := srv.S3.ListParts(ctx, &s3.ListPartsInput{
		Bucket: &bucket, Key: aws.String("movie.mp4"), UploadId: &u.id, MaxParts: aws.Int32(1),
		PartNumberMarker: aws.String("1"),
	})
	if err != nil || len(page.Parts) != 1 || aws.ToInt32(page.Parts[0].PartNumber) != 2 ||
		!aws.ToBool(page.IsTruncated) || aws.ToString(page.NextPartNumberMarker) != "2" {
		t.Errorf("list parts page after 1 = %+v, %v", page, err)
	}

	out, err := u.complete()
	if err != nil {
		t.Fatalf("complete: %v", err)
	}
	wantETag := multipartETag(p1, p2, p3)
	if got := aws.ToString(out.ETag); got != wantETag {
		t.Errorf("complete ETag = %s, want MD5 of MD5s %s", got, wantETag)
	}

	whole := append(append(append([]byte(nil), p1...), p2...), p3...)
	if got := get(t, srv.S3, bucket, "movie.mp4"); !bytes.Equal(got, whole) {
		t.Errorf("completed object differs from its parts (%d bytes)", len(got))
	}
	head, err := srv.S3.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: &bucket, Key: aws.String("movie.mp4"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ETag) != wantETag || aws.ToString(head.ContentType) != "video/mp4" ||
		head.Metadata["origin"] != "test" {
		t.Errorf("head = ETag %s, type %s, meta %v", aws.ToString(head.ETag),
			aws.ToString(head.ContentType), head.Metadata)
	}

	// GET ?partNumber=N serves one part, with the part count.
	second, err := srv.S3.GetObject(ctx, &s3.GetObjectInput{
		Bucket: &bucket, Key: aws.String("movie.mp4"), PartNumber: aws.Int32(2),
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(second.Body)
	second.Body.Close()
	if !bytes.Equal(b, p2) || aws.ToInt32(second.PartsCount) != 3 {
		t.Errorf("part 2: %d bytes equal=%v, parts count %d", len(b), bytes.Equal(b, p2),
			aws.ToInt32(second.PartsCount))
	}
	wantRange := fmt.Sprintf("bytes %d-%d/%d", 5*mib, 10*mib-1, len(whole))
	if got := aws.ToString(second.ContentRange); got != wantRange {
		t.Errorf("part 2 Content-Range = %q", got)
	}

	uploads, err = srv.S3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil || len(uploads.Uploads) != 0 {
		t.Errorf("uploads after completion = %+v, %v", uploads.Uploads, err)
	}
}

func TestMultipartAbort(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	u := startUpload(t, srv.S3, bucket, "abandoned", "")
	u.part(1, []byte("some bytes"), "")

	_, err := srv.S3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: &bucket, Key: aws.String("abandoned"), UploadId: &u.id,
	})
	if err != nil {
		t.Fatalf("abort: %v", err)
	}
	_, err = srv.S3.ListParts(ctx, &s3.ListPartsInput{
		Bucket: &bucket, Key: aws.String("abandoned"), UploadId: &u.id,
	})
	wantError(t, err, "NoSuchUpload", 404)
	_, err = srv.S3.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: &bucket, Key: aws.String("abandoned"), UploadId: &u.id, PartNumber: aws.Int32(2),
		Body: strings.NewReader("late"),
	})
	wantError(t, err, "NoSuchUpload", 404)
	_, err = u.complete()
	wantError(t, err, "NoSuchUpload", 404)
	_, err = srv.S3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: &bucket, Key: aws.String("abandoned"), UploadId: &u.id,
	})
	wantError(t, err, "NoSuchUpload", 404)
	_, err = srv.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("abandoned")})
	wantError(t, err, "NotFound", 404)
	// An aborted upload no longer keeps the bucket from being deleted.
	if _, err := srv.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket}); err != nil {
		t.Errorf("delete bucket after abort: %v", err)
	}
}

func TestListMultipartUploadsPagesAndGroups(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	ids := map[string]string{}
	for _, k := range []string{"logs/a", "logs/b", "top"} {
		ids[k] = startUpload(t, srv.S3, bucket, k, "").id
	}

	var got []string
	p := s3.NewListMultipartUploadsPaginator(srv.S3, &s3.ListMultipartUploadsInput{
		Bucket: &bucket, MaxUploads: aws.Int32(1),
	})
	for pages := 0; p.HasMorePages(); pages++ {
		if pages > 5 {
			t.Fatal("upload listing does not end")
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Uploads {
			got = append(got, aws.ToString(u.Key)+"="+aws.ToString(u.UploadId))
		}
	}
	want := []string{"logs/a=" + ids["logs/a"], "logs/b=" + ids["logs/b"], "top=" + ids["top"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("uploads (-want +got):\n%s", diff)
	}

	grouped, err := srv.S3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{
		Bucket: &bucket, Delimiter: aws.String("/"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"logs/"}, prefixes(grouped.CommonPrefixes)); diff != "" {
		t.Errorf("upload prefixes (-want +got):\n%s", diff)
	}
	if len(grouped.Uploads) != 1 || aws.ToString(grouped.Uploads[0].Key) != "top" {
		t.Errorf("ungrouped uploads = %+v", grouped.Uploads)
	}
}

func TestCompleteMultipartUploadErrors(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	small := []byte("tiny")
	big := randomBytes(5*mib, 9)

	t.Run("parts out of order", func(t *testing.T) {
		u := startUpload(t, srv.S3, bucket, "order", "")
		u.part(1, big, "")
		u.part(2, small, "")
		u.done[0], u.done[1] = u.done[1], u.done[0]
		_, err := u.complete()
		wantError(t, err, "InvalidPartOrder", 400)
	})
	t.Run("a part that was never uploaded", func(t *testing.T) {
		u := startUpload(t, srv.S3, bucket, "missing-part", "")
		u.part(1, big, "")
		u.done = append(u.done, types.CompletedPart{
			PartNumber: aws.Int32(2), ETag: aws.String(md5ETag(small)),
		})
		_, err := u.complete()
		wantError(t, err, "InvalidPart", 400)
	})
	t.Run("a wrong part ETag", func(t *testing.T) {
		u := startUpload(t, srv.S3, bucket, "wrong-etag", "")
		u.part(1, small, "")
		u.done[0].ETag = aws.String(md5ETag([]byte("other")))
		_, err := u.complete()
		wantError(t, err, "InvalidPart", 400)
	})
	t.Run("a part under 5 MiB that is not the last", func(t *testing.T) {
		u := startUpload(t, srv.S3, bucket, "too-small", "")
		u.part(1, small, "")
		u.part(2, small, "")
		_, err := u.complete()
		wantError(t, err, "EntityTooSmall", 400)
		// The upload survives a refused completion.
		u.done = u.done[:1]
		if _, err := u.complete(); err != nil {
			t.Fatalf("completing with the last part only: %v", err)
		}
	})
	t.Run("conditional create when the key exists", func(t *testing.T) {
		put(t, srv.S3, bucket, "exists", []byte("old"))
		u := startUpload(t, srv.S3, bucket, "exists", "")
		u.part(1, small, "")
		_, err := srv.S3.CompleteMultipartUpload(context.Background(), &s3.CompleteMultipartUploadInput{
			Bucket: &bucket, Key: aws.String("exists"), UploadId: &u.id, IfNoneMatch: aws.String("*"),
			MultipartUpload: &types.CompletedMultipartUpload{Parts: u.done},
		})
		wantError(t, err, "PreconditionFailed", 412)
		if got := get(t, srv.S3, bucket, "exists"); string(got) != "old" {
			t.Errorf("object after refused completion = %q", got)
		}
	})
	t.Run("malformed and empty bodies", func(t *testing.T) {
		u := startUpload(t, srv.S3, bucket, "xml", "")
		path := "/" + bucket + "/xml?uploadId=" + u.id
		for _, body := range []string{"", "<CompleteMultipartUpload><Part>", "not xml at all",
			"<CompleteMultipartUpload></CompleteMultipartUpload>"} {
			status, e := rawError(t, srv.Request(t, "POST", path, nil, []byte(body)))
			if status != 400 || e.Code != "MalformedXML" {
				t.Errorf("body %q: %d %s, want 400 MalformedXML", body, status, e.Code)
			}
		}
	})
	t.Run("an unknown upload", func(t *testing.T) {
		_, err := srv.S3.CompleteMultipartUpload(context.Background(), &s3.CompleteMultipartUploadInput{
			Bucket: &bucket, Key: aws.String("k"), UploadId: aws.String("no-such-upload"),
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
				{PartNumber: aws.Int32(1), ETag: aws.String(md5ETag(small))},
			}},
		})
		wantError(t, err, "NoSuchUpload", 404)
	})
}

func TestUploadPartArgumentErrors(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	u := startUpload(t, srv.S3, bucket, "k", "")
	for _, n := range []string{"0", "10001", "-1", "one"} {
		path := fmt.Sprintf("/%s/k?partNumber=%s&uploadId=%s", bucket, n, u.id)
		status, e := rawError(t, srv.Request(t, "PUT", path, nil, []byte("x")))
		if status != 400 || e.Code != "InvalidArgument" {
			t.Errorf("partNumber=%s: %d %s, want 400 InvalidArgument", n, status, e.Code)
		}
	}
	// 10,000 is the last valid part number.
	path := fmt.Sprintf("/%s/k?partNumber=10000&uploadId=%s", bucket, u.id)
	resp, body := s3test.Do(t, srv.Request(t, "PUT", path, nil, []byte("x")))
	if resp.StatusCode != 200 {
		t.Errorf("partNumber=10000: %d %s", resp.StatusCode, body)
	}
}

func TestUploadPartCopy(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	src := randomBytes(6*mib+100, 4)
	srcETag := put(t, srv.S3, bucket, "source", src)

	// Part 1 is the first 5 MiB, part 2 the whole source, part 3 (the
	// last, so it may be small) the rest from a range.
	u := startUpload(t, srv.S3, bucket, "assembled", "")
	var want [][]byte
	copyPart := func(n int32, rng string, chunk []byte) {
		t.Helper()
		in := &s3.UploadPartCopyInput{
			Bucket: &bucket, Key: aws.String("assembled"), UploadId: &u.id, PartNumber: &n,
			CopySource: aws.String(bucket + "/source"), CopySourceIfMatch: &srcETag,
		}
		if rng != "" {
			in.CopySourceRange = &rng
		}
		out, err := srv.S3.UploadPartCopy(ctx, in)
		if err != nil {
			t.Fatalf("upload part copy %d: %v", n, err)
		}
		if got := aws.ToString(out.CopyPartResult.ETag); got != md5ETag(chunk) {
			t.Errorf("part %d ETag = %s, want %s", n, got, md5ETag(chunk))
		}
		u.done = append(u.done, types.CompletedPart{PartNumber: &n, ETag: out.CopyPartResult.ETag})
		want = append(want, chunk)
	}
	copyPart(1, fmt.Sprintf("bytes=0-%d", 5*mib-1), src[:5*mib])
	copyPart(2, "", src)
	copyPart(3, fmt.Sprintf("bytes=%d-%d", 5*mib, len(src)-1), src[5*mib:])

	res, err := u.complete()
	if err != nil {
		t.Fatalf("complete: %v", err)
	}
	if got := aws.ToString(res.ETag); got != multipartETag(want...) {
		t.Errorf("ETag = %s, want %s", got, multipartETag(want...))
	}
	if got := get(t, srv.S3, bucket, "assembled"); !bytes.Equal(got, bytes.Join(want, nil)) {
		t.Errorf("assembled object differs (%d bytes)", len(got))
	}

	bad := []struct {
		name, rng string
		hdr       string
		code      string
		status    int
	}{
		{"range past the source", "bytes=0-99999999", "", "InvalidArgument", 400},
		{"range without bytes=", "0-10", "", "InvalidArgument", 400},
		{"open-ended range", "bytes=10-", "", "InvalidArgument", 400},
		{"source condition fails", "bytes=0-10", `"not-the-etag"`, "PreconditionFailed", 412},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			in := &s3.UploadPartCopyInput{
				Bucket: &bucket, Key: aws.String("assembled2"), UploadId: &u.id,
				PartNumber: aws.Int32(1), CopySource: aws.String(bucket + "/source"),
				CopySourceRange: aws.String(tt.rng),
			}
			if tt.hdr != "" {
				in.CopySourceIfMatch = aws.String(tt.hdr)
			}
			u2 := startUpload(t, srv.S3, bucket, "assembled2", "")
			in.UploadId = &u2.id
			_, err := srv.S3.UploadPartCopy(ctx, in)
			wantError(t, err, tt.code, tt.status)
		})
	}
}

func TestMultipartChecksums(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	p1, p2 := randomBytes(5*mib, 11), randomBytes(1234, 12)
	whole := append(append([]byte(nil), p1...), p2...)

	t.Run("CRC32 composite", func(t *testing.T) {
		u := startUpload(t, srv.S3, bucket, "crc32", types.ChecksumAlgorithmCrc32)
		for i, p := range [][]byte{p1, p2} {
			out := u.part(int32(i+1), p, "")
			if got, want := aws.ToString(out.ChecksumCRC32), crc32Base64(p); got != want {
				t.Errorf("part %d CRC32 = %s, want %s", i+1, got, want)
			}
		}
		res, err := u.complete()
		if err != nil {
			t.Fatalf("complete: %v", err)
		}
		want := compositeCRC32(p1, p2)
		if got := aws.ToString(res.ChecksumCRC32); got != want {
			t.Errorf("complete CRC32 = %s, want composite %s", got, want)
		}
		head, err := srv.S3.HeadObject(ctx, &s3.HeadObjectInput{
			Bucket: &bucket, Key: aws.String("crc32"), ChecksumMode: types.ChecksumModeEnabled,
		})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(head.ChecksumCRC32) != want || head.ChecksumType != types.ChecksumTypeComposite {
			t.Errorf("head checksum = %s %s, want %s COMPOSITE", aws.ToString(head.ChecksumCRC32),
				head.ChecksumType, want)
		}
		// The SDK skips validating composite checksums but must read the
		// object without complaint.
		if got := get(t, srv.S3, bucket, "crc32"); !bytes.Equal(got, whole) {
			t.Error("crc32 object differs")
		}
	})

	t.Run("CRC64NVME full object", func(t *testing.T) {
		u := startUpload(t, srv.S3, bucket, "crc64", types.ChecksumAlgorithmCrc64nvme)
		u.part(1, p1, types.ChecksumAlgorithmCrc64nvme)
		u.part(2, p2, types.ChecksumAlgorithmCrc64nvme)
		res, err := u.complete()
		if err != nil {
			t.Fatalf("complete: %v", err)
		}
		want := crc64Base64(whole)
		got := aws.ToString(res.ChecksumCRC64NVME)
		if got != want || res.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("complete CRC64NVME = %s %s, want %s FULL_OBJECT", got, res.ChecksumType, want)
		}
		// A full-object checksum is validated by the SDK on GET.
		if got := get(t, srv.S3, bucket, "crc64"); !bytes.Equal(got, whole) {
			t.Error("crc64 object differs")
		}
	})

	t.Run("whole-object checksum and size are checked before publishing", func(t *testing.T) {
		in, err := srv.S3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
			Bucket: &bucket, Key: aws.String("full"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
			ChecksumType: types.ChecksumTypeFullObject,
		})
		if err != nil {
			t.Fatal(err)
		}
		u := &upload{t: t, c: srv.S3, bucket: bucket, key: "full", id: aws.ToString(in.UploadId)}
		u.part(1, p1, "")
		u.part(2, p2, "")
		completeWith := func(crc string, size int64) error {
			_, err := srv.S3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
				Bucket: &bucket, Key: aws.String("full"), UploadId: &u.id,
				ChecksumCRC32: &crc, ChecksumType: types.ChecksumTypeFullObject,
				MpuObjectSize: &size, MultipartUpload: &types.CompletedMultipartUpload{Parts: u.done},
			})
			return err
		}
		wantError(t, completeWith(crc32Base64([]byte("other")), int64(len(whole))), "BadDigest", 400)
		wantError(t, completeWith(crc32Base64(whole), 12), "InvalidRequest", 400)
		_, err = srv.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("full")})
		wantError(t, err, "NotFound", 404)
		if err := completeWith(crc32Base64(whole), int64(len(whole))); err != nil {
			t.Fatalf("complete with the right checksum and size: %v", err)
		}
		if got := get(t, srv.S3, bucket, "full"); !bytes.Equal(got, whole) {
			t.Error("full-object upload differs")
		}
	})

	t.Run("a part sent without a checksum gets the upload's computed", func(t *testing.T) {
		u := startUpload(t, srv.S3, bucket, "computed", types.ChecksumAlgorithmCrc32c)
		path := "/" + bucket + "/computed?partNumber=1&uploadId=" + u.id
		resp, body := s3test.Do(t, srv.Request(t, "PUT", path, nil, p2))
		if resp.StatusCode != 200 {
			t.Fatalf("raw upload part: %d %s", resp.StatusCode, body)
		}
		if got := resp.Header.Get("X-Amz-Checksum-Crc32c"); got != crc32cBase64(p2) {
			t.Errorf("part CRC32C = %q, want %q computed by the server", got, crc32cBase64(p2))
		}
		u.done = append(u.done, types.CompletedPart{
			PartNumber: aws.Int32(1), ETag: aws.String(resp.Header.Get("ETag")),
		})
		res, err := u.complete()
		if err != nil {
			t.Fatalf("complete: %v", err)
		}
		want := fmt.Sprintf("%s-1", crc32cBase64(binary.BigEndian.AppendUint32(nil,
			crc32.Checksum(p2, crc32.MakeTable(crc32.Castagnoli)))))
		if got := aws.ToString(res.ChecksumCRC32C); got != want {
			t.Errorf("composite CRC32C = %q, want %q", got, want)
		}
	})

	t.Run("a part with another algorithm is refused", func(t *testing.T) {
		u := startUpload(t, srv.S3, bucket, "mixed", types.ChecksumAlgorithmCrc32)
		_, err := srv.S3.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &bucket, Key: aws.String("mixed"), UploadId: &u.id, PartNumber: aws.Int32(1),
			Body: bytes.NewReader(p2), ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
		})
		wantError(t, err, "InvalidRequest", 400)
	})

	t.Run("invalid algorithm and type pairs", func(t *testing.T) {
		for _, h := range []http.Header{
			{"X-Amz-Checksum-Algorithm": {"MD4"}},
			{"X-Amz-Checksum-Algorithm": {"SHA256"}, "X-Amz-Checksum-Type": {"FULL_OBJECT"}},
			{"X-Amz-Checksum-Algorithm": {"CRC64NVME"}, "X-Amz-Checksum-Type": {"COMPOSITE"}},
			{"X-Amz-Checksum-Type": {"COMPOSITE"}},
		} {
			status, e := rawError(t, srv.Request(t, "POST", "/"+bucket+"/bad?uploads", h, nil))
			if status != 400 || e.Code != "InvalidRequest" {
				t.Errorf("create with %v = %d %s, want 400 InvalidRequest", h, status, e.Code)
			}
		}
	})
}

func crc32Base64(b []byte) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b)))
}

func crc64Base64(b []byte) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint64(nil, crc64nvme.Checksum(b)))
}

// compositeCRC32 is the COMPOSITE checksum of parts, computed here
// independently: CRC32 of the concatenated big-endian part CRCs, "-N".
func compositeCRC32(parts ...[]byte) string {
	var all []byte
	for _, p := range parts {
		all = binary.BigEndian.AppendUint32(all, crc32.ChecksumIEEE(p))
	}
	return fmt.Sprintf("%s-%d", crc32Base64(all), len(parts))
}

func TestMultipartWithClientUploaders(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	data := randomBytes(12*mib+5, 21)

	t.Run("aws manager", func(t *testing.T) {
		up := manager.NewUploader(srv.S3, func(u *manager.Uploader) { u.PartSize = 5 * mib })
		out, err := up.Upload(ctx, &s3.PutObjectInput{
			Bucket: &bucket, Key: aws.String("managed"), Body: bytes.NewReader(data),
		})
		if err != nil {
			t.Fatalf("upload: %v", err)
		}
		want := multipartETag(data[:5*mib], data[5*mib:10*mib], data[10*mib:])
		if got := aws.ToString(out.ETag); got != want {
			t.Errorf("ETag = %s, want %s", got, want)
		}
		if got := get(t, srv.S3, bucket, "managed"); !bytes.Equal(got, data) {
			t.Error("managed upload differs")
		}
	})

	t.Run("minio", func(t *testing.T) {
		info, err := srv.Minio.PutObject(ctx, bucket, "minio-mp", bytes.NewReader(data),
			int64(len(data)), minio.PutObjectOptions{PartSize: 5 * mib})
		if err != nil {
			t.Fatalf("put: %v", err)
		}
		want := strings.Trim(multipartETag(data[:5*mib], data[5*mib:10*mib], data[10*mib:]), `"`)
		if info.ETag != want {
			t.Errorf("ETag = %s, want %s", info.ETag, want)
		}
		obj, err := srv.Minio.GetObject(ctx, bucket, "minio-mp", minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(obj)
		obj.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("minio multipart object differs (%d bytes, %v)", len(got), err)
		}
	})
}

package s3api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"

	"gatehouse.dev/gatehouse/internal/s3test"
)

func TestCopyObjectMetadataDirectives(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	src, dst := newBucket(t, srv), newBucket(t, srv)
	body := []byte("copy me")
	_, err := srv.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &src, Key: aws.String("orig"), Body: strings.NewReader(string(body)),
		ContentType: aws.String("text/plain"), CacheControl: aws.String("max-age=5"),
		Metadata: map[string]string{"a": "1", "b": "2"},
	})
	if err != nil {
		t.Fatal(err)
	}

	type meta struct {
		ContentType, CacheControl string
		User                      map[string]string
	}
	headMeta := func(bucket, key string) meta {
		t.Helper()
		h, err := srv.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
		if err != nil {
			t.Fatalf("head %s/%s: %v", bucket, key, err)
		}
		return meta{aws.ToString(h.ContentType), aws.ToString(h.CacheControl), h.Metadata}
	}

	t.Run("COPY keeps the source metadata", func(t *testing.T) {
		for _, directive := range []types.MetadataDirective{"", types.MetadataDirectiveCopy} {
			out, err := srv.S3.CopyObject(ctx, &s3.CopyObjectInput{
				Bucket: &dst, Key: aws.String("copied"), CopySource: aws.String(src + "/orig"),
				MetadataDirective: directive,
				// Ignored under COPY.
				ContentType: aws.String("image/png"), Metadata: map[string]string{"c": "3"},
			})
			if err != nil {
				t.Fatalf("copy (%q): %v", directive, err)
			}
			if got := aws.ToString(out.CopyObjectResult.ETag); got != md5ETag(body) {
				t.Errorf("CopyObjectResult ETag = %s, want %s", got, md5ETag(body))
			}
			if out.CopyObjectResult.LastModified == nil {
				t.Error("CopyObjectResult has no LastModified")
			}
			want := meta{"text/plain", "max-age=5", map[string]string{"a": "1", "b": "2"}}
			if diff := cmp.Diff(want, headMeta(dst, "copied")); diff != "" {
				t.Errorf("copied metadata (-want +got):\n%s", diff)
			}
			if got := get(t, srv.S3, dst, "copied"); string(got) != string(body) {
				t.Errorf("copied content = %q", got)
			}
		}
	})

	t.Run("REPLACE takes the request's metadata", func(t *testing.T) {
		_, err := srv.S3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: &dst, Key: aws.String("replaced"), CopySource: aws.String(src + "/orig"),
			MetadataDirective: types.MetadataDirectiveReplace,
			ContentType:       aws.String("image/png"), Metadata: map[string]string{"c": "3"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := meta{"image/png", "", map[string]string{"c": "3"}}
		if diff := cmp.Diff(want, headMeta(dst, "replaced")); diff != "" {
			t.Errorf("replaced metadata (-want +got):\n%s", diff)
		}
	})

	t.Run("copying onto itself needs REPLACE", func(t *testing.T) {
		_, err := srv.S3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: &src, Key: aws.String("orig"), CopySource: aws.String(src + "/orig"),
		})
		wantError(t, err, "InvalidRequest", 400)
		_, err = srv.S3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: &src, Key: aws.String("orig"), CopySource: aws.String(src + "/orig"),
			MetadataDirective: types.MetadataDirectiveReplace,
			Metadata:          map[string]string{"fresh": "yes"},
		})
		if err != nil {
			t.Fatalf("self-copy with REPLACE: %v", err)
		}
		if got := headMeta(src, "orig").User; !cmp.Equal(got, map[string]string{"fresh": "yes"}) {
			t.Errorf("metadata after self-copy = %v", got)
		}
		if got := get(t, srv.S3, src, "orig"); string(got) != string(body) {
			t.Errorf("content after self-copy = %q", got)
		}
	})

	t.Run("bad sources and directives", func(t *testing.T) {
		tests := []struct {
			name, source, directive string
			code                    string
			status                  int
		}{
			{"missing key", src + "/nope", "", "NoSuchKey", 404},
			{"missing bucket", "no-such-bucket/orig", "", "NoSuchBucket", 404},
			{"no key", src, "", "InvalidArgument", 400},
			{"invalid source bucket", "A_B/orig", "", "InvalidBucketName", 400},
			{"unknown directive", src + "/orig", "MERGE", "InvalidArgument", 400},
			{"a version other than null", src + "/orig?versionId=3", "", "InvalidArgument", 400},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := srv.S3.CopyObject(ctx, &s3.CopyObjectInput{
					Bucket: &dst, Key: aws.String("x"), CopySource: aws.String(tt.source),
					MetadataDirective: types.MetadataDirective(tt.directive),
				})
				wantError(t, err, tt.code, tt.status)
			})
		}
	})
}

func TestCopySourceConditions(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	etag := put(t, srv.S3, bucket, "src", []byte("conditions"))
	head, err := srv.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("src")})
	if err != nil {
		t.Fatal(err)
	}
	modified := aws.ToTime(head.LastModified)
	before, after := modified.Add(-time.Hour), modified.Add(time.Hour)

	tests := []struct {
		name string
		set  func(*s3.CopyObjectInput)
		ok   bool
	}{
		{"if-match matches", func(in *s3.CopyObjectInput) { in.CopySourceIfMatch = &etag }, true},
		{"if-match differs", func(in *s3.CopyObjectInput) {
			in.CopySourceIfMatch = aws.String(`"other"`)
		}, false},
		{"if-none-match matches", func(in *s3.CopyObjectInput) {
			in.CopySourceIfNoneMatch = &etag
		}, false},
		{"if-none-match differs", func(in *s3.CopyObjectInput) {
			in.CopySourceIfNoneMatch = aws.String(`"other"`)
		}, true},
		{"if-modified-since before", func(in *s3.CopyObjectInput) {
			in.CopySourceIfModifiedSince = &before
		}, true},
		{"if-modified-since after", func(in *s3.CopyObjectInput) {
			in.CopySourceIfModifiedSince = &after
		}, false},
		{"if-unmodified-since after", func(in *s3.CopyObjectInput) {
			in.CopySourceIfUnmodifiedSince = &after
		}, true},
		{"if-unmodified-since before", func(in *s3.CopyObjectInput) {
			in.CopySourceIfUnmodifiedSince = &before
		}, false},
		// The combinations the CopyObject reference spells out.
		{"if-match true and if-unmodified-since false copies", func(in *s3.CopyObjectInput) {
			in.CopySourceIfMatch, in.CopySourceIfUnmodifiedSince = &etag, &before
		}, true},
		{"if-none-match false and if-modified-since true fails", func(in *s3.CopyObjectInput) {
			in.CopySourceIfNoneMatch, in.CopySourceIfModifiedSince = &etag, &before
		}, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "dst-" + string(rune('a'+i))
			in := &s3.CopyObjectInput{
				Bucket: &bucket, Key: &key, CopySource: aws.String(bucket + "/src"),
			}
			tt.set(in)
			_, err := srv.S3.CopyObject(ctx, in)
			if tt.ok {
				if err != nil {
					t.Fatalf("copy: %v", err)
				}
				if got := get(t, srv.S3, bucket, key); string(got) != "conditions" {
					t.Errorf("copied = %q", got)
				}
				return
			}
			wantError(t, err, "PreconditionFailed", 412)
			_, err = srv.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
			wantError(t, err, "NotFound", 404)
		})
	}
}

func TestCopyAwkwardKeysAndClients(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	for _, k := range awkwardKeys {
		put(t, srv.S3, bucket, k, []byte(k))
		// The SDK passes CopySource through as given: callers URL-encode it.
		_, err := srv.S3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: &bucket, Key: aws.String("copy/" + k),
			CopySource: aws.String(url.PathEscape(bucket) + "/" + escapePath(k)),
		})
		if err != nil {
			t.Fatalf("copy %q: %v", k, err)
		}
		if got := get(t, srv.S3, bucket, "copy/"+k); string(got) != k {
			t.Errorf("copy of %q = %q", k, got)
		}
	}

	// minio-go encodes the source itself.
	_, err := srv.Minio.CopyObject(ctx,
		minio.CopyDestOptions{Bucket: bucket, Object: "minio copy"},
		minio.CopySrcOptions{Bucket: bucket, Object: awkwardKeys[0]})
	if err != nil {
		t.Fatalf("minio copy: %v", err)
	}
	if got := get(t, srv.S3, bucket, "minio copy"); string(got) != awkwardKeys[0] {
		t.Errorf("minio copy = %q", got)
	}
}

func TestCopyKeepsOrRecomputesTheChecksum(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	body := "checksummed"
	_, err := srv.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("src"), Body: strings.NewReader(body),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := srv.S3.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: &bucket, Key: aws.String("same-alg"), CopySource: aws.String(bucket + "/src"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got, want := aws.ToString(out.CopyObjectResult.ChecksumSHA256), sha256Base64([]byte(body))
	if got != want {
		t.Errorf("copy SHA256 = %q, want %q", got, want)
	}
	out, err = srv.S3.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: &bucket, Key: aws.String("new-alg"), CopySource: aws.String(bucket + "/src"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, want = aws.ToString(out.CopyObjectResult.ChecksumCRC32), crc32Base64([]byte(body))
	if got != want {
		t.Errorf("copy CRC32 = %q, want %q", got, want)
	}
}

// Raw requests check the copy-source header parsing the SDKs hide.
func TestCopySourceHeaderForms(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	put(t, srv.S3, bucket, "a?b", []byte("question"))
	for _, src := range []string{
		"/" + bucket + "/a%3Fb", bucket + "/a%3Fb", bucket + "/a%3Fb?versionId=null",
	} {
		h := http.Header{"X-Amz-Copy-Source": {src}}
		resp, body := s3test.Do(t, srv.Request(t, "PUT", "/"+bucket+"/dst", h, nil))
		if resp.StatusCode != 200 || !strings.Contains(string(body), "<CopyObjectResult") {
			t.Errorf("copy source %q = %d %s", src, resp.StatusCode, body)
		}
	}
}

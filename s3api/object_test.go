package s3api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
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

func TestObjectMetadataIsStoredAndReturned(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	body := []byte("<h1>hello</h1>")
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

	out, err := srv.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:             &bucket,
		Key:                aws.String("page.html"),
		Body:               bytes.NewReader(body),
		ContentType:        aws.String("text/html"),
		ContentEncoding:    aws.String("identity"),
		ContentDisposition: aws.String(`attachment; filename="page.html"`),
		ContentLanguage:    aws.String("en-GB"),
		CacheControl:       aws.String("max-age=60"),
		Expires:            &expires,
		Metadata:           map[string]string{"Color": "blue", "shape": "round thing"},
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	if got, want := aws.ToString(out.ETag), md5ETag(body); got != want {
		t.Errorf("put ETag = %s, want %s", got, want)
	}

	type view struct {
		ContentType, ContentEncoding, ContentDisposition, ContentLanguage, CacheControl string
		ETag                                                                            string
		Expires                                                                         time.Time
		Length                                                                          int64
		Metadata                                                                        map[string]string
	}
	want := view{
		ContentType: "text/html", ContentEncoding: "identity",
		ContentDisposition: `attachment; filename="page.html"`, ContentLanguage: "en-GB",
		CacheControl: "max-age=60", ETag: md5ETag(body), Expires: expires,
		Length:   int64(len(body)),
		Metadata: map[string]string{"color": "blue", "shape": "round thing"},
	}

	key := aws.String("page.html")
	head, err := srv.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: key})
	if err != nil {
		t.Fatalf("head: %v", err)
	}
	got := view{
		aws.ToString(head.ContentType), aws.ToString(head.ContentEncoding),
		aws.ToString(head.ContentDisposition), aws.ToString(head.ContentLanguage),
		aws.ToString(head.CacheControl), aws.ToString(head.ETag), aws.ToTime(head.Expires),
		aws.ToInt64(head.ContentLength), head.Metadata,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("head (-want +got):\n%s", diff)
	}

	obj, err := srv.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: key})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	data, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	got = view{
		aws.ToString(obj.ContentType), aws.ToString(obj.ContentEncoding),
		aws.ToString(obj.ContentDisposition), aws.ToString(obj.ContentLanguage),
		aws.ToString(obj.CacheControl), aws.ToString(obj.ETag), aws.ToTime(obj.Expires),
		aws.ToInt64(obj.ContentLength), obj.Metadata,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("get (-want +got):\n%s", diff)
	}
	if !bytes.Equal(data, body) {
		t.Errorf("get body = %q, want %q", data, body)
	}
}

func TestPutWithoutContentTypeStoresBinaryOctetStream(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	req := srv.Request(t, "PUT", "/"+bucket+"/plain", nil, []byte("x"))
	req.Header.Del("Content-Type")
	if resp, body := s3test.Do(t, req); resp.StatusCode != 200 {
		t.Fatalf("put = %d %s", resp.StatusCode, body)
	}
	resp, _ := s3test.Do(t, srv.Request(t, "HEAD", "/"+bucket+"/plain", nil, nil))
	if got := resp.Header.Get("Content-Type"); got != "binary/octet-stream" {
		t.Errorf("Content-Type = %q, want binary/octet-stream as S3 stores", got)
	}
}

func TestAWSChunkedIsNotAStoredContentEncoding(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	// Over TLS the SDK streams with Content-Encoding: aws-chunked added
	// to the caller's gzip.
	_, err := srv.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("z"), Body: strings.NewReader("zz"),
		ContentEncoding: aws.String("gzip"),
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	head, err := srv.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("z")})
	if err != nil {
		t.Fatalf("head: %v", err)
	}
	if got := aws.ToString(head.ContentEncoding); got != "gzip" {
		t.Errorf("Content-Encoding = %q, want gzip", got)
	}
}

func TestResponseHeaderOverrides(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	put(t, srv.S3, bucket, "doc", []byte("data"))
	expires := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	out, err := srv.S3.GetObject(ctx, &s3.GetObjectInput{
		Bucket:                     &bucket,
		Key:                        aws.String("doc"),
		ResponseContentType:        aws.String("application/pdf"),
		ResponseContentLanguage:    aws.String("fr"),
		ResponseExpires:            &expires,
		ResponseCacheControl:       aws.String("no-cache"),
		ResponseContentDisposition: aws.String("inline"),
		ResponseContentEncoding:    aws.String("br"),
	})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	out.Body.Close()
	got := []string{
		aws.ToString(out.ContentType), aws.ToString(out.ContentLanguage),
		aws.ToTime(out.Expires).UTC().Format(time.RFC1123), aws.ToString(out.CacheControl),
		aws.ToString(out.ContentDisposition), aws.ToString(out.ContentEncoding),
	}
	want := []string{"application/pdf", "fr", expires.Format(time.RFC1123), "no-cache", "inline", "br"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("overridden headers (-want +got):\n%s", diff)
	}
}

func TestRanges(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	const content = "0123456789"
	put(t, srv.S3, bucket, "digits", []byte(content))
	tests := []struct {
		name, rng    string
		status       int
		body         string
		contentRange string
	}{
		{"first byte", "bytes=0-0", 206, "0", "bytes 0-0/10"},
		{"first four", "bytes=0-3", 206, "0123", "bytes 0-3/10"},
		{"last byte", "bytes=9-9", 206, "9", "bytes 9-9/10"},
		{"open-ended", "bytes=7-", 206, "789", "bytes 7-9/10"},
		{"suffix", "bytes=-3", 206, "789", "bytes 7-9/10"},
		{"suffix longer than object", "bytes=-20", 206, content, "bytes 0-9/10"},
		{"end past the object is clamped", "bytes=5-100", 206, "56789", "bytes 5-9/10"},
		{"start past the end is 416", "bytes=10-", 416, "", "bytes */10"},
		{"start far past the end is 416", "bytes=99-200", 416, "", "bytes */10"},
		{"empty suffix is 416", "bytes=-0", 416, "", "bytes */10"},
		{"several ranges get the whole object", "bytes=0-1,3-4", 200, content, ""},
		{"reversed range is ignored", "bytes=5-2", 200, content, ""},
		{"other unit is ignored", "items=0-1", 200, content, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, method := range []string{"GET", "HEAD"} {
				req := srv.Request(t, method, "/"+bucket+"/digits",
					http.Header{"Range": {tt.rng}}, nil)
				resp, body := s3test.Do(t, req)
				if resp.StatusCode != tt.status {
					t.Fatalf("%s Range %q = %d, want %d (%s)", method, tt.rng,
						resp.StatusCode, tt.status, body)
				}
				if got := resp.Header.Get("Content-Range"); got != tt.contentRange {
					t.Errorf("%s Content-Range = %q, want %q", method, got, tt.contentRange)
				}
				if tt.status == 416 {
					if method == "GET" && !bytes.Contains(body, []byte("<Code>InvalidRange</Code>")) {
						t.Errorf("416 body = %s, want InvalidRange", body)
					}
					continue
				}
				if method == "HEAD" {
					if resp.ContentLength != int64(len(tt.body)) {
						t.Errorf("HEAD Content-Length = %d, want %d", resp.ContentLength, len(tt.body))
					}
					continue
				}
				if string(body) != tt.body {
					t.Errorf("GET body = %q, want %q", body, tt.body)
				}
			}
		})
	}
}

func TestRangeWithTheSDKs(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	data := randomBytes(1<<20, 7)
	put(t, srv.S3, bucket, "big", data)

	out, err := srv.S3.GetObject(ctx, &s3.GetObjectInput{
		Bucket: &bucket, Key: aws.String("big"), Range: aws.String("bytes=1000-1999"),
	})
	if err != nil {
		t.Fatalf("ranged get: %v", err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, data[1000:2000]) {
		t.Errorf("aws range returned %d bytes that differ from the object", len(got))
	}

	mo, err := srv.Minio.GetObject(ctx, bucket, "big", rangeOpts(t, -500))
	if err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(mo)
	mo.Close()
	if err != nil || !bytes.Equal(got, data[len(data)-500:]) {
		t.Errorf("minio suffix range returned %d bytes (%v), want the last 500", len(got), err)
	}
}

func rangeOpts(t *testing.T, suffix int64) minio.GetObjectOptions {
	var o minio.GetObjectOptions
	if err := o.SetRange(0, suffix); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestConditionalRequestMatrix(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	etag := put(t, srv.S3, bucket, "c", []byte("conditional"))
	head, _ := s3test.Do(t, srv.Request(t, "HEAD", "/"+bucket+"/c", nil, nil))
	modified, err := http.ParseTime(head.Header.Get("Last-Modified"))
	if err != nil {
		t.Fatalf("Last-Modified: %v", err)
	}
	before := modified.Add(-time.Hour).Format(http.TimeFormat)
	after := modified.Add(time.Hour).Format(http.TimeFormat)
	at := modified.Format(http.TimeFormat)

	tests := []struct {
		name    string
		headers map[string]string
		status  int // for GET and HEAD alike
	}{
		{"If-Match with the ETag", map[string]string{"If-Match": etag}, 200},
		{"If-Match unquoted", map[string]string{"If-Match": strings.Trim(etag, `"`)}, 200},
		{"If-Match in a list", map[string]string{"If-Match": `"x", ` + etag}, 200},
		{"If-Match star", map[string]string{"If-Match": "*"}, 200},
		{"If-Match another ETag", map[string]string{"If-Match": `"nope"`}, 412},
		{"If-None-Match with the ETag", map[string]string{"If-None-Match": etag}, 304},
		{"If-None-Match star", map[string]string{"If-None-Match": "*"}, 304},
		{"If-None-Match another ETag", map[string]string{"If-None-Match": `"nope"`}, 200},
		{"If-Modified-Since before", map[string]string{"If-Modified-Since": before}, 200},
		{"If-Modified-Since at", map[string]string{"If-Modified-Since": at}, 304},
		{"If-Modified-Since after", map[string]string{"If-Modified-Since": after}, 304},
		{"If-Modified-Since unparseable", map[string]string{"If-Modified-Since": "soon"}, 200},
		{"If-Unmodified-Since before", map[string]string{"If-Unmodified-Since": before}, 412},
		{"If-Unmodified-Since at", map[string]string{"If-Unmodified-Since": at}, 200},
		{"If-Unmodified-Since after", map[string]string{"If-Unmodified-Since": after}, 200},
		// The two combinations the S3 GetObject reference spells out.
		{"If-Match true overrides If-Unmodified-Since false",
			map[string]string{"If-Match": etag, "If-Unmodified-Since": before}, 200},
		{"If-None-Match false with If-Modified-Since true is 304",
			map[string]string{"If-None-Match": etag, "If-Modified-Since": before}, 304},
		{"If-None-Match true overrides If-Modified-Since false",
			map[string]string{"If-None-Match": `"nope"`, "If-Modified-Since": after}, 200},
		{"If-Match false wins over If-None-Match",
			map[string]string{"If-Match": `"nope"`, "If-None-Match": etag}, 412},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, method := range []string{"GET", "HEAD"} {
				h := http.Header{}
				for k, v := range tt.headers {
					h.Set(k, v)
				}
				resp, body := s3test.Do(t, srv.Request(t, method, "/"+bucket+"/c", h, nil))
				if resp.StatusCode != tt.status {
					t.Fatalf("%s = %d, want %d (%s)", method, resp.StatusCode, tt.status, body)
				}
				switch {
				case tt.status == 304:
					if len(body) != 0 || resp.Header.Get("ETag") != etag {
						t.Errorf("%s 304: body %q, ETag %q; want none, %s", method, body,
							resp.Header.Get("ETag"), etag)
					}
				case tt.status == 412 && method == "GET":
					if !bytes.Contains(body, []byte("<Code>PreconditionFailed</Code>")) {
						t.Errorf("412 body = %s", body)
					}
				case method == "GET" && string(body) != "conditional":
					t.Errorf("GET body = %q", body)
				}
			}
		})
	}
}

func TestConditionalWrites(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	putIf := func(key, body string, set func(*s3.PutObjectInput)) error {
		in := &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(body)}
		set(in)
		_, err := srv.S3.PutObject(ctx, in)
		return err
	}
	noneMatch := func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") }

	if err := putIf("once", "first", noneMatch); err != nil {
		t.Fatalf("create-only put of a new key: %v", err)
	}
	wantError(t, putIf("once", "second", noneMatch), "PreconditionFailed", 412)
	if got := get(t, srv.S3, bucket, "once"); string(got) != "first" {
		t.Errorf("after refused overwrite = %q, want first", got)
	}

	etag := md5ETag([]byte("first"))
	wantError(t, putIf("once", "third", func(in *s3.PutObjectInput) {
		in.IfMatch = aws.String(`"0123456789abcdef0123456789abcdef"`)
	}), "PreconditionFailed", 412)
	if err := putIf("once", "fourth", func(in *s3.PutObjectInput) { in.IfMatch = &etag }); err != nil {
		t.Fatalf("put with matching If-Match: %v", err)
	}
	if got := get(t, srv.S3, bucket, "once"); string(got) != "fourth" {
		t.Errorf("after If-Match put = %q, want fourth", got)
	}
}

// awkwardKeys are keys that trip up canonicalisation and encoding.
var awkwardKeys = []string{
	"with space.txt",
	"plus+sign",
	"percent%20literal",
	"percent%",
	"unicode-ñandú-日本",
	"emoji-🦄🚀",
	"double//slash",
	"trailing/",
	"/leading-slash",
	"query?and#hash&amp=x",
	"tilde~star*paren(1)",
	"semi;colon:equals=comma,",
}

func TestAwkwardKeysRoundTripAndList(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	clients := []struct {
		name string
		c    *s3.Client
	}{{"aws-tls", srv.S3}, {"aws-http", srv.S3HTTP}}
	for _, cl := range clients {
		t.Run(cl.name, func(t *testing.T) {
			bucket := newBucket(t, srv)
			for i, k := range awkwardKeys {
				body := []byte("content of " + k)
				put(t, cl.c, bucket, k, body)
				if got := get(t, cl.c, bucket, k); !bytes.Equal(got, body) {
					t.Errorf("key %d %q: got %q", i, k, got)
				}
			}
			assertListed(t, cl.c, bucket, awkwardKeys)
		})
	}
	t.Run("minio", func(t *testing.T) {
		bucket := newBucket(t, srv)
		for _, k := range awkwardKeys {
			body := "minio " + k
			_, err := srv.Minio.PutObject(ctx, bucket, k, strings.NewReader(body),
				int64(len(body)), minio.PutObjectOptions{})
			if err != nil {
				t.Fatalf("minio put %q: %v", k, err)
			}
			obj, err := srv.Minio.GetObject(ctx, bucket, k, minio.GetObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(obj)
			obj.Close()
			if err != nil || string(got) != body {
				t.Errorf("minio get %q = %q, %v", k, got, err)
			}
		}
		var listed []string
		for o := range srv.Minio.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			listed = append(listed, o.Key)
		}
		if diff := cmp.Diff(sorted(awkwardKeys), listed); diff != "" {
			t.Errorf("minio listing (-want +got):\n%s", diff)
		}
	})
}

// assertListed checks that a v2 listing returns exactly keys, in order.
func assertListed(t *testing.T, c *s3.Client, bucket string, keys []string) {
	t.Helper()
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var got []string
	for _, o := range out.Contents {
		got = append(got, aws.ToString(o.Key))
	}
	if diff := cmp.Diff(sorted(keys), got); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}
}

func sorted(keys []string) []string {
	s := append([]string(nil), keys...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

func TestDeleteObject(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	put(t, srv.S3, bucket, "gone", []byte("x"))
	for i := 0; i < 2; i++ {
		// Deleting a missing key succeeds too, as in S3.
		req := srv.Request(t, "DELETE", "/"+bucket+"/gone", nil, nil)
		if resp, body := s3test.Do(t, req); resp.StatusCode != 204 {
			t.Fatalf("delete #%d = %d %s, want 204", i, resp.StatusCode, body)
		}
	}
	_, err := srv.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("gone")})
	wantError(t, err, "NoSuchKey", 404)
	_, err = srv.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("gone")})
	wantError(t, err, "NotFound", 404)
	err = srv.Minio.RemoveObject(ctx, bucket, "also-missing", minio.RemoveObjectOptions{})
	if err != nil {
		t.Errorf("minio remove of a missing key: %v", err)
	}
}

func TestDeleteObjects(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	for _, k := range []string{"a", "b", "c", "d"} {
		put(t, srv.S3, bucket, k, []byte(k))
	}
	long := strings.Repeat("k", 1025)

	out, err := srv.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: &bucket,
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("a")}, {Key: aws.String("missing")}, {Key: &long},
		}},
	})
	if err != nil {
		t.Fatalf("delete objects: %v", err)
	}
	var deleted []string
	for _, d := range out.Deleted {
		deleted = append(deleted, aws.ToString(d.Key))
	}
	if diff := cmp.Diff([]string{"a", "missing"}, deleted); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "KeyTooLongError" {
		t.Errorf("errors = %+v, want one KeyTooLongError", out.Errors)
	}

	quiet, err := srv.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: &bucket,
		Delete: &types.Delete{Quiet: aws.Bool(true), Objects: []types.ObjectIdentifier{
			{Key: aws.String("b")},
		}},
	})
	if err != nil || len(quiet.Deleted) != 0 || len(quiet.Errors) != 0 {
		t.Fatalf("quiet delete = %+v, %v; want an empty result", quiet, err)
	}

	// minio-go sends DeleteObjects with Content-MD5.
	objs := make(chan minio.ObjectInfo, 2)
	objs <- minio.ObjectInfo{Key: "c"}
	objs <- minio.ObjectInfo{Key: "d"}
	close(objs)
	for e := range srv.Minio.RemoveObjects(ctx, bucket, objs, minio.RemoveObjectsOptions{}) {
		t.Errorf("minio remove %s: %v", e.ObjectName, e.Err)
	}
	assertListed(t, srv.S3, bucket, nil)

	// Each way a client may prove the body's integrity, which S3 requires
	// of DeleteObjects: Content-MD5, a checksum header, or (through the
	// TLS client, streaming) a checksum trailer.
	plain := s3test.NewS3Client(srv.URL, http.DefaultClient)
	whenRequired := s3.New(plain.Options(), func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	for name, c := range map[string]*s3.Client{"TLS": srv.S3, "plain HTTP": srv.S3HTTP,
		"checksums only when required": whenRequired} {
		put(t, c, bucket, "e", []byte("e"))
		_, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: &bucket,
			Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("e")}}},
		})
		if err != nil {
			t.Errorf("%s: delete objects: %v", name, err)
		}
	}
	for _, h := range []http.Header{
		{"Content-Md5": {"ushfKWI+IZqsamGXKx4CZw=="}},
		{"X-Amz-Checksum-Crc32": {"RBtmVA=="}},
	} {
		body := []byte("<Delete><Object><Key>e</Key></Object></Delete>")
		resp, got := s3test.Do(t, srv.Request(t, "POST", "/"+bucket+"?delete", h, body))
		if resp.StatusCode != 200 {
			t.Errorf("DeleteObjects with %v = %d %s, want 200", h, resp.StatusCode, got)
		}
	}
	assertListed(t, srv.S3, bucket, nil)

	_, err = srv.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String("no-such"),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("x")}}},
	})
	wantError(t, err, "NoSuchBucket", 404)
}

func TestGetPartNumber(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	body := []byte("single")
	put(t, srv.S3, bucket, "one", body)
	out, err := srv.S3.GetObject(ctx, &s3.GetObjectInput{
		Bucket: &bucket, Key: aws.String("one"), PartNumber: aws.Int32(1),
	})
	if err != nil {
		t.Fatalf("part 1 of a single-part object: %v", err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, body) {
		t.Errorf("part 1 = %q", got)
	}
	_, err = srv.S3.GetObject(ctx, &s3.GetObjectInput{
		Bucket: &bucket, Key: aws.String("one"), PartNumber: aws.Int32(2),
	})
	wantError(t, err, "InvalidPartNumber", 416)
}

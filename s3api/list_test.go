package s3api_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse/internal/s3test"
)

// listingKeys is the 2,500-key layout the listing tests share: 2,000
// photos two levels down, 400 documents one level down and 100 keys at
// the top.
func listingKeys() []string {
	var keys []string
	for i := 0; i < 2000; i++ {
		keys = append(keys, fmt.Sprintf("photos/2024/img-%04d.jpg", i))
	}
	for i := 0; i < 400; i++ {
		keys = append(keys, fmt.Sprintf("docs/%03d.txt", i))
	}
	for i := 0; i < 100; i++ {
		keys = append(keys, fmt.Sprintf("top-%02d", i))
	}
	return sorted(keys)
}

// fill puts an empty object under each key, eight at a time.
func fill(t *testing.T, c *s3.Client, bucket string, keys []string) {
	t.Helper()
	work := make(chan string)
	errs := make(chan error, len(keys))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				_, err := c.PutObject(context.Background(), &s3.PutObjectInput{
					Bucket: &bucket, Key: aws.String(k), Body: strings.NewReader(""),
				})
				if err != nil {
					errs <- fmt.Errorf("put %s: %w", k, err)
				}
			}
		}()
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestListingOver2500Keys(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	keys := listingKeys()
	fill(t, srv.S3HTTP, bucket, keys)

	t.Run("v2 pages of the default 1000", func(t *testing.T) {
		var got []string
		var counts []int32
		p := s3.NewListObjectsV2Paginator(srv.S3, &s3.ListObjectsV2Input{Bucket: &bucket})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			counts = append(counts, aws.ToInt32(page.KeyCount))
			for _, o := range page.Contents {
				got = append(got, aws.ToString(o.Key))
				if o.Owner != nil {
					t.Fatalf("owner listed without fetch-owner")
				}
			}
		}
		if diff := cmp.Diff(keys, got); diff != "" {
			t.Errorf("keys (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int32{1000, 1000, 500}, counts); diff != "" {
			t.Errorf("KeyCount per page (-want +got):\n%s", diff)
		}
	})

	t.Run("v2 pages of 333 with fetch-owner", func(t *testing.T) {
		var got []string
		p := s3.NewListObjectsV2Paginator(srv.S3, &s3.ListObjectsV2Input{
			Bucket: &bucket, MaxKeys: aws.Int32(333), FetchOwner: aws.Bool(true),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Contents {
				got = append(got, aws.ToString(o.Key))
				if o.Owner == nil || aws.ToString(o.Owner.DisplayName) != "admin" {
					t.Fatalf("fetch-owner: owner = %+v", o.Owner)
				}
			}
		}
		if diff := cmp.Diff(keys, got); diff != "" {
			t.Errorf("keys (-want +got):\n%s", diff)
		}
	})

	t.Run("v1 pages continue from the last key without NextMarker", func(t *testing.T) {
		var got []string
		marker := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("v1 listing does not end")
			}
			page, err := srv.S3.ListObjects(ctx, &s3.ListObjectsInput{
				Bucket: &bucket, Marker: &marker, MaxKeys: aws.Int32(700),
			})
			if err != nil {
				t.Fatal(err)
			}
			if page.NextMarker != nil {
				t.Errorf("NextMarker %q returned without a delimiter", *page.NextMarker)
			}
			for _, o := range page.Contents {
				got = append(got, aws.ToString(o.Key))
				if o.Owner == nil {
					t.Fatal("v1 listing has no owner")
				}
			}
			if !aws.ToBool(page.IsTruncated) {
				break
			}
			marker = got[len(got)-1]
		}
		if diff := cmp.Diff(keys, got); diff != "" {
			t.Errorf("keys (-want +got):\n%s", diff)
		}
	})

	t.Run("delimiter rolls keys up into common prefixes", func(t *testing.T) {
		page, err := srv.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: &bucket, Delimiter: aws.String("/"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"docs/", "photos/"}, prefixes(page.CommonPrefixes)); diff != "" {
			t.Errorf("common prefixes (-want +got):\n%s", diff)
		}
		if len(page.Contents) != 100 || aws.ToInt32(page.KeyCount) != 102 {
			t.Errorf("contents %d, KeyCount %d; want 100 keys, 102 entries",
				len(page.Contents), aws.ToInt32(page.KeyCount))
		}

		page, err = srv.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: &bucket, Prefix: aws.String("photos/"), Delimiter: aws.String("/"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"photos/2024/"}, prefixes(page.CommonPrefixes)); diff != "" {
			t.Errorf("nested common prefixes (-want +got):\n%s", diff)
		}
		if len(page.Contents) != 0 {
			t.Errorf("keys under photos/ listed beside the prefix: %d", len(page.Contents))
		}
	})

	t.Run("v1 with a delimiter pages through prefixes with NextMarker", func(t *testing.T) {
		var got []string
		marker := ""
		for pages := 0; ; pages++ {
			if pages > 200 {
				t.Fatal("listing does not end")
			}
			page, err := srv.S3.ListObjects(ctx, &s3.ListObjectsInput{
				Bucket: &bucket, Delimiter: aws.String("/"), Marker: &marker,
				MaxKeys: aws.Int32(7),
			})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, prefixes(page.CommonPrefixes)...)
			for _, o := range page.Contents {
				got = append(got, aws.ToString(o.Key))
			}
			if !aws.ToBool(page.IsTruncated) {
				break
			}
			if page.NextMarker == nil {
				t.Fatal("truncated delimited v1 page without NextMarker")
			}
			marker = *page.NextMarker
		}
		want := []string{"docs/", "photos/"}
		for i := 0; i < 100; i++ {
			want = append(want, fmt.Sprintf("top-%02d", i))
		}
		if diff := cmp.Diff(want, sorted(got)); diff != "" {
			t.Errorf("entries (-want +got):\n%s", diff)
		}
	})

	t.Run("start-after and the continuation token", func(t *testing.T) {
		page, err := srv.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: &bucket, StartAfter: aws.String("photos/2024/img-1996.jpg"),
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range page.Contents {
			got = append(got, aws.ToString(o.Key))
		}
		want := []string{"photos/2024/img-1997.jpg", "photos/2024/img-1998.jpg",
			"photos/2024/img-1999.jpg"}
		want = append(want, keys[len(keys)-100:]...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after start-after (-want +got):\n%s", diff)
		}
		if aws.ToString(page.StartAfter) != "photos/2024/img-1996.jpg" {
			t.Errorf("StartAfter echoed as %q", aws.ToString(page.StartAfter))
		}

		first, err := srv.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: &bucket, MaxKeys: aws.Int32(2),
		})
		if err != nil {
			t.Fatal(err)
		}
		// A continuation token takes precedence over start-after.
		next, err := srv.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: &bucket, MaxKeys: aws.Int32(1), ContinuationToken: first.NextContinuationToken,
			StartAfter: aws.String("top-50"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(next.Contents) != 1 || aws.ToString(next.Contents[0].Key) != keys[2] {
			t.Errorf("after the token: %+v, want %s", next.Contents, keys[2])
		}
	})

	t.Run("max-keys", func(t *testing.T) {
		zero, err := srv.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: &bucket, MaxKeys: aws.Int32(0),
		})
		if err != nil || len(zero.Contents) != 0 || aws.ToInt32(zero.KeyCount) != 0 {
			t.Errorf("max-keys=0: %+v, %v; want no keys", zero, err)
		}
		big, err := srv.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: &bucket, MaxKeys: aws.Int32(5000),
		})
		if err != nil || len(big.Contents) != 1000 || aws.ToInt32(big.MaxKeys) != 1000 {
			t.Errorf("max-keys=5000: %d keys, MaxKeys %d, %v; want clamped to 1000",
				len(big.Contents), aws.ToInt32(big.MaxKeys), err)
		}
	})
}

func prefixes(cps []types.CommonPrefix) []string {
	var out []string
	for _, p := range cps {
		out = append(out, aws.ToString(p.Prefix))
	}
	return out
}

func TestListingWithURLEncoding(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)
	keys := []string{"a b/c+d.txt", "a b/ü%.txt", "plain", "x&y/<z>"}
	fill(t, srv.S3, bucket, keys)

	// The SDK leaves encoded values to the caller to decode.
	out, err := srv.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: &bucket, EncodingType: types.EncodingTypeUrl, Delimiter: aws.String("/"),
		StartAfter: aws.String("a b"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range out.CommonPrefixes {
		got = append(got, aws.ToString(p.Prefix))
	}
	for _, o := range out.Contents {
		got = append(got, aws.ToString(o.Key))
	}
	if diff := cmp.Diff([]string{"a+b/", "x%26y/", "plain"}, got); diff != "" {
		t.Errorf("encoded entries (-want +got):\n%s", diff)
	}
	if got := aws.ToString(out.StartAfter); got != "a+b" {
		t.Errorf("StartAfter = %q, want it encoded as a+b", got)
	}

	// Decoding as form values (what botocore does) gives the keys back.
	v1, err := srv.S3.ListObjects(ctx, &s3.ListObjectsInput{
		Bucket: &bucket, EncodingType: types.EncodingTypeUrl, Prefix: aws.String("a b/"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var decoded []string
	for _, o := range v1.Contents {
		k, err := url.QueryUnescape(aws.ToString(o.Key))
		if err != nil {
			t.Fatalf("key %q does not decode: %v", aws.ToString(o.Key), err)
		}
		decoded = append(decoded, k)
	}
	if diff := cmp.Diff([]string{"a b/c+d.txt", "a b/ü%.txt"}, decoded); diff != "" {
		t.Errorf("decoded keys (-want +got):\n%s", diff)
	}
	if got := aws.ToString(v1.Prefix); got != "a+b/" {
		t.Errorf("Prefix = %q, want a+b/", got)
	}

	// Without encoding-type the raw XML carries the key escaped as XML.
	resp, body := s3test.Do(t, srv.Request(t, "GET", "/"+bucket+"?list-type=2&prefix=x", nil, nil))
	var res struct {
		Contents []struct{ Key string }
	}
	if err := xml.Unmarshal(body, &res); err != nil || resp.StatusCode != 200 {
		t.Fatalf("raw list: %d %v", resp.StatusCode, err)
	}
	if len(res.Contents) != 1 || res.Contents[0].Key != "x&y/<z>" {
		t.Errorf("raw list contents = %+v", res.Contents)
	}
}

func TestListingBadArguments(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	tests := []struct {
		name, query string
		status      int
		code        string
	}{
		{"negative max-keys", "list-type=2&max-keys=-1", 400, "InvalidArgument"},
		{"non-numeric max-keys", "max-keys=ten", 400, "InvalidArgument"},
		{"unknown encoding-type", "list-type=2&encoding-type=base64", 400, "InvalidArgument"},
		{"forged continuation token", "list-type=2&continuation-token=%21%21", 400,
			"InvalidArgument"},
		{"negative max-uploads", "uploads&max-uploads=-3", 400, "InvalidArgument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, e := rawError(t, srv.Request(t, "GET", "/"+bucket+"?"+tt.query, nil, nil))
			if status != tt.status || e.Code != tt.code {
				t.Errorf("?%s = %d %s, want %d %s", tt.query, status, e.Code, tt.status, tt.code)
			}
		})
	}
	_, err := srv.S3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{
		Bucket: aws.String("absent-bucket"),
	})
	wantError(t, err, "NoSuchBucket", 404)
}

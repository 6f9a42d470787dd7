package s3api_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"

	"gatehouse.dev/gatehouse/internal/s3test"
)

func TestBucketLifecycleWithTheAWSSDK(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	c := srv.S3

	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")})
	wantError(t, err, "BucketAlreadyOwnedByYou", 409)

	// A CreateBucketConfiguration body naming the server's region is
	// accepted; TestLocationConstraintMustBeTheServersRegion has more.
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket: aws.String("with-config"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{
			LocationConstraint: "us-east-1",
		},
	})
	if err != nil {
		t.Fatalf("create with configuration: %v", err)
	}

	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatalf("head: %v", err)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("missing")})
	wantError(t, err, "NotFound", 404)

	list, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("list buckets: %v", err)
	}
	var names []string
	for _, b := range list.Buckets {
		names = append(names, aws.ToString(b.Name))
		if b.CreationDate == nil || b.CreationDate.IsZero() {
			t.Errorf("bucket %s has no creation date", aws.ToString(b.Name))
		}
	}
	if diff := cmp.Diff([]string{"photos", "with-config"}, names); diff != "" {
		t.Errorf("bucket names (-want +got):\n%s", diff)
	}
	if list.Owner == nil || aws.ToString(list.Owner.DisplayName) != "admin" {
		t.Errorf("owner = %+v, want display name admin", list.Owner)
	}

	put(t, c, "photos", "cat.jpg", []byte("meow"))
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("photos")})
	wantError(t, err, "BucketNotEmpty", 409)

	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String("photos"), Key: aws.String("cat.jpg"),
	})
	if err != nil {
		t.Fatalf("delete object: %v", err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatalf("delete bucket: %v", err)
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("photos")})
	wantError(t, err, "NoSuchBucket", 404)
}

func TestLocationConstraintMustBeTheServersRegion(t *testing.T) {
	config := func(region string) []byte {
		return []byte("<CreateBucketConfiguration><LocationConstraint>" + region +
			"</LocationConstraint></CreateBucketConfiguration>")
	}
	tests := []struct {
		name, serverRegion string
		body               []byte
		wantCode           string // "" for success
	}{
		{"no body on us-east-1", "us-east-1", nil, ""},
		{"empty constraint on us-east-1", "us-east-1", config(""), ""},
		{"us-east-1 spelt out, as s3cmd sends it", "us-east-1", config("us-east-1"), ""},
		{"another region", "us-east-1", config("eu-west-1"), "IllegalLocationConstraintException"},
		{"EU, the old name of eu-west-1, elsewhere", "us-east-1", config("EU"),
			"IllegalLocationConstraintException"},
		{"the server's own region", "eu-west-1", config("eu-west-1"), ""},
		{"EU on eu-west-1", "eu-west-1", config("EU"), ""},
		{"no body on eu-west-1", "eu-west-1", nil, ""},
		{"us-east-1 on eu-west-1", "eu-west-1", config("us-east-1"),
			"IllegalLocationConstraintException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := s3test.Start(t, s3test.WithRegion(tt.serverRegion))
			resp, body := s3test.Do(t, srv.Request(t, "PUT", "/made", nil, tt.body))
			var e xmlError
			xmlUnmarshal(body, &e)
			if tt.wantCode == "" && resp.StatusCode != 200 ||
				tt.wantCode != "" && (resp.StatusCode != 400 || e.Code != tt.wantCode) {
				t.Fatalf("CreateBucket = %d %s %q, want %q", resp.StatusCode, e.Code, e.Message,
					tt.wantCode)
			}
			_, err := srv.S3.HeadBucket(context.Background(),
				&s3.HeadBucketInput{Bucket: aws.String("made")})
			if created := err == nil; created != (tt.wantCode == "") {
				t.Errorf("bucket created: %v (%v)", created, err)
			}
		})
	}
}

func TestListBucketsPagesAndFilters(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	names := []string{"alpha-1", "alpha-2", "alpha-3", "beta-1", "gamma-1"}
	for _, n := range []string{"gamma-1", "alpha-2", "beta-1", "alpha-3", "alpha-1"} {
		if _, err := srv.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(in *s3.ListBucketsInput) []string {
		t.Helper()
		var got []string
		p := s3.NewListBucketsPaginator(srv.S3, in)
		for pages := 0; p.HasMorePages(); pages++ {
			if pages > 10 {
				t.Fatal("bucket listing does not end")
			}
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range out.Buckets {
				got = append(got, aws.ToString(b.Name))
			}
		}
		return got
	}
	if diff := cmp.Diff(names, list(&s3.ListBucketsInput{MaxBuckets: aws.Int32(2)})); diff != "" {
		t.Errorf("pages of 2 (-want +got):\n%s", diff)
	}
	alpha := list(&s3.ListBucketsInput{Prefix: aws.String("alpha-")})
	if diff := cmp.Diff(names[:3], alpha); diff != "" {
		t.Errorf("prefix alpha- (-want +got):\n%s", diff)
	}
}

func TestBucketLifecycleWithMinio(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	mc := srv.Minio

	if err := mc.MakeBucket(ctx, "minio-bucket", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket: %v", err)
	}
	ok, err := mc.BucketExists(ctx, "minio-bucket")
	if err != nil || !ok {
		t.Fatalf("bucket exists = %v, %v; want true", ok, err)
	}
	ok, err = mc.BucketExists(ctx, "no-such-bucket")
	if err != nil || ok {
		t.Fatalf("missing bucket exists = %v, %v; want false", ok, err)
	}
	buckets, err := mc.ListBuckets(ctx)
	if err != nil || len(buckets) != 1 || buckets[0].Name != "minio-bucket" {
		t.Fatalf("list buckets = %+v, %v", buckets, err)
	}
	if err := mc.RemoveBucket(ctx, "minio-bucket"); err != nil {
		t.Fatalf("remove bucket: %v", err)
	}
}

func TestBucketCompatibilityAnswers(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := newBucket(t, srv)

	loc, err := srv.S3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &bucket})
	if err != nil {
		t.Fatalf("location: %v", err)
	}
	// AWS reports us-east-1 as an empty constraint.
	if loc.LocationConstraint != "" {
		t.Errorf("location constraint = %q, want empty for us-east-1", loc.LocationConstraint)
	}
	_, err = srv.S3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("nope")})
	wantError(t, err, "NoSuchBucket", 404)

	ver, err := srv.S3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket})
	if err != nil {
		t.Fatalf("versioning: %v", err)
	}
	if ver.Status != "" || ver.MFADelete != "" {
		t.Errorf("versioning = %q/%q, want never enabled", ver.Status, ver.MFADelete)
	}

	acl, err := srv.S3.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &bucket})
	if err != nil {
		t.Fatalf("bucket acl: %v", err)
	}
	if len(acl.Grants) != 1 || acl.Grants[0].Permission != types.PermissionFullControl ||
		aws.ToString(acl.Grants[0].Grantee.ID) != aws.ToString(acl.Owner.ID) {
		t.Errorf("bucket acl grants = %+v, want the owner's FULL_CONTROL only", acl.Grants)
	}

	put(t, srv.S3, bucket, "k", []byte("v"))
	oacl, err := srv.S3.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &bucket, Key: aws.String("k")})
	if err != nil {
		t.Fatalf("object acl: %v", err)
	}
	if len(oacl.Grants) != 1 || oacl.Grants[0].Permission != types.PermissionFullControl {
		t.Errorf("object acl grants = %+v", oacl.Grants)
	}
	_, err = srv.S3.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &bucket, Key: aws.String("none")})
	wantError(t, err, "NoSuchKey", 404)
}

func TestUnsupportedSubresourcesAreNotImplemented(t *testing.T) {
	srv := s3test.Start(t)
	bucket := newBucket(t, srv)
	put(t, srv.S3, bucket, "k", []byte("v"))
	tests := []struct {
		name, method, path string
	}{
		{"bucket policy", "GET", "/" + bucket + "?policy"},
		{"bucket lifecycle", "PUT", "/" + bucket + "?lifecycle"},
		{"bucket cors", "GET", "/" + bucket + "?cors"},
		{"bucket tagging", "DELETE", "/" + bucket + "?tagging"},
		{"bucket versioning put", "PUT", "/" + bucket + "?versioning"},
		{"list object versions", "GET", "/" + bucket + "?versions"},
		{"object tagging", "GET", "/" + bucket + "/k?tagging"},
		{"object acl put", "PUT", "/" + bucket + "/k?acl"},
		{"object retention", "PUT", "/" + bucket + "/k?retention"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, e := rawError(t, srv.Request(t, tt.method, tt.path, nil, nil))
			if status != 501 || e.Code != "NotImplemented" {
				t.Errorf("%s %s = %d %s, want 501 NotImplemented", tt.method, tt.path, status, e.Code)
			}
		})
	}
	// Nothing was changed by the refused requests.
	if got := get(t, srv.S3, bucket, "k"); string(got) != "v" {
		t.Errorf("object after refused requests = %q", got)
	}
}

func TestHealthNeedsNoAuthentication(t *testing.T) {
	srv := s3test.Start(t)
	resp, err := http.Get(srv.URL + "/-/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("health = %d %q, want 200 ok", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Amz-Request-Id") == "" {
		t.Error("health response has no x-amz-request-id")
	}
}

func TestHealthAllowsOnlyGETAndHEAD(t *testing.T) {
	srv := s3test.Start(t)
	for _, method := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		req, _ := http.NewRequest(method, srv.URL+"/-/health", nil)
		status, e := rawError(t, req)
		if status != 405 || e.Code != "MethodNotAllowed" {
			t.Errorf("%s /-/health = %d %s, want 405 MethodNotAllowed", method, status, e.Code)
		}
	}
	req, _ := http.NewRequest("POST", srv.URL+"/-/health", nil)
	resp, _ := s3test.Do(t, req)
	if got := resp.Header.Get("Allow"); got != "GET, HEAD" {
		t.Errorf("Allow = %q, want \"GET, HEAD\"", got)
	}
}

func TestVirtualHostedStyle(t *testing.T) {
	srv := s3test.Start(t, s3test.WithDomain("s3.test"))
	ctx := context.Background()
	bucket := newBucket(t, srv)
	put(t, srv.S3, bucket, "dir/file.txt", []byte("hosted"))

	// The SDK resolves <bucket>.s3.test; send it to the loopback server
	// by overriding the Host only.
	vc := s3.New(srv.S3.Options(), func(o *s3.Options) {
		o.UsePathStyle = false
		o.BaseEndpoint = aws.String("http://s3.test")
		o.HTTPClient = hostRewriter{to: srv.URL}
	})
	out, err := vc.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("dir/file.txt")})
	if err != nil {
		t.Fatalf("virtual-hosted get: %v", err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != "hosted" {
		t.Errorf("virtual-hosted get = %q", b)
	}
	list, err := vc.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "dir/file.txt" {
		t.Fatalf("virtual-hosted list = %+v, %v", list, err)
	}
}

// hostRewriter sends every request to a fixed endpoint while keeping the
// Host header the client chose, as a DNS entry for *.s3.test would.
type hostRewriter struct{ to string }

func (h hostRewriter) Do(req *http.Request) (*http.Response, error) {
	host := req.URL.Host
	u := *req.URL
	target, _ := http.NewRequest("GET", h.to, nil)
	u.Scheme, u.Host = target.URL.Scheme, target.URL.Host
	req.URL = &u
	req.Host = host
	return http.DefaultClient.Do(req)
}

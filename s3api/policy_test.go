package s3api_test

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/internal/s3test"
)

// recordingPolicy allows everything except what deny says, and records
// every request it decides.
type recordingPolicy struct {
	mu   sync.Mutex
	seen []gatehouse.AccessRequest
	deny func(gatehouse.AccessRequest) bool
}

func (p *recordingPolicy) Allow(_ context.Context, r gatehouse.AccessRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, r)
	if p.deny != nil && p.deny(r) {
		return gatehouse.ErrAccessDenied
	}
	return nil
}

// take returns and forgets the recorded requests, without source
// addresses (checked separately).
func (p *recordingPolicy) take(t *testing.T) []gatehouse.AccessRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.seen
	p.seen = nil
	for i := range out {
		if !out[i].Source.IsLoopback() {
			t.Errorf("request %+v has source %v, want loopback", out[i], out[i].Source)
		}
		out[i].Source = netip.Addr{}
	}
	return out
}

func TestEachOperationAsksThePolicyForItsAction(t *testing.T) {
	pol := &recordingPolicy{}
	srv := s3test.Start(t, s3test.WithPolicy(pol))
	ctx := context.Background()
	c := srv.S3HTTP
	b := aws.String("acts")
	type req = gatehouse.AccessRequest
	const (
		read   = gatehouse.ActionRead
		write  = gatehouse.ActionWrite
		list   = gatehouse.ActionList
		del    = gatehouse.ActionDelete
		admin  = gatehouse.ActionAdmin
		bucket = gatehouse.BucketName("acts")
	)
	steps := []struct {
		name string
		do   func() error
		want []req
	}{
		{"CreateBucket", func() error {
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b})
			return err
		}, []req{{Action: admin, Bucket: bucket}}},
		{"ListBuckets", func() error {
			_, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		}, []req{{Action: admin}}},
		{"HeadBucket", func() error {
			_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b})
			return err
		}, []req{{Action: list, Bucket: bucket}}},
		{"PutObject", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("d/k"),
				Body: strings.NewReader("x")})
			return err
		}, []req{{Action: write, Bucket: bucket, Key: "d/k", Size: 1}}},
		{"GetObject", func() error {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("d/k")})
			if err == nil {
				out.Body.Close()
			}
			return err
		}, []req{{Action: read, Bucket: bucket, Key: "d/k"}}},
		{"ListObjectsV2 asks about the prefix", func() error {
			in := &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("d/")}
			_, err := c.ListObjectsV2(ctx, in)
			return err
		}, []req{{Action: list, Bucket: bucket, Key: "d/"}}},
		{"CopyObject reads the source and writes the target", func() error {
			_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("e/k2"),
				CopySource: aws.String("acts/d/k")})
			return err
		}, []req{
			{Action: write, Bucket: bucket, Key: "e/k2", Size: -1},
			{Action: read, Bucket: bucket, Key: "d/k"},
		}},
		{"DeleteObjects asks per key", func() error {
			_, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{
				Objects: []types.ObjectIdentifier{{Key: aws.String("d/k")}, {Key: aws.String("e/k2")}},
			}})
			return err
		}, []req{
			{Action: del, Bucket: bucket, Key: "d/k"}, {Action: del, Bucket: bucket, Key: "e/k2"},
		}},
		{"DeleteBucket", func() error {
			_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b})
			return err
		}, []req{{Action: admin, Bucket: bucket}}},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if diff := cmp.Diff(st.want, pol.take(t), cmpopts.EquateComparable(netip.Addr{})); diff != "" {
			t.Errorf("%s asked the policy (-want +got):\n%s", st.name, diff)
		}
	}
}

func TestPolicyRefusalsAreAccessDenied(t *testing.T) {
	// Everything under secret/ is off limits; so is writing to ro/.
	pol := &recordingPolicy{deny: func(r gatehouse.AccessRequest) bool {
		return strings.HasPrefix(string(r.Key), "secret/") ||
			r.Action == gatehouse.ActionWrite && strings.HasPrefix(string(r.Key), "ro/")
	}}
	srv := s3test.Start(t, s3test.WithPolicy(pol))
	ctx := context.Background()
	bucket := newBucket(t, srv)
	put(t, srv.S3, bucket, "ok", []byte("fine"))

	_, err := srv.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("ro/file"), Body: strings.NewReader("no"),
	})
	wantError(t, err, "AccessDenied", 403)
	_, err = srv.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("secret/x")})
	wantError(t, err, "AccessDenied", 403)
	_, err = srv.S3.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: &bucket, Key: aws.String("stolen"), CopySource: aws.String(bucket + "/secret/x"),
	})
	wantError(t, err, "AccessDenied", 403)
	_, err = srv.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: &bucket, Prefix: aws.String("secret/"),
	})
	wantError(t, err, "AccessDenied", 403)

	out, err := srv.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: &bucket, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("ok")}, {Key: aws.String("secret/y")},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 1 || len(out.Errors) != 1 ||
		aws.ToString(out.Errors[0].Key) != "secret/y" ||
		aws.ToString(out.Errors[0].Code) != "AccessDenied" {
		t.Errorf("delete objects = deleted %+v, errors %+v", out.Deleted, out.Errors)
	}
	_, err = srv.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("stolen")})
	wantError(t, err, "NotFound", 404)
}

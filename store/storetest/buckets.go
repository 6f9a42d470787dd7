package storetest

import (
	"context"
	"slices"
	"testing"

	"gatehouse.dev/gatehouse"
)

var bucketTests = map[string]func(*testing.T, gatehouse.ObjectStore){
	"CreateHeadDelete": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		info, err := s.HeadBucket(ctx, b)
		if err != nil || info.Name != b || info.Created.IsZero() {
			t.Fatalf("HeadBucket = %+v, %v; want name %s and a creation time", info, err, b)
		}
		if err := s.DeleteBucket(ctx, b); err != nil {
			t.Fatalf("DeleteBucket: %v", err)
		}
		_, err = s.HeadBucket(ctx, b)
		wantErr(t, "HeadBucket after delete", err, gatehouse.ErrNoSuchBucket)
	},
	"CreateTwiceIsAlreadyOwnedByYou": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		err := s.CreateBucket(context.Background(), b)
		wantErr(t, "second CreateBucket", err, gatehouse.ErrBucketAlreadyOwnedByYou)
	},
	"EmptyNameIsRejected": func(t *testing.T, s gatehouse.ObjectStore) {
		if err := s.CreateBucket(context.Background(), ""); err == nil {
			t.Fatal("CreateBucket(\"\") succeeded")
		}
	},
	"MissingBucketIsNoSuchBucket": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		const b = gatehouse.BucketName("gh-test-never-created")
		_, err := s.HeadBucket(ctx, b)
		wantErr(t, "HeadBucket", err, gatehouse.ErrNoSuchBucket)
		wantErr(t, "DeleteBucket", s.DeleteBucket(ctx, b), gatehouse.ErrNoSuchBucket)
		_, err = putOpts(s, b, "k", []byte("x"), gatehouse.PutOptions{})
		wantErr(t, "PutObject", err, gatehouse.ErrNoSuchBucket)
		_, err = s.OpenObject(ctx, b, "k")
		wantErr(t, "OpenObject", err, gatehouse.ErrNoSuchBucket)
		wantErr(t, "DeleteObject", s.DeleteObject(ctx, b, "k"), gatehouse.ErrNoSuchBucket)
		_, err = s.ListObjects(ctx, b, gatehouse.ListOptions{})
		wantErr(t, "ListObjects", err, gatehouse.ErrNoSuchBucket)
		_, err = s.CreateMultipartUpload(ctx, b, "k", gatehouse.PutOptions{})
		wantErr(t, "CreateMultipartUpload", err, gatehouse.ErrNoSuchBucket)
		_, err = s.ListMultipartUploads(ctx, b, gatehouse.ListUploadsOptions{})
		wantErr(t, "ListMultipartUploads", err, gatehouse.ErrNoSuchBucket)
	},
	"DeleteWithObjectIsBucketNotEmpty": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		put(t, s, b, "k", []byte("x"))
		wantErr(t, "DeleteBucket", s.DeleteBucket(ctx, b), gatehouse.ErrBucketNotEmpty)
		if err := s.DeleteObject(ctx, b, "k"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteBucket(ctx, b); err != nil {
			t.Fatalf("DeleteBucket once empty: %v", err)
		}
	},
	"DeleteWithUploadIsBucketNotEmpty": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		id, err := s.CreateMultipartUpload(ctx, b, "k", gatehouse.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wantErr(t, "DeleteBucket", s.DeleteBucket(ctx, b), gatehouse.ErrBucketNotEmpty)
		if err := s.AbortMultipartUpload(ctx, b, "k", id); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteBucket(ctx, b); err != nil {
			t.Fatalf("DeleteBucket once aborted: %v", err)
		}
	},
	"ListSortedByName": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		var made []string
		for range 3 {
			made = append(made, string(newBucket(t, s)))
		}
		list, err := s.ListBuckets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, bi := range list {
			names = append(names, string(bi.Name))
		}
		if !slices.IsSorted(names) {
			t.Errorf("ListBuckets not sorted: %q", names)
		}
		for _, m := range made {
			if !slices.Contains(names, m) {
				t.Errorf("ListBuckets lacks %s: %q", m, names)
			}
		}
	},
}

package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse"
)

var uploadListingTests = map[string]func(*testing.T, gatehouse.ObjectStore){
	"ListsByKeyThenInitiation": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		type up struct{ Key, ID string }
		var made []up
		for _, k := range []string{"b/1", "a", "b/2", "a", "c", "b/1", "a"} {
			id, err := s.CreateMultipartUpload(ctx, b, gatehouse.ObjectKey(k), gatehouse.PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			made = append(made, up{k, string(id)})
		}
		// The order S3 documents: by key, then by initiation.
		byKey := map[string][]up{}
		for _, u := range made {
			byKey[u.Key] = append(byKey[u.Key], u)
		}
		var want []up
		for _, k := range []string{"a", "b/1", "b/2", "c"} {
			want = append(want, byKey[k]...)
		}

		for _, max := range []int{0, 1, 2, 3} {
			var got []up
			opts := gatehouse.ListUploadsOptions{Max: max}
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("upload listing does not terminate")
				}
				res, err := s.ListMultipartUploads(ctx, b, opts)
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range res.Uploads {
					got = append(got, up{string(u.Key), string(u.ID)})
					if u.Initiated.IsZero() || u.Bucket != b {
						t.Errorf("upload %+v", u)
					}
				}
				if !res.Truncated {
					break
				}
				last := res.Uploads[len(res.Uploads)-1]
				if res.NextKeyMarker != string(last.Key) || res.NextUploadIDMarker != last.ID {
					t.Fatalf("next markers %q %q, last upload %+v",
						res.NextKeyMarker, res.NextUploadIDMarker, last)
				}
				opts.KeyMarker, opts.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("uploads with Max %d (-want +got):\n%s", max, diff)
			}
		}

		// A key marker alone skips that key's uploads.
		res, err := s.ListMultipartUploads(ctx, b, gatehouse.ListUploadsOptions{KeyMarker: "a"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Uploads) != 4 || res.Uploads[0].Key != "b/1" {
			t.Errorf("after key marker \"a\": %+v", res.Uploads)
		}
	},
	"PrefixAndDelimiter": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		for _, k := range []string{"x/1", "x/2", "y/deep/1", "y/top", "z"} {
			_, err := s.CreateMultipartUpload(ctx, b, gatehouse.ObjectKey(k), gatehouse.PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
		}
		res, err := s.ListMultipartUploads(ctx, b, gatehouse.ListUploadsOptions{Delimiter: "/"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"x/", "y/"}, res.CommonPrefixes); diff != "" {
			t.Errorf("common prefixes (-want +got):\n%s", diff)
		}
		if len(res.Uploads) != 1 || res.Uploads[0].Key != "z" {
			t.Errorf("uploads = %+v, want only z", res.Uploads)
		}

		res, err = s.ListMultipartUploads(ctx, b,
			gatehouse.ListUploadsOptions{Delimiter: "/", Prefix: "y/"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Uploads) != 1 || res.Uploads[0].Key != "y/top" ||
			!cmp.Equal(res.CommonPrefixes, []string{"y/deep/"}) {
			t.Errorf("under y/: uploads %+v, prefixes %q", res.Uploads, res.CommonPrefixes)
		}

		// Paging one entry at a time through prefixes and uploads.
		var seen []string
		opts := gatehouse.ListUploadsOptions{Delimiter: "/", Max: 1}
		for pages := 0; pages < 10; pages++ {
			res, err := s.ListMultipartUploads(ctx, b, opts)
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, res.CommonPrefixes...)
			for _, u := range res.Uploads {
				seen = append(seen, string(u.Key))
			}
			if !res.Truncated {
				break
			}
			opts.KeyMarker, opts.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
		}
		if diff := cmp.Diff([]string{"x/", "y/", "z"}, seen); diff != "" {
			t.Errorf("paged entries (-want +got):\n%s", diff)
		}
	},
	"CompletedAndAbortedUploadsDisappear": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		id1, parts := upload(t, s, b, "done", []byte("x"))
		id2, _ := upload(t, s, b, "aborted")
		id3, _ := upload(t, s, b, "open")
		_, err := s.CompleteMultipartUpload(ctx, b, "done", id1, parts, gatehouse.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AbortMultipartUpload(ctx, b, "aborted", id2); err != nil {
			t.Fatal(err)
		}
		res, err := s.ListMultipartUploads(ctx, b, gatehouse.ListUploadsOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Uploads) != 1 || res.Uploads[0].ID != id3 {
			t.Errorf("uploads = %+v, want only %s", res.Uploads, id3)
		}
	},
}

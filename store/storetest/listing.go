package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse"
)

// putKeys stores each key with its own name as content, a few writers at
// a time.
func putKeys(t *testing.T, s gatehouse.ObjectStore, b gatehouse.BucketName, keys []string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	sem := make(chan struct{}, 8)
	for _, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := putOpts(s, b, gatehouse.ObjectKey(k), []byte(k), gatehouse.PutOptions{})
			if err != nil {
				errs <- fmt.Errorf("put %q: %w", k, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// listing is everything a full walk of pages returned.
type listing struct {
	Keys     []string
	Prefixes []string
	Pages    int
}

// listAll pages through a listing with opts, checking the page contract
// on the way: at most Max entries per page, Next equal to the page's last
// entry, and Truncated only when more follow.
func listAll(t *testing.T, s gatehouse.ObjectStore, b gatehouse.BucketName,
	opts gatehouse.ListOptions) listing {
	t.Helper()
	max := opts.Max
	if max == 0 {
		max = gatehouse.MaxListKeys
	}
	var all listing
	for {
		res, err := s.ListObjects(context.Background(), b, opts)
		if err != nil {
			t.Fatalf("ListObjects(%+v): %v", opts, err)
		}
		all.Pages++
		if all.Pages > 10_000 {
			t.Fatal("listing does not terminate")
		}
		n := len(res.Objects) + len(res.CommonPrefixes)
		if n > max {
			t.Fatalf("page of %d entries with Max %d", n, max)
		}
		for _, o := range res.Objects {
			if o.ETag != etagOf([]byte(o.Key)) || o.Size != int64(len(o.Key)) || o.Modified.IsZero() {
				t.Fatalf("listed object %+v; want the size and ETag of its key", o)
			}
		}
		keys := keyList(res.Objects)
		all.Keys = append(all.Keys, keys...)
		all.Prefixes = append(all.Prefixes, res.CommonPrefixes...)
		if !res.Truncated {
			return all
		}
		last := slices.Max(append(slices.Clone(keys), res.CommonPrefixes...))
		if n != max || res.Next != last {
			t.Fatalf("truncated page of %d (Max %d) with Next %q, want Next %q", n, max, res.Next, last)
		}
		opts.After = res.Next
	}
}

// expect lists what a listing of keys with prefix, delimiter and after
// must return, computed naively.
func expect(keys []string, prefix, delim, after string) listing {
	var want listing
	seen := map[string]bool{}
	for _, k := range slices.Sorted(slices.Values(keys)) {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if i := strings.Index(k[len(prefix):], delim); delim != "" && i >= 0 {
			cp := k[:len(prefix)+i+len(delim)]
			if cp > after && !seen[cp] {
				seen[cp] = true
				want.Prefixes = append(want.Prefixes, cp)
			}
			continue
		}
		if k > after {
			want.Keys = append(want.Keys, k)
		}
	}
	return want
}

func checkListing(t *testing.T, s gatehouse.ObjectStore, b gatehouse.BucketName, keys []string,
	opts gatehouse.ListOptions) listing {
	t.Helper()
	got := listAll(t, s, b, opts)
	want := expect(keys, opts.Prefix, opts.Delimiter, opts.After)
	if diff := cmp.Diff(want.Keys, got.Keys); diff != "" {
		t.Errorf("ListObjects(%+v) keys (-want +got):\n%s", opts, diff)
	}
	if diff := cmp.Diff(want.Prefixes, got.Prefixes); diff != "" {
		t.Errorf("ListObjects(%+v) common prefixes (-want +got):\n%s", opts, diff)
	}
	return got
}

var listingTests = map[string]func(*testing.T, gatehouse.ObjectStore){
	"PaginatesOver2500Keys": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		var keys []string
		for i := range 2500 {
			keys = append(keys, fmt.Sprintf("dir/%04d", i))
		}
		keys = append(keys, "before", "dir0", "zzz")
		putKeys(t, s, b, keys)

		got := checkListing(t, s, b, keys, gatehouse.ListOptions{})
		if got.Pages != 3 {
			t.Errorf("2,503 keys in %d default pages, want 3", got.Pages)
		}
		got = checkListing(t, s, b, keys, gatehouse.ListOptions{Prefix: "dir/"})
		if got.Pages != 3 || len(got.Keys) != 2500 {
			t.Errorf("prefix listing: %d keys in %d pages", len(got.Keys), got.Pages)
		}
		checkListing(t, s, b, keys, gatehouse.ListOptions{Prefix: "dir/1", Max: 37})
		checkListing(t, s, b, keys, gatehouse.ListOptions{After: "dir/2222", Max: 100})
		got = checkListing(t, s, b, keys, gatehouse.ListOptions{Delimiter: "/"})
		if got.Pages != 1 {
			t.Errorf("delimited listing of 4 entries took %d pages", got.Pages)
		}
	},
	"ExactlyFullPageIsNotTruncated": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		putKeys(t, s, b, []string{"a", "b", "c"})
		res, err := s.ListObjects(context.Background(), b, gatehouse.ListOptions{Max: 3})
		if err != nil {
			t.Fatal(err)
		}
		if res.Truncated || len(res.Objects) != 3 {
			t.Errorf("Max 3 over 3 keys: %d objects, truncated %v", len(res.Objects), res.Truncated)
		}
		res, err = s.ListObjects(context.Background(), b, gatehouse.ListOptions{Max: 2})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Truncated || res.Next != "b" {
			t.Errorf("Max 2 over 3 keys: truncated %v, next %q", res.Truncated, res.Next)
		}
	},
	"EmptyBucketListsNothing": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		res, err := s.ListObjects(context.Background(), b, gatehouse.ListOptions{Delimiter: "/"})
		if err != nil || len(res.Objects)+len(res.CommonPrefixes) != 0 || res.Truncated {
			t.Errorf("empty bucket listing = %+v, %v", res, err)
		}
	},
	"DelimiterRollsUpCommonPrefixes": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		keys := []string{
			"a/1", "a/2", "a/deep/er", "b/x/1", "b/x/2", "b/y", "b/z/", "c", "d/", "d//e",
			"e", "e/f", "photos/2024/jan/1.jpg", "photos/2024/feb/2.jpg", "photos/2025/x.jpg",
			"photosZ", "/root", "//double",
		}
		putKeys(t, s, b, keys)
		for _, o := range []gatehouse.ListOptions{
			{Delimiter: "/"},
			{Delimiter: "/", Max: 1},
			{Delimiter: "/", Max: 2},
			{Delimiter: "/", Prefix: "b/"},
			{Delimiter: "/", Prefix: "b/", Max: 1},
			{Delimiter: "/", Prefix: "photos/"},
			{Delimiter: "/", Prefix: "photos/2024/", Max: 1},
			{Delimiter: "/", Prefix: "photos"},
			{Delimiter: "/", Prefix: "d/"},
			{Delimiter: "/", After: "a/1"},
			{Delimiter: "/", After: "a/"},
			{Delimiter: "/", After: "b/x/1", Prefix: "b/"},
			{Delimiter: "2024"},
			{Delimiter: "//"},
			{Delimiter: "x", Max: 1},
			{Prefix: "photos/2024/"},
			{Prefix: "nothing"},
		} {
			checkListing(t, s, b, keys, o)
		}
	},
	"SkipsPastLargeCommonPrefix": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		var keys []string
		for i := range 300 {
			keys = append(keys, fmt.Sprintf("big/%03d", i))
		}
		keys = append(keys, "after", "aa/1", "big0", "bigger/1", "zz/1")
		putKeys(t, s, b, keys)
		got := checkListing(t, s, b, keys, gatehouse.ListOptions{Delimiter: "/", Max: 2})
		if got.Pages != 3 {
			t.Errorf("5 entries with Max 2 took %d pages, want 3", got.Pages)
		}
	},
	"OddKeysSortByUTF8Bytes": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		putKeys(t, s, b, oddKeys)
		got := checkListing(t, s, b, oddKeys, gatehouse.ListOptions{})
		if !slices.IsSorted(got.Keys) {
			t.Errorf("keys not in byte order: %q", got.Keys)
		}
		checkListing(t, s, b, oddKeys, gatehouse.ListOptions{Max: 4})
		checkListing(t, s, b, oddKeys, gatehouse.ListOptions{Delimiter: "/"})
		checkListing(t, s, b, oddKeys, gatehouse.ListOptions{Delimiter: "/", Max: 3})
		checkListing(t, s, b, oddKeys, gatehouse.ListOptions{Prefix: "emoji/"})
		checkListing(t, s, b, oddKeys, gatehouse.ListOptions{Delimiter: "ü"})
		checkListing(t, s, b, oddKeys, gatehouse.ListOptions{Delimiter: "🦆"})
		checkListing(t, s, b, oddKeys, gatehouse.ListOptions{Prefix: "\u00ff"})
	},
}

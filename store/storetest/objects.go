package storetest

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse"
)

var objectTests = map[string]func(*testing.T, gatehouse.ObjectStore){
	"PutThenOpenReturnsBytesAndInfo": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		data := randomBytes(1, 100_000)
		meta := gatehouse.ObjectMeta{
			ContentType:        "application/x-test",
			ContentEncoding:    "identity",
			ContentDisposition: `attachment; filename="a b.txt"`,
			ContentLanguage:    "de-CH",
			CacheControl:       "max-age=60",
			Expires:            "Thu, 01 Dec 2094 16:00:00 GMT",
			User:               map[string]string{"colour": "blue", "note": "ünïcode"},
		}
		sum := gatehouse.Checksum{Algorithm: gatehouse.ChecksumSHA256,
			Type: gatehouse.ChecksumTypeFullObject, Value: "c2hhMjU2LXZhbHVl"}
		body, seal := Hashing(bytes.NewReader(data))
		info, err := s.PutObject(context.Background(), b, "dir/obj", body, gatehouse.PutOptions{
			Meta: meta,
			Seal: func() (gatehouse.Sealed, error) {
				sd, err := seal()
				sd.Checksum = sum
				return sd, err
			},
		})
		if err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		if info.Size != int64(len(data)) || info.ETag != etagOf(data) || info.Modified.IsZero() {
			t.Errorf("PutObject info = size %d etag %s modified %v; want %d %s",
				info.Size, info.ETag, info.Modified, len(data), etagOf(data))
		}

		o, err := s.OpenObject(context.Background(), b, "dir/obj")
		if err != nil {
			t.Fatalf("OpenObject: %v", err)
		}
		defer o.Close()
		got := o.Info()
		if got.Bucket != b || got.Key != "dir/obj" || got.Size != int64(len(data)) ||
			got.ETag != etagOf(data) || got.Parts != 0 || got.PartSizes != nil {
			t.Errorf("Info = %+v", got)
		}
		if diff := cmp.Diff(meta, got.Meta); diff != "" {
			t.Errorf("Meta (-put +got):\n%s", diff)
		}
		if got.Checksum != sum {
			t.Errorf("Checksum = %+v, want %+v", got.Checksum, sum)
		}
		if !got.Modified.Equal(info.Modified) {
			t.Errorf("Modified = %v, PutObject said %v", got.Modified, info.Modified)
		}
		if got.Size != int64(len(data)) {
			t.Errorf("Size = %d, want %d", got.Size, len(data))
		}
		sameBytes(t, "whole object", readRange(t, o, 0, o.Info().Size), data)
	},
	"RangesWithinOneObject": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		data := randomBytes(2, 10_000)
		put(t, s, b, "k", data)
		o, err := s.OpenObject(context.Background(), b, "k")
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		for _, r := range [][2]int64{{0, 1}, {0, 10_000}, {9_999, 1}, {1234, 4321}, {10_000, 0}, {5, 0}} {
			sameBytes(t, "range", readRange(t, o, r[0], r[1]), data[r[0]:r[0]+r[1]])
		}
		for _, r := range [][2]int64{{0, 10_001}, {10_000, 1}, {-1, 2}, {3, -1}, {1 << 62, 1 << 62}} {
			rc, err := o.Range(r[0], r[1])
			if err == nil {
				rc.Close()
			}
			wantErr(t, "out-of-bounds Range", err, gatehouse.ErrInvalidRange)
		}
	},
	"EmptyObject": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		info := put(t, s, b, "empty", nil)
		if info.Size != 0 || info.ETag != `"d41d8cd98f00b204e9800998ecf8427e"` {
			t.Errorf("empty object info = %+v", info)
		}
		if got := readAll(t, s, b, "empty"); len(got) != 0 {
			t.Errorf("read %d bytes of an empty object", len(got))
		}
	},
	"MissingKeyIsNoSuchKey": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		mustNotExist(t, s, b, "nope")
	},
	"DeleteRemovesAndMissingDeleteSucceeds": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		put(t, s, b, "k", []byte("x"))
		if err := s.DeleteObject(ctx, b, "k"); err != nil {
			t.Fatal(err)
		}
		mustNotExist(t, s, b, "k")
		if err := s.DeleteObject(ctx, b, "k"); err != nil {
			t.Fatalf("deleting a missing key: %v", err)
		}
	},
	"OverwriteKeepsOpenReaderOnOldVersion": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		v1, v2 := randomBytes(3, 300_000), randomBytes(4, 1_000)
		put(t, s, b, "k", v1)
		old, err := s.OpenObject(ctx, b, "k")
		if err != nil {
			t.Fatal(err)
		}
		defer old.Close()
		// A reader already part-way through, and one opened after the
		// overwrite from the old handle.
		early, err := old.Range(0, int64(len(v1)))
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 1000)
		if _, err := io.ReadFull(early, head); err != nil {
			t.Fatal(err)
		}

		info := put(t, s, b, "k", v2)
		if info.ETag != etagOf(v2) {
			t.Errorf("overwrite ETag = %s", info.ETag)
		}
		sameBytes(t, "new version", readAll(t, s, b, "k"), v2)
		rest, err := io.ReadAll(early)
		early.Close()
		if err != nil {
			t.Fatalf("reading the old version after overwrite: %v", err)
		}
		sameBytes(t, "old version via early reader", append(head, rest...), v1)
		if old.Info().ETag != etagOf(v1) || old.Info().Size != int64(len(v1)) {
			t.Errorf("old handle's info changed: %+v", old.Info())
		}

		// Deleting the key does not take the bytes from an open handle.
		if err := s.DeleteObject(ctx, b, "k"); err != nil {
			t.Fatal(err)
		}
		sameBytes(t, "old version after delete", readRange(t, old, 0, int64(len(v1))), v1)
		mustNotExist(t, s, b, "k")
	},
	"RangeReaderOutlivesObjectClose": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		data := randomBytes(5, 50_000)
		put(t, s, b, "k", data)
		o, err := s.OpenObject(ctx, b, "k")
		if err != nil {
			t.Fatal(err)
		}
		r, err := o.Range(0, int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		o.Close()
		put(t, s, b, "k", []byte("replacement"))
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		sameBytes(t, "range read after Close and overwrite", got, data)
	},
	"KeyTooLongIsRejected": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		k := gatehouse.ObjectKey(strings.Repeat("k", gatehouse.MaxKeyLength+1))
		_, err := putOpts(s, b, k, []byte("x"), gatehouse.PutOptions{})
		wantErr(t, "PutObject with a 1,025-byte key", err, gatehouse.ErrKeyTooLong)
		max := gatehouse.ObjectKey(strings.Repeat("k", gatehouse.MaxKeyLength))
		put(t, s, b, max, []byte("x"))
		sameBytes(t, "1,024-byte key", readAll(t, s, b, max), []byte("x"))
	},
	"OddKeysRoundTrip": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		for i, k := range oddKeys {
			put(t, s, b, gatehouse.ObjectKey(k), []byte(k))
			if i%2 == 0 {
				sameBytes(t, k, readAll(t, s, b, gatehouse.ObjectKey(k)), []byte(k))
			}
		}
		for _, k := range oddKeys {
			sameBytes(t, k, readAll(t, s, b, gatehouse.ObjectKey(k)), []byte(k))
		}
	},
}

// oddKeys are keys clients get wrong: reserved and escaped characters,
// non-ASCII, and slashes in odd places.
var oddKeys = []string{
	"with space", "plus+sign", "percent%20sign", "100%", "unicode/ünïcödé",
	"emoji/🦆🚀", "double//slash", "trailing/", "/leading", "a/b/c/d/e",
	"tab\there", "question?mark", "hash#tag", "amp&semi;", "equals=sign",
	"tilde~", "quote\"s", "apostrophe's", "brackets[]{}", "日本語キー",
	"a", "a/", "a//", "A", "Z", "z", "~", "\u00ff", "\u0100", "\U0010fffd",
}

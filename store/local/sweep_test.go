package local_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/store/local"
	"gatehouse.dev/gatehouse/store/storetest"
)

// blobFiles lists the blob files under dir, by name.
func blobFiles(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	root := filepath.Join(dir, "blobs")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			names = append(names, strings.TrimPrefix(p, dir+"/"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return names
}

func tmpFiles(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func wantBlobCount(t *testing.T, dir string, n int) {
	t.Helper()
	if got := blobFiles(t, dir); len(got) != n {
		t.Fatalf("%d blob files, want %d: %q", len(got), n, got)
	}
	if got := tmpFiles(t, dir); len(got) != 0 {
		t.Fatalf("temp files left: %q", got)
	}
}

func putBytes(t *testing.T, s *local.Store, b gatehouse.BucketName, k gatehouse.ObjectKey,
	data []byte) gatehouse.ObjectInfo {
	t.Helper()
	body, seal := storetest.Hashing(bytes.NewReader(data))
	info, err := s.PutObject(context.Background(), b, k, body, gatehouse.PutOptions{Seal: seal})
	if err != nil {
		t.Fatalf("PutObject(%q): %v", k, err)
	}
	return info
}

func partBytes(t *testing.T, s *local.Store, b gatehouse.BucketName, k gatehouse.ObjectKey,
	id gatehouse.UploadID, n int, data []byte) gatehouse.CompletePart {
	t.Helper()
	body, seal := storetest.Hashing(bytes.NewReader(data))
	p, err := s.UploadPart(context.Background(), b, k, id, n, body, gatehouse.PutOptions{Seal: seal})
	if err != nil {
		t.Fatalf("UploadPart(%d): %v", n, err)
	}
	return gatehouse.CompletePart{Number: n, ETag: p.ETag}
}

func readObject(t *testing.T, s *local.Store, b gatehouse.BucketName,
	k gatehouse.ObjectKey) string {
	t.Helper()
	o, err := s.OpenObject(context.Background(), b, k)
	if err != nil {
		t.Fatalf("OpenObject(%q): %v", k, err)
	}
	defer o.Close()
	r, err := o.Range(0, o.Info().Size)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Every operation that drops bytes must drop their file too, and none
// may leave a temp file behind.
func TestNoFileOutlivesItsMetadata(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	const b = "bkt"
	if err := s.CreateBucket(ctx, b); err != nil {
		t.Fatal(err)
	}

	putBytes(t, s, b, "a", []byte("v1"))
	putBytes(t, s, b, "a", []byte("v2"))
	putBytes(t, s, b, "gone", []byte("x"))
	if err := s.DeleteObject(ctx, b, "gone"); err != nil {
		t.Fatal(err)
	}
	wantBlobCount(t, dir, 1) // a

	// Failed writes leave nothing.
	_, err := s.PutObject(ctx, b, "a", strings.NewReader("bad"), gatehouse.PutOptions{
		Seal: func() (gatehouse.Sealed, error) { return gatehouse.Sealed{}, gatehouse.ErrBadDigest }})
	if !errors.Is(err, gatehouse.ErrBadDigest) {
		t.Fatal(err)
	}
	body, seal := storetest.Hashing(strings.NewReader("x"))
	_, err = s.PutObject(ctx, b, "a", body, gatehouse.PutOptions{Seal: seal, IfNoneMatchAny: true})
	if !errors.Is(err, gatehouse.ErrPreconditionFailed) {
		t.Fatal(err)
	}
	wantBlobCount(t, dir, 1)

	// Aborting drops the parts; replacing a part drops the old one;
	// completing drops the unlisted ones.
	id, _ := s.CreateMultipartUpload(ctx, b, "m", gatehouse.PutOptions{})
	partBytes(t, s, b, "m", id, 1, []byte("p"))
	if err := s.AbortMultipartUpload(ctx, b, "m", id); err != nil {
		t.Fatal(err)
	}
	wantBlobCount(t, dir, 1)

	id, _ = s.CreateMultipartUpload(ctx, b, "m", gatehouse.PutOptions{})
	partBytes(t, s, b, "m", id, 1, []byte("old part"))
	p1 := partBytes(t, s, b, "m", id, 1, []byte("new part"))
	partBytes(t, s, b, "m", id, 2, []byte("unlisted"))
	wantBlobCount(t, dir, 3)
	if _, err := s.CompleteMultipartUpload(ctx, b, "m", id,
		[]gatehouse.CompletePart{p1}, gatehouse.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	wantBlobCount(t, dir, 2) // a, m
	if got := readObject(t, s, b, "m"); got != "new part" {
		t.Fatalf("m = %q", got)
	}
}

// An open Object keeps its blob file until it is closed, even after the
// key is overwritten.
func TestOpenObjectPinsItsBlobUntilClose(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	const b = "bkt"
	if err := s.CreateBucket(ctx, b); err != nil {
		t.Fatal(err)
	}
	putBytes(t, s, b, "k", []byte("old"))
	o1, err := s.OpenObject(ctx, b, "k")
	if err != nil {
		t.Fatal(err)
	}
	o2, err := s.OpenObject(ctx, b, "k")
	if err != nil {
		t.Fatal(err)
	}
	putBytes(t, s, b, "k", []byte("new"))
	wantBlobCount(t, dir, 2)
	o1.Close()
	wantBlobCount(t, dir, 2) // o2 still holds it
	r, err := o2.Range(0, 3)
	if err != nil {
		t.Fatal(err)
	}
	o2.Close()
	wantBlobCount(t, dir, 2) // the reader still holds it
	got, _ := io.ReadAll(r)
	r.Close()
	if string(got) != "old" {
		t.Fatalf("old version read %q", got)
	}
	wantBlobCount(t, dir, 1)
}

// Open removes what a crash leaves: temp files of writes in flight, blob
// files renamed into place whose metadata never committed, and blob files
// whose metadata was replaced before they were unlinked. It keeps every
// referenced blob and anything that is not a blob.
func TestOpenSweepsCrashLeftovers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	const b = "bkt"
	if err := s.CreateBucket(ctx, b); err != nil {
		t.Fatal(err)
	}
	putBytes(t, s, b, "kept", []byte("kept bytes"))
	id, _ := s.CreateMultipartUpload(ctx, b, "m", gatehouse.PutOptions{})
	part := partBytes(t, s, b, "m", id, 1, []byte("part bytes"))

	// A reader pins the old version of "replaced"; the store then
	// "crashes" (is closed) before the reader lets go, so the old blob
	// is never unlinked.
	putBytes(t, s, b, "replaced", []byte("old"))
	o, err := s.OpenObject(ctx, b, "replaced")
	if err != nil {
		t.Fatal(err)
	}
	putBytes(t, s, b, "replaced", []byte("new"))
	s.Close()
	_ = o // never closed: the process died

	referenced := blobFiles(t, dir)
	if len(referenced) != 4 {
		t.Fatalf("before the crash leftovers: %q", referenced)
	}

	// A write cut off mid-body, and one renamed into place but never
	// committed.
	mustWrite(t, filepath.Join(dir, "tmp", "0123456789abcdef0123456789abcdef"), "half a body")
	mustWrite(t, filepath.Join(dir, "tmp", "odd", "nested"), "x")
	orphan := filepath.Join(dir, "blobs", "ff", "ee", "ffee0000000000000000000000000001")
	mustWrite(t, orphan, "never committed")
	// Not blobs, whatever they are: left alone.
	foreign := []string{
		filepath.Join(dir, "blobs", "README"),
		filepath.Join(dir, "blobs", "ff", "ee", "not-a-blob"),
		filepath.Join(dir, "blobs", "ff", "ee", "aaaa0000000000000000000000000001"),
	}
	for _, f := range foreign {
		mustWrite(t, f, "foreign")
	}

	s2 := openStore(t, dir)
	if got := tmpFiles(t, dir); len(got) != 0 {
		t.Errorf("temp files after Open: %q", got)
	}
	if _, err := os.Stat(orphan); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("uncommitted blob survived Open: %v", err)
	}
	for _, f := range foreign {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("Open removed a file that is not a blob: %v", err)
		}
	}
	if got := len(blobFiles(t, dir)) - len(foreign); got != 3 {
		t.Errorf("%d blob files after Open, want 3 (kept, part, new replaced)", got)
	}

	// What was committed is intact.
	for k, want := range map[gatehouse.ObjectKey]string{"kept": "kept bytes", "replaced": "new"} {
		if got := readObject(t, s2, b, k); got != want {
			t.Errorf("%s = %q after reopen, want %q", k, got, want)
		}
	}
	if _, err := s2.CompleteMultipartUpload(ctx, b, "m", id,
		[]gatehouse.CompletePart{part}, gatehouse.PutOptions{}); err != nil {
		t.Fatalf("completing an upload begun before the crash: %v", err)
	}
	if got := readObject(t, s2, b, "m"); got != "part bytes" {
		t.Errorf("m = %q", got)
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A store reopened on the same directory sees everything committed.
func TestReopenKeepsBucketsObjectsAndUploads(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	info := putBytes(t, s, "bkt", "k", []byte("durable"))
	id, err := s.CreateMultipartUpload(ctx, "bkt", "m", gatehouse.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2 := openStore(t, dir)
	if _, err := s2.HeadBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	o, err := s2.OpenObject(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if o.Info().ETag != info.ETag || !o.Info().Modified.Equal(info.Modified) {
		t.Errorf("reopened info %+v, want %+v", o.Info(), info)
	}
	ups, err := s2.ListMultipartUploads(ctx, "bkt", gatehouse.ListUploadsOptions{})
	if err != nil || len(ups.Uploads) != 1 || ups.Uploads[0].ID != id {
		t.Errorf("uploads after reopen = %+v, %v", ups, err)
	}
}

// A second store on a directory in use would sweep away the first one's
// writes in flight; it must refuse to open instead.
func TestSecondOpenOfADirectoryFails(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	if s2, err := local.Open(context.Background(), dir, local.Options{}); err == nil {
		s2.Close()
		t.Fatal("a second Open of a directory in use succeeded")
	}
	s.Close()
	openStore(t, dir) // free again once closed
}

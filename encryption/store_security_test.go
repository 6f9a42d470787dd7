package encryption_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/encryption"
)

// seal is a PutOptions.Seal over body that reports its size and MD5.
func sealOf(body []byte) func() (gatehouse.Sealed, error) {
	sum := md5.Sum(body)
	return func() (gatehouse.Sealed, error) {
		return gatehouse.Sealed{Size: int64(len(body)),
			ETag: `"` + hex.EncodeToString(sum[:]) + `"`}, nil
	}
}

// setup opens an encrypting store over store/local in dir with bucket b.
func setup(t *testing.T, dir string) (*encryption.Store, context.Context) {
	t.Helper()
	s := encryption.New(openLocal(t, dir))
	ctx := encryption.WithKeys(context.Background(), encryption.RootAccess(testRoot))
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	return s, ctx
}

func put(t *testing.T, s *encryption.Store, ctx context.Context, k gatehouse.ObjectKey,
	body []byte, user map[string]string) gatehouse.ObjectInfo {
	t.Helper()
	info, err := s.PutObject(ctx, "b", k, bytes.NewReader(body), gatehouse.PutOptions{
		Meta: gatehouse.ObjectMeta{User: user}, Seal: sealOf(body)})
	if err != nil {
		t.Fatalf("PutObject(%s): %v", k, err)
	}
	return info
}

func read(ctx context.Context, s *encryption.Store, k gatehouse.ObjectKey) ([]byte, error) {
	o, err := s.OpenObject(ctx, "b", k)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	r, err := o.Range(0, o.Info().Size)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func TestNoKeysNoContent(t *testing.T) {
	s, ctx := setup(t, t.TempDir())
	put(t, s, ctx, "k", []byte("content"), nil)
	bare := context.Background()
	_, err := s.PutObject(bare, "b", "k2", strings.NewReader("plain"),
		gatehouse.PutOptions{Seal: sealOf([]byte("plain"))})
	if !errors.Is(err, gatehouse.ErrAccessDenied) {
		t.Errorf("PutObject without keys: %v, want AccessDenied", err)
	}
	if _, err := s.OpenObject(bare, "b", "k"); !errors.Is(err, gatehouse.ErrAccessDenied) {
		t.Errorf("OpenObject without keys: %v, want AccessDenied", err)
	}
	_, err = s.CreateMultipartUpload(bare, "b", "k", gatehouse.PutOptions{})
	if !errors.Is(err, gatehouse.ErrAccessDenied) {
		t.Errorf("CreateMultipartUpload without keys: %v, want AccessDenied", err)
	}
	if _, err := s.OpenObject(ctx, "b", "k2"); !errors.Is(err, gatehouse.ErrNoSuchKey) {
		t.Errorf("the refused PUT stored something: %v", err)
	}
}

func TestWrongPassphraseGetsTheClearError(t *testing.T) {
	s, ctx := setup(t, t.TempDir())
	put(t, s, ctx, "photos/cat.jpg", []byte("meow"), map[string]string{"who": "cat"})

	other := encryption.Key{9, 9, 9}
	pk, covered := encryption.PrefixKey(other, "b", "photos/")
	for name, ks := range map[string]encryption.KeySource{
		"another root key":          encryption.RootAccess(other),
		"another key at the prefix": encryption.Access{Bucket: "b", Prefix: covered, Key: pk},
	} {
		_, err := read(encryption.WithKeys(context.Background(), ks), s, "photos/cat.jpg")
		if !errors.Is(err, gatehouse.ErrAccessDenied) ||
			gatehouse.AsError(err).Message != "The object is encrypted under another key." {
			t.Errorf("%s: %v, want AccessDenied saying the object is under another key", name, err)
		}
	}
	// The right key at the prefix reads it.
	pk, covered = encryption.PrefixKey(testRoot, "b", "photos/")
	got, err := read(encryption.WithKeys(context.Background(),
		encryption.Access{Bucket: "b", Prefix: covered, Key: pk}), s, "photos/cat.jpg")
	if err != nil || string(got) != "meow" {
		t.Errorf("read with the prefix key: %q, %v", got, err)
	}
}

// The content and metadata of a test object appear nowhere on disk: not
// in the blobs, the SQLite database, its WAL or anything else.
func TestPlaintextNeverReachesTheDisk(t *testing.T) {
	dir := t.TempDir()
	s, ctx := setup(t, dir)
	secret := bytes.Repeat([]byte("PLAINTEXT-CANARY-7f3a "), 20_000)
	metaSecret := "META-CANARY-c41d"
	put(t, s, ctx, "k", secret, map[string]string{"note": metaSecret})

	id, err := s.CreateMultipartUpload(ctx, "b", "m", gatehouse.PutOptions{
		Meta: gatehouse.ObjectMeta{User: map[string]string{"note": metaSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UploadPart(ctx, "b", "m", id, 1, bytes.NewReader(secret),
		gatehouse.PutOptions{Seal: sealOf(secret)}); err != nil {
		t.Fatal(err)
	}
	got, err := read(ctx, s, "k")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("read back: %d bytes, %v", len(got), err)
	}

	files := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files++
		for _, canary := range []string{"PLAINTEXT-CANARY", metaSecret} {
			if bytes.Contains(b, []byte(canary)) {
				t.Errorf("%s holds %q in plaintext", path, canary)
			}
		}
		return nil
	})
	if files < 3 { // two blobs and the database at least
		t.Fatalf("scanned only %d files", files)
	}
}

// One flipped byte in a blob file on disk fails the read; the bytes
// before the damaged block are still the true content.
func TestFlippedByteOnDiskFailsTheRead(t *testing.T) {
	dir := t.TempDir()
	s, ctx := setup(t, dir)
	data := bytes.Repeat([]byte("0123456789"), 20_000) // 200 kB: 4 blocks
	put(t, s, ctx, "k", data, nil)
	var blob string
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			blob = p
		}
		return err
	})
	stored, err := os.ReadFile(blob)
	if err != nil || int64(len(stored)) != encryption.StoredSize(int64(len(data))) {
		t.Fatalf("blob %s has %d bytes, %v", blob, len(stored), err)
	}
	for _, at := range []int{3, 40, encryption.HeaderSize + 70_000, len(stored) - 1} {
		bad := bytes.Clone(stored)
		bad[at] ^= 0x80
		if err := os.WriteFile(blob, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := read(ctx, s, "k")
		if err == nil {
			t.Errorf("byte %d flipped on disk: read succeeded", at)
		}
		if !bytes.Equal(got, data[:len(got)]) {
			t.Errorf("byte %d flipped on disk: wrong bytes returned", at)
		}
	}
}

func TestMultipartRangesAcrossParts(t *testing.T) {
	s, ctx := setup(t, t.TempDir())
	p1 := patterned(5<<20, 1)
	p2 := patterned(70_000, 2)
	id, err := s.CreateMultipartUpload(ctx, "b", "m", gatehouse.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var parts []gatehouse.CompletePart
	for i, p := range [][]byte{p1, p2} {
		pi, err := s.UploadPart(ctx, "b", "m", id, 2*i+1, bytes.NewReader(p),
			gatehouse.PutOptions{Seal: sealOf(p)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, gatehouse.CompletePart{Number: pi.Number, ETag: pi.ETag})
	}
	info, err := s.CompleteMultipartUpload(ctx, "b", "m", id, parts, gatehouse.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	whole := append(bytes.Clone(p1), p2...)
	if info.Size != int64(len(whole)) {
		t.Fatalf("size %d, want %d", info.Size, len(whole))
	}
	o, err := s.OpenObject(ctx, "b", "m")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	n1 := int64(len(p1))
	for _, r := range [][2]int64{{0, info.Size}, {n1 - 1, 2}, {n1, 1}, {n1 - 70_000, 100_000},
		{n1 + 65_535, 2}, {info.Size - 1, 1}, {1 << 16, 1 << 16}} {
		rc, err := o.Range(r[0], r[1])
		if err != nil {
			t.Fatalf("Range%v: %v", r, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, whole[r[0]:r[0]+r[1]]) {
			t.Errorf("Range%v: %d bytes, %v", r, len(got), err)
		}
	}
	// Listing shows content sizes, not stored sizes.
	res, err := s.ListObjects(ctx, "b", gatehouse.ListOptions{})
	if err != nil || len(res.Objects) != 1 || res.Objects[0].Size != info.Size {
		t.Errorf("ListObjects = %+v, %v", res.Objects, err)
	}
}

// A 64 MiB PUT and GET through the wrapper allocate a small, fixed
// amount: nothing holds the object in memory.
func TestStreaming64MiBWithBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB through the disk")
	}
	s, ctx := setup(t, t.TempDir())
	const size = 64 << 20
	var before, after runtime.MemStats

	runtime.ReadMemStats(&before)
	body := io.LimitReader(zeroes{}, size)
	_, err := s.PutObject(ctx, "b", "big", body, gatehouse.PutOptions{
		Seal: func() (gatehouse.Sealed, error) { return gatehouse.Sealed{Size: size}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.OpenObject(ctx, "b", "big")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	r, err := o.Range(0, size)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	r.Close()
	runtime.ReadMemStats(&after)

	if err != nil || n != size {
		t.Fatalf("read %d bytes, %v", n, err)
	}
	const limit = 4 << 20 // measured: about 0.6 MB
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > limit {
		t.Errorf("PUT and GET of 64 MiB allocated %d bytes; want under %d", alloc, limit)
	}
}

type zeroes struct{}

func (zeroes) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func patterned(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

package local_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"runtime"
	"testing"
	"time"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/checksum"
)

// cutBody yields data and then fails with err, as a connection that
// drops in the middle of a PUT does.
type cutBody struct {
	data []byte
	err  error
}

func (c *cutBody) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, c.err
	}
	n := copy(p, c.data)
	c.data = c.data[n:]
	return n, nil
}

var errCut = errors.New("client went away")

// TestPutThroughChecksumReader writes a large body the way the S3 layer
// does, through checksum.Reader (which hashes on a second goroutine) and
// past several writeback steps, and reads it back.
func TestPutThroughChecksumReader(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("twenty-one bytes long"), 1<<20) // 21 MiB
	cr := checksum.NewReader(bytes.NewReader(data), checksum.Expect{})
	info, err := s.PutObject(ctx, "b", "big", cr, gatehouse.PutOptions{
		Seal: func() (gatehouse.Sealed, error) { return cr.Seal(nil) }})
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(data)
	if want := `"` + hex.EncodeToString(sum[:]) + `"`; info.ETag != want {
		t.Errorf("ETag = %s, want %s", info.ETag, want)
	}

	o, err := s.OpenObject(ctx, "b", "big")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	r, err := o.Range(0, o.Info().Size)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want the %d written", len(got), err, len(data))
	}
	wantBlobCount(t, dir, 1)
}

// TestPutBodyCutMidwayLeavesNothing checks that a body failing after
// several megabytes, read through checksum.Reader, fails the PUT with an
// error that wraps the body's, publishes nothing, leaves no file and no
// goroutine behind.
func TestPutBodyCutMidwayLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()

	for range 5 {
		body := &cutBody{data: bytes.Repeat([]byte{7}, 9<<20+12345), err: errCut}
		cr := checksum.NewReader(body, checksum.Expect{Algorithm: gatehouse.ChecksumCRC32})
		_, err := s.PutObject(ctx, "b", "k", cr, gatehouse.PutOptions{
			Seal: func() (gatehouse.Sealed, error) { return cr.Seal(nil) }})
		if !errors.Is(err, errCut) {
			t.Fatalf("PutObject with a body cut midway = %v, want it to wrap %v", err, errCut)
		}
	}
	if _, err := s.OpenObject(ctx, "b", "k"); !errors.Is(err, gatehouse.ErrNoSuchKey) {
		t.Errorf("OpenObject after failed PUTs = %v, want NoSuchKey", err)
	}
	wantBlobCount(t, dir, 0)

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines remain, %d before the PUTs", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
}

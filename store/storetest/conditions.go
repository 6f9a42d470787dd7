package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"gatehouse.dev/gatehouse"
)

var conditionTests = map[string]func(*testing.T, gatehouse.ObjectStore){
	"IfNoneMatchAnyCreatesOnlyOnce": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		create := gatehouse.PutOptions{IfNoneMatchAny: true}
		if _, err := putOpts(s, b, "k", []byte("first"), create); err != nil {
			t.Fatalf("conditional create of a new key: %v", err)
		}
		_, err := putOpts(s, b, "k", []byte("second"), create)
		wantErr(t, "conditional create of an existing key", err, gatehouse.ErrPreconditionFailed)
		sameBytes(t, "after refused create", readAll(t, s, b, "k"), []byte("first"))
	},
	"IfNoneMatchAnyRaceHasOneWinner": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		const n = 16
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			won    []string
			others []error
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := fmt.Sprintf("writer %d", i)
				_, err := putOpts(s, b, "race", []byte(body),
					gatehouse.PutOptions{IfNoneMatchAny: true})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won = append(won, body)
				case !errors.Is(err, gatehouse.ErrPreconditionFailed):
					others = append(others, err)
				}
			}()
		}
		wg.Wait()
		if len(others) > 0 {
			t.Fatalf("unexpected errors: %v", others)
		}
		if len(won) != 1 {
			t.Fatalf("%d conditional creates succeeded, want exactly 1", len(won))
		}
		sameBytes(t, "winner's bytes", readAll(t, s, b, "race"), []byte(won[0]))
	},
	"IfMatchComparesETag": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		v1 := put(t, s, b, "k", []byte("v1"))

		_, err := putOpts(s, b, "k", []byte("v2"), gatehouse.PutOptions{IfMatch: `"0123"`})
		wantErr(t, "If-Match with a wrong ETag", err, gatehouse.ErrPreconditionFailed)
		sameBytes(t, "after refused If-Match", readAll(t, s, b, "k"), []byte("v1"))

		_, err = putOpts(s, b, "k", []byte("v2"), gatehouse.PutOptions{IfMatch: v1.ETag})
		if err != nil {
			t.Fatalf("If-Match with the current quoted ETag: %v", err)
		}
		unquoted := trimQuotes(etagOf([]byte("v2")))
		_, err = putOpts(s, b, "k", []byte("v3"), gatehouse.PutOptions{IfMatch: unquoted})
		if err != nil {
			t.Fatalf("If-Match with the current unquoted ETag: %v", err)
		}
		sameBytes(t, "after If-Match writes", readAll(t, s, b, "k"), []byte("v3"))

		_, err = putOpts(s, b, "missing", []byte("x"), gatehouse.PutOptions{IfMatch: v1.ETag})
		wantErr(t, "If-Match on a missing key", err, gatehouse.ErrPreconditionFailed)
		mustNotExist(t, s, b, "missing")
	},
	"CompleteHonoursIfNoneMatchAny": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		put(t, s, b, "k", []byte("existing"))
		id, err := s.CreateMultipartUpload(ctx, b, "k", gatehouse.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p := uploadPart(t, s, b, "k", id, 1, []byte("part"))
		parts := []gatehouse.CompletePart{{Number: 1, ETag: p.ETag}}
		_, err = s.CompleteMultipartUpload(ctx, b, "k", id, parts,
			gatehouse.PutOptions{IfNoneMatchAny: true})
		wantErr(t, "conditional Complete over an existing key", err, gatehouse.ErrPreconditionFailed)
		sameBytes(t, "after refused Complete", readAll(t, s, b, "k"), []byte("existing"))

		// The upload survives a refused completion.
		if err := s.DeleteObject(ctx, b, "k"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CompleteMultipartUpload(ctx, b, "k", id, parts,
			gatehouse.PutOptions{IfNoneMatchAny: true}); err != nil {
			t.Fatalf("conditional Complete once the key is gone: %v", err)
		}
		sameBytes(t, "completed", readAll(t, s, b, "k"), []byte("part"))
	},
}

var errUpstream = gatehouse.ErrSignatureDoesNotMatch.With("chunk signature mismatch (test)")

var abortTests = map[string]func(*testing.T, gatehouse.ObjectStore){
	"TruncatedBodyPublishesNothing": truncatedBody,
	"SealErrorPublishesNothing": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		put(t, s, b, "old", []byte("old bytes"))
		for _, k := range []gatehouse.ObjectKey{"new", "old"} {
			_, err := s.PutObject(context.Background(), b, k, bytes.NewReader(randomBytes(6, 70_000)),
				gatehouse.PutOptions{Seal: func() (gatehouse.Sealed, error) {
					return gatehouse.Sealed{}, gatehouse.ErrBadDigest
				}})
			wantErr(t, "PutObject with a failing Seal", err, gatehouse.ErrBadDigest)
		}
		mustNotExist(t, s, b, "new")
		sameBytes(t, "key kept after failed overwrite", readAll(t, s, b, "old"), []byte("old bytes"))
	},
	"BodyErrorPublishesNothing": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		put(t, s, b, "old", []byte("old bytes"))
		sealed := false
		for _, k := range []gatehouse.ObjectKey{"new", "old"} {
			body := &failingReader{data: randomBytes(7, 300_000), err: errUpstream}
			_, err := s.PutObject(context.Background(), b, k, body, gatehouse.PutOptions{
				Seal: func() (gatehouse.Sealed, error) {
					sealed = true
					return gatehouse.Sealed{}, nil
				}})
			wantErr(t, "PutObject with a failing body", err, gatehouse.ErrSignatureDoesNotMatch)
		}
		if sealed {
			t.Error("Seal was called although the body failed")
		}
		mustNotExist(t, s, b, "new")
		sameBytes(t, "key kept after failed overwrite", readAll(t, s, b, "old"), []byte("old bytes"))
	},
	"CanceledContextPublishesNothing": func(t *testing.T, s gatehouse.ObjectStore) {
		b := newBucket(t, s)
		ctx, cancel := context.WithCancel(context.Background())
		body, seal := Hashing(&cancelingReader{data: randomBytes(8, 1<<20), cancel: cancel})
		_, err := s.PutObject(ctx, b, "k", body, gatehouse.PutOptions{Seal: seal})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("PutObject with a context canceled mid-body: %v, want context.Canceled", err)
		}
		mustNotExist(t, s, b, "k")
	},
	"PartSealOrBodyErrorStoresNoPart": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		id, err := s.CreateMultipartUpload(ctx, b, "k", gatehouse.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		first := uploadPart(t, s, b, "k", id, 1, []byte("good part"))
		_, err = s.UploadPart(ctx, b, "k", id, 1, bytes.NewReader([]byte("bad")),
			gatehouse.PutOptions{Seal: func() (gatehouse.Sealed, error) {
				return gatehouse.Sealed{}, gatehouse.ErrInvalidChecksum
			}})
		wantErr(t, "UploadPart with a failing Seal", err, gatehouse.ErrInvalidChecksum)
		body := &failingReader{data: []byte("partial"), err: errUpstream}
		_, err = s.UploadPart(ctx, b, "k", id, 2, body, gatehouse.PutOptions{
			Seal: func() (gatehouse.Sealed, error) { return gatehouse.Sealed{}, nil }})
		wantErr(t, "UploadPart with a failing body", err, gatehouse.ErrSignatureDoesNotMatch)

		lp, err := s.ListParts(ctx, b, "k", id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(lp.Parts) != 1 || lp.Parts[0].ETag != first.ETag {
			t.Fatalf("parts after failed uploads = %+v; want only the first good part", lp.Parts)
		}
	},
}

// cancelingReader cancels its context half-way through its data.
type cancelingReader struct {
	data   []byte
	cancel context.CancelFunc
	read   int
}

func (c *cancelingReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 4096)], c.data)
	c.data = c.data[n:]
	c.read += n
	if c.read >= 512<<10 {
		c.cancel()
	}
	return n, nil
}

// A body that ends with io.ErrUnexpectedEOF (net/http's report of a
// client that sent less than its Content-Length) was cut short: storing
// it would publish a partial object.
func truncatedBody(t *testing.T, s gatehouse.ObjectStore) {
	b := newBucket(t, s)
	body := &failingReader{data: randomBytes(9, 100_000), err: io.ErrUnexpectedEOF}
	_, err := s.PutObject(context.Background(), b, "k", body, gatehouse.PutOptions{
		Seal: func() (gatehouse.Sealed, error) { return gatehouse.Sealed{Size: 100_000}, nil }})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("PutObject with a truncated body: %v, want io.ErrUnexpectedEOF", err)
	}
	mustNotExist(t, s, b, "k")
}

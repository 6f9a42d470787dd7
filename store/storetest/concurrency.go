package storetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"gatehouse.dev/gatehouse"
)

// version returns the content of version v of a key: v's byte repeated,
// with a length that differs per version.
func version(v int) []byte {
	return bytes.Repeat([]byte{byte('A' + v%26)}, 1000+v*37)
}

var concurrencyTests = map[string]func(*testing.T, gatehouse.ObjectStore){
	"ReadersSeeWholeVersionsDuringOverwrites": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		put(t, s, b, "hot", version(0))
		const writers, readers, rounds = 4, 4, 15

		var wg sync.WaitGroup
		errs := make(chan error, writers*rounds+readers*rounds*2)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					v := 1 + w*rounds + r
					_, err := putOpts(s, b, "hot", version(v), gatehouse.PutOptions{})
					if err != nil {
						errs <- err
					}
					// And a key of its own, written once.
					k := gatehouse.ObjectKey(fmt.Sprintf("own/%d/%d", w, r))
					if _, err := putOpts(s, b, k, version(v), gatehouse.PutOptions{}); err != nil {
						errs <- err
					}
				}
			}()
		}
		for range readers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds * 2 {
					if err := checkWholeVersion(ctx, s, b, "hot"); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		for w := range writers {
			for r := range rounds {
				k := gatehouse.ObjectKey(fmt.Sprintf("own/%d/%d", w, r))
				sameBytes(t, string(k), readAll(t, s, b, k), version(1+w*rounds+r))
			}
		}
	},
	"ReadsNeverGoBackInTime": readsNeverGoBackInTime,
	"ParallelPartsOfOneUpload": func(t *testing.T, s gatehouse.ObjectStore) {
		ctx := context.Background()
		b := newBucket(t, s)
		id, err := s.CreateMultipartUpload(ctx, b, "k", gatehouse.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		const n = 12
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range 2 * n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Two uploads of different bytes race for each number.
				num := i%n + 1
				body, seal := Hashing(bytes.NewReader(version(num + 100*(i/n))))
				if _, err := s.UploadPart(ctx, b, "k", id, num, body,
					gatehouse.PutOptions{Seal: seal}); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		lp, err := s.ListParts(ctx, b, "k", id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(lp.Parts) != n {
			t.Fatalf("%d parts listed, want %d", len(lp.Parts), n)
		}
		// Each number holds one racer's whole part, whichever won.
		contents := map[string][]byte{}
		for i := range 2 * n {
			v := version(i%n + 1 + 100*(i/n))
			contents[etagOf(v)] = v
		}
		for i, p := range lp.Parts {
			if p.Number != i+1 || contents[p.ETag] == nil {
				t.Fatalf("part %+v is not one racer's upload of number %d", p, i+1)
			}
		}
		last := lp.Parts[n-1]
		parts := []gatehouse.CompletePart{{Number: last.Number, ETag: last.ETag}}
		_, err = s.CompleteMultipartUpload(ctx, b, "k", id, parts, gatehouse.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sameBytes(t, "completed", readAll(t, s, b, "k"), contents[last.ETag])
	},
}

// checkWholeVersion reads k and checks that it is exactly one version:
// one repeated byte, at that version's length, with its ETag.
func checkWholeVersion(ctx context.Context, s gatehouse.ObjectStore, b gatehouse.BucketName,
	k gatehouse.ObjectKey) error {
	_, err := readVersion(ctx, s, b, k)
	return err
}

// readsNeverGoBackInTime checks that reads of a key are linearizable with
// its overwrites, as a caller sees them: a read that starts after a PUT
// returned sees that version or a later one, and a read that starts after
// another read returned sees at least what that read saw. Each key has
// one writer putting versions 1, 2, 3... in turn, so "later" is the
// larger number; readers hop between the keys. A store that caches
// metadata fails this if it can serve a version a write has replaced.
func readsNeverGoBackInTime(t *testing.T, s gatehouse.ObjectStore) {
	ctx := context.Background()
	b := newBucket(t, s)
	const keys, readers, versions = 3, 4, 60
	var (
		written  [keys]atomic.Int64 // the last version whose PUT returned
		observed [keys]atomic.Int64 // the largest version any read returned
		done     atomic.Bool
	)
	key := func(i int) gatehouse.ObjectKey { return gatehouse.ObjectKey(fmt.Sprintf("hot/%d", i)) }
	for i := range keys {
		put(t, s, b, key(i), version(0))
	}

	var writers, readersWG sync.WaitGroup
	errs := make(chan error, keys+readers)
	for i := range keys {
		writers.Go(func() {
			for v := 1; v <= versions; v++ {
				if _, err := putOpts(s, b, key(i), version(v), gatehouse.PutOptions{}); err != nil {
					errs <- err
					return
				}
				written[i].Store(int64(v))
			}
		})
	}
	for r := range readers {
		readersWG.Go(func() {
			for n := r; !done.Load(); n++ {
				i := n % keys
				floor := max(written[i].Load(), observed[i].Load())
				v, err := readVersion(ctx, s, b, key(i))
				if err != nil {
					errs <- err
					return
				}
				if int64(v) < floor {
					errs <- fmt.Errorf("%s: read version %d after version %d was written or "+
						"read", key(i), v, floor)
					return
				}
				for cur := observed[i].Load(); int64(v) > cur; cur = observed[i].Load() {
					if observed[i].CompareAndSwap(cur, int64(v)) {
						break
					}
				}
			}
		})
	}
	writers.Wait()
	done.Store(true)
	readersWG.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range keys {
		if v, err := readVersion(ctx, s, b, key(i)); err != nil || v != versions {
			t.Errorf("%s after the writers: version %d, %v; want %d", key(i), v, err, versions)
		}
	}
}

// readVersion reads k, checks that it is one whole version (see version)
// with that version's ETag, and returns its number.
func readVersion(ctx context.Context, s gatehouse.ObjectStore, b gatehouse.BucketName,
	k gatehouse.ObjectKey) (int, error) {
	o, err := s.OpenObject(ctx, b, k)
	if err != nil {
		return 0, err
	}
	defer o.Close()
	r, err := o.Range(0, o.Info().Size)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	if len(got) == 0 {
		return 0, fmt.Errorf("%s: read an empty version", k)
	}
	v := (len(got) - 1000) / 37
	want := version(v)
	if !bytes.Equal(got, want) || o.Info().ETag != etagOf(want) {
		return 0, fmt.Errorf("%s: read %d bytes starting %q that are no whole version",
			k, len(got), got[:1])
	}
	return v, nil
}

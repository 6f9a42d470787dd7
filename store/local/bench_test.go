package local_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/checksum"
	"gatehouse.dev/gatehouse/store/local"
	"gatehouse.dev/gatehouse/store/storetest"
)

// benchStore opens a store in a fresh directory for a benchmark.
func benchStore(b *testing.B) *local.Store {
	b.Helper()
	s, err := local.Open(context.Background(), b.TempDir(), local.Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.CreateBucket(context.Background(), "bench"); err != nil {
		b.Fatal(err)
	}
	return s
}

func benchPut(b *testing.B, s *local.Store, k string, data []byte) {
	body, seal := storetest.Hashing(bytes.NewReader(data))
	_, err := s.PutObject(context.Background(), "bench", gatehouse.ObjectKey(k), body,
		gatehouse.PutOptions{Seal: seal})
	if err != nil {
		b.Fatal(err)
	}
}

// listing10k is a store holding 10,000 keys in 1,000 "directories" of
// ten, built once (through PutObject, so it takes a while) and shared by
// the listing benchmarks.
var listing10k struct {
	once sync.Once
	dir  string
	err  error
}

func openListing10k(b *testing.B) *local.Store {
	listing10k.once.Do(func() {
		dir, err := os.MkdirTemp("", "gatehouse-bench-list-")
		if err != nil {
			listing10k.err = err
			return
		}
		listing10k.dir = dir
		s, err := local.Open(context.Background(), dir, local.Options{})
		if err != nil {
			listing10k.err = err
			return
		}
		defer s.Close()
		listing10k.err = fillKeys(s)
	})
	if listing10k.err != nil {
		b.Fatal(listing10k.err)
	}
	s, err := local.Open(context.Background(), listing10k.dir, local.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func fillKeys(s *local.Store) error {
	if err := s.CreateBucket(context.Background(), "bench"); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 10_000; i += 16 {
				k := gatehouse.ObjectKey(fmt.Sprintf("dir%04d/file%d", i/10, i%10))
				body, seal := storetest.Hashing(bytes.NewReader([]byte(k)))
				_, err := s.PutObject(context.Background(), "bench", k, body,
					gatehouse.PutOptions{Seal: seal})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// BenchmarkListObjects lists one page of 1,000 entries from a bucket of
// 10,000 keys: 1,000 keys without a delimiter, or 1,000 common prefixes
// (one seek each) with delimiter "/".
func BenchmarkListObjects(b *testing.B) {
	s := openListing10k(b)
	for _, c := range []struct {
		name string
		opts gatehouse.ListOptions
	}{
		{"keys", gatehouse.ListOptions{Max: 1000}},
		{"keys-after", gatehouse.ListOptions{Max: 1000, After: "dir0500/file0"}},
		{"delimiter", gatehouse.ListOptions{Max: 1000, Delimiter: "/"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				res, err := s.ListObjects(context.Background(), "bench", c.opts)
				if err != nil {
					b.Fatal(err)
				}
				if n := len(res.Objects) + len(res.CommonPrefixes); n != 1000 {
					b.Fatalf("listed %d entries", n)
				}
			}
		})
	}
}

// BenchmarkPutObject4KiB measures a durable 4 KiB PUT: temp file, fsync,
// rename, directory fsync and a synchronous metadata commit.
func BenchmarkPutObject4KiB(b *testing.B) {
	data := bytes.Repeat([]byte("x"), 4<<10)
	b.Run("serial", func(b *testing.B) {
		s := benchStore(b)
		b.SetBytes(int64(len(data)))
		i := 0
		for b.Loop() {
			benchPut(b, s, fmt.Sprintf("k%d", i%100), data)
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		s := benchStore(b)
		b.SetBytes(int64(len(data)))
		var n sync.Mutex
		i := 0
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n.Lock()
				k := fmt.Sprintf("k%d", i%100)
				i++
				n.Unlock()
				benchPut(b, s, k, data)
			}
		})
	})
}

// BenchmarkRangeRead4KiB measures opening a 4 KiB object and reading it
// whole: one metadata read, one open and one read.
func BenchmarkRangeRead4KiB(b *testing.B) {
	s := benchStore(b)
	data := bytes.Repeat([]byte("y"), 4<<10)
	for i := range 100 {
		benchPut(b, s, fmt.Sprintf("k%d", i), data)
	}
	read := func(k string, buf []byte) {
		o, err := s.OpenObject(context.Background(), "bench", gatehouse.ObjectKey(k))
		if err != nil {
			b.Fatal(err)
		}
		r, err := o.Range(0, o.Info().Size)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			b.Fatal(err)
		}
		r.Close()
		o.Close()
	}
	b.Run("serial", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		buf := make([]byte, len(data))
		i := 0
		for b.Loop() {
			read(fmt.Sprintf("k%d", i%100), buf)
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.RunParallel(func(pb *testing.PB) {
			buf := make([]byte, len(data))
			i := 0
			for pb.Next() {
				read(fmt.Sprintf("k%d", i%100), buf)
				i++
			}
		})
	})
}

// BenchmarkObject64MiB measures streaming a large object in (durably) and
// out again, for comparison with the file-system baseline.
func BenchmarkObject64MiB(b *testing.B) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 4<<20)
	b.Run("put", func(b *testing.B) {
		s := benchStore(b)
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			benchPut(b, s, "big", data)
		}
	})
	// As the S3 layer writes: hashed by checksum.Reader, which overlaps
	// the MD5 with the copy to disk.
	b.Run("put-checksum-reader", func(b *testing.B) {
		s := benchStore(b)
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			cr := checksum.NewReader(bytes.NewReader(data), checksum.Expect{})
			seal := func() (gatehouse.Sealed, error) { return cr.Seal(nil) }
			_, err := s.PutObject(context.Background(), "bench", "big", cr,
				gatehouse.PutOptions{Seal: seal})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get", func(b *testing.B) {
		s := benchStore(b)
		benchPut(b, s, "big", data)
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			o, err := s.OpenObject(context.Background(), "bench", "big")
			if err != nil {
				b.Fatal(err)
			}
			r, err := o.Range(0, o.Info().Size)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
			r.Close()
			o.Close()
		}
	})
}

// TestMain removes the shared listing store, which outlives any one
// benchmark.
func TestMain(m *testing.M) {
	code := m.Run()
	if listing10k.dir != "" {
		os.RemoveAll(listing10k.dir)
	}
	os.Exit(code)
}

package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/signer"

	"gatehouse.dev/gatehouse"
)

// Fixed inputs for the fuzzed decoder's signature chain.
var (
	fuzzTime   = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	fuzzSecret = "fuzz-secret"
)

// fuzzStream returns an aws-chunked body made by minio-go's signer and
// the seed signature from its Authorization header.
func fuzzStream(tb testing.TB, body []byte, signed bool) ([]byte, []byte) {
	req, _ := http.NewRequest("PUT", "http://127.0.0.1/b/k", io.NopCloser(bytes.NewReader(body)))
	req.ContentLength = int64(len(body))
	trailer := http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}}
	if signed {
		req.Trailer = trailer
		req = signer.StreamingSignV4(req, "AKID", fuzzSecret, "", "us-east-1",
			int64(len(body)), fuzzTime, sha256Hash{sha256.New()})
	} else {
		req.Header.Set("X-Amz-Content-Sha256", streamingUnsignedTrailer)
		req = signer.SignV4Trailer(*req, "AKID", fuzzSecret, "", "us-east-1", trailer)
	}
	wire, err := io.ReadAll(req.Body)
	if err != nil {
		tb.Fatal(err)
	}
	a := req.Header.Get("Authorization")
	seed, _ := hex.DecodeString(a[strings.LastIndex(a, "=")+1:])
	return wire, seed
}

// newFuzzReader decodes wire as a body with a signed or unsigned trailer.
func newFuzzReader(wire, seed []byte, signed bool) *chunkedReader {
	c := &chunkedReader{
		src:        newLineReader(bytes.NewReader(wire)),
		body:       io.NopCloser(nil),
		decodedLen: -1,
		auth:       &Auth{},
		trailer:    true,
		declared:   []string{"x-amz-checksum-crc32"},
	}
	if signed {
		date := fuzzTime.Format(scopeDateFormat)
		c.signer = &chunkSigner{
			key:     deriveKey(fuzzSecret, date, "us-east-1", serviceS3),
			amzDate: fuzzTime.Format(amzDateFormat),
			scope:   date + "/us-east-1/s3/aws4_request",
			seed:    seed,
		}
		c.prevSig, c.hash = seed, newSHA256()
	}
	return c
}

// FuzzChunkedDecoder feeds arbitrary bytes to the aws-chunked decoder. It
// must never panic or hang, never yield more bytes than it was given,
// fail only with S3 errors that stay failed, and decode the valid seeds
// to their original bodies.
func FuzzChunkedDecoder(f *testing.F) {
	seeds := map[string]bool{}
	// Seeds stay small: the fuzzer minimises every new input it finds, and
	// minimising a 64 KiB chunk takes most of a short run.
	for _, n := range []int{0, 1, 100} {
		body := bytes.Repeat([]byte("gatehouse"), n/9+1)[:n]
		for _, signed := range []bool{false, true} {
			wire, seed := fuzzStream(f, body, signed)
			f.Add(wire, seed, signed)
			seeds[seedKey(wire, seed, signed)] = true
		}
	}
	f.Add([]byte("5\r\nhello\r\n3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"),
		[]byte{}, false)
	f.Add([]byte("ffffffffffffff\r\n"), []byte{}, false)

	f.Fuzz(func(t *testing.T, wire, seed []byte, signed bool) {
		if signed && len(seed) != 32 {
			seed = make([]byte, 32)
		}
		c := newFuzzReader(wire, seed, signed)
		out, err := io.ReadAll(c)
		if len(out) > len(wire) {
			t.Fatalf("decoded %d bytes from %d", len(out), len(wire))
		}
		if err != nil {
			var e *gatehouse.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an S3 error", err)
			}
			if _, again := c.Read(make([]byte, 10)); again != err {
				t.Fatalf("error not sticky: %v then %v", err, again)
			}
			if seeds[seedKey(wire, seed, signed)] {
				t.Fatalf("valid seed stream failed: %v", err)
			}
			return
		}
		if c.auth.Trailer.Get("X-Amz-Checksum-Crc32") == "" {
			t.Fatalf("decoded without the declared trailer")
		}
	})
}

func seedKey(wire, seed []byte, signed bool) string {
	if !signed {
		seed = nil
	}
	return fmt.Sprint(signed, hex.EncodeToString(seed), string(wire))
}

// TestFuzzSeedsRoundTrip checks the fuzz seeds decode to their bodies.
func TestFuzzSeedsRoundTrip(t *testing.T) {
	for _, signed := range []bool{false, true} {
		body := bytes.Repeat([]byte("0123456789"), 20000)
		wire, seed := fuzzStream(t, body, signed)
		out, err := io.ReadAll(newFuzzReader(wire, seed, signed))
		if err != nil || !bytes.Equal(out, body) {
			t.Fatalf("signed=%v: %d bytes, %v", signed, len(out), err)
		}
	}
}

package bench

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestContentIsDeterministicAndSized(t *testing.T) {
	c := content{seed: seedFor("a/key"), size: 3*patternLen + 17}
	a, err := io.ReadAll(c.reader())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(io.LimitReader(c.reader(), c.size+10))
	if int64(len(a)) != c.size || !bytes.Equal(a, b) {
		t.Fatalf("two reads of the same content differ or have the wrong size (%d)", len(a))
	}
	other, _ := io.ReadAll(content{seed: seedFor("b/key"), size: c.size}.reader())
	if bytes.Equal(a[:4096], other[:4096]) {
		t.Error("different keys got the same bytes")
	}
}

func TestVerifyAcceptsExactBytes(t *testing.T) {
	c := content{seed: 7, size: 300_000}
	if err := c.verify(c.reader(), newScratch(4096)); err != nil {
		t.Fatalf("verify of the content's own bytes: %v", err)
	}
}

func TestVerifyCatchesWrongBodies(t *testing.T) {
	c := content{seed: 7, size: 300_000}
	good, _ := io.ReadAll(c.reader())
	flipped := bytes.Clone(good)
	flipped[123_456] ^= 1
	tests := map[string][]byte{
		"one flipped byte": flipped,
		"short body":       good[:len(good)-1],
		"long body":        append(bytes.Clone(good), 0),
		"empty body":       nil,
	}
	for name, body := range tests {
		err := c.verify(bytes.NewReader(body), newScratch(8192))
		if !errors.Is(err, errContentMismatch) {
			t.Errorf("%s: verify = %v, want errContentMismatch", name, err)
		}
	}
}

package cli

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLogBufferDeliversLinesWithinTheFlushInterval(t *testing.T) {
	var out syncBuffer
	b := newLogBuffer(&out)
	defer b.Close()

	b.Write([]byte("line one\n"))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "line one") {
		if time.Now().After(deadline) {
			t.Fatal("a buffered line never reached the writer")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLogBufferCloseFlushesEverything(t *testing.T) {
	var out syncBuffer
	b := newLogBuffer(&out)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 500; j++ {
				b.Write([]byte("0123456789abcdef\n"))
			}
		}()
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	got := out.String()
	if n := strings.Count(got, "0123456789abcdef\n"); n != 4000 {
		t.Fatalf("got %d whole lines after Close, want 4000", n)
	}
	if len(got) != 4000*17 {
		t.Fatalf("got %d bytes, want %d: lines were torn", len(got), 4000*17)
	}
}

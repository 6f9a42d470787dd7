package cli

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logBuffer batches log lines into few writes. Writing each access-log line
// with its own write(2) cost about a third of the log's 10 µs per request
// (docs/PERFORMANCE.md); batching keeps the access log on for small-object
// rates. A line waits at most flushEvery before it reaches the underlying
// writer, and Close flushes whatever is left, so a clean stop loses
// nothing. A kill -9 may lose the last flushEvery of lines.
//
// logBuffer is safe for concurrent use. slog handlers hand it whole
// records, so lines never interleave.
type logBuffer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	done chan struct{}
	wg   sync.WaitGroup
}

// flushEvery bounds how long a log line may sit in the buffer.
const flushEvery = 100 * time.Millisecond

// newLogBuffer returns a logBuffer over w and starts its flusher; the
// caller must Close it.
func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: bufio.NewWriterSize(w, 64<<10), done: make(chan struct{})}
	b.wg.Add(1)
	go b.flushLoop()
	return b
}

// Write implements io.Writer.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes the buffered lines out now.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the flusher and flushes what is left.
func (b *logBuffer) Close() error {
	close(b.done)
	b.wg.Wait()
	return b.Flush()
}

func (b *logBuffer) flushLoop() {
	defer b.wg.Done()
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-t.C:
			// A failed flush has nowhere better to report itself than
			// the log it failed to write; the next flush retries.
			_ = b.Flush()
		}
	}
}

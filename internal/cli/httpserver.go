package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"gatehouse.dev/gatehouse"
)

// Bounds on what a client may hold of the server.
const (
	// readHeaderTimeout bounds the time to send the request line and
	// headers: a slowloris client that trickles headers is cut off.
	readHeaderTimeout = 15 * time.Second

	// idleTimeout closes keep-alive connections with no request for this
	// long. It is longer than the 90 s after which the Go SDK and
	// botocore close idle connections, so that usually the client closes
	// first and never sends on a connection the server is closing.
	idleTimeout = 120 * time.Second

	// maxRequestHead bounds the request line and the header section,
	// up to and including the blank line that ends it; a longer head is
	// refused by net/http with 431 Request Header Fields Too Large. S3
	// limits the request header of a PUT to 8 KB ("Working with object
	// metadata",
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html),
	// which the S3 handler enforces on writes; the request line comes on
	// top and can itself be long: a 1,024-byte key percent-encodes to up
	// to 3 KiB, and a presigned URL adds about 1 KiB of query. 16 KiB
	// admits all of that.
	maxRequestHead = 16 << 10

	// maxHeaderBytes is http.Server.MaxHeaderBytes for maxRequestHead:
	// net/http lets a head run 4096 bytes past MaxHeaderBytes (slack for
	// its read buffer), so the setting is that much lower.
	maxHeaderBytes = maxRequestHead - 4096

	// ioIdleTimeout ends a request whose body read or response write
	// makes no progress for this long. It replaces http.Server's
	// ReadTimeout and WriteTimeout, which bound the whole request and so
	// would cut off a 5 GiB upload or download on a slow but working
	// link.
	ioIdleTimeout = 60 * time.Second
)

// newHTTPServer returns the server for the S3 API. Request contexts do
// not derive from the context that stops serve: stopping must let
// in-flight requests finish, not cancel them.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// inflight counts the requests a handler is serving, so that a stopping
// server can wait for them after it closed their connections.
type inflight struct{ n atomic.Int64 }

// wait waits up to d for every request to return. It reports whether
// they all did. It polls: it runs once, at shutdown, and unlike a
// WaitGroup's Wait it cannot race with a request that starts late.
func (f *inflight) wait(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for f.n.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// guard wraps h so that every request counts in f and a slow client
// cannot hold it forever: each body read and each response write must
// make progress within idle, or the connection's deadline ends it.
func guard(h http.Handler, f *inflight, idle time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.n.Add(1)
		defer f.n.Add(-1)

		// Errors from the deadline setters only mean that the connection
		// has no deadlines; there is nothing to do about that.
		rc := http.NewResponseController(w)
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &idleBody{ReadCloser: r.Body, rc: rc, idle: idle}
		}
		gw := &idleWriter{ResponseWriter: w, rc: rc, idle: idle}

		// After h returns, the server reads up to 256 KiB of any body h
		// left unread, to reuse the connection, and then flushes what is
		// buffered. Give each a window of its own, the write's after the
		// read's, so that a client that stalls mid-body can hold the
		// connection for neither more than a window.
		defer func() {
			now := time.Now()
			_ = rc.SetReadDeadline(now.Add(idle))
			_ = rc.SetWriteDeadline(now.Add(2 * idle))
		}()
		h.ServeHTTP(gw, r)
	})
}

// idleBody extends the connection's read deadline before each read of
// the body. A read that makes no progress within the window fails with
// an error that is both os.ErrDeadlineExceeded and
// gatehouse.ErrRequestTimeout, which the S3 layer answers as 400
// RequestTimeout, as S3 does for a socket not read from in time.
type idleBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	n, err := b.ReadCloser.Read(p)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		// Leave the expired deadline in place: the rest of the body will
		// not come, and any later read of it must fail at once.
		return n, fmt.Errorf("no request body bytes for %v: %w: %w", b.idle, err,
			gatehouse.ErrRequestTimeout)
	case err != nil:
		// Once the body has ended, the server reads the connection in
		// the background to notice a client that goes away, and a
		// deadline passing during that read would cancel the request.
		// Clear it, after every read that hits the end.
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// idleWriter extends the connection's write deadline before each write.
// It keeps the io.ReaderFrom path of the server's writer, so that a file
// is still sent with sendfile(2), one window at a time.
type idleWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

// readFromWindow is how much ReadFrom sends per deadline extension. At
// the 64 KiB/s that a 1 MiB window allows within a minute the client
// would be far too slow for any download to be useful.
const readFromWindow = 1 << 20

func (w *idleWriter) Write(p []byte) (int, error) {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.idle))
	return w.ResponseWriter.Write(p)
}

// ReadFrom copies src to the response one window at a time, extending
// the deadline for each.
func (w *idleWriter) ReadFrom(src io.Reader) (int64, error) {
	rf, ok := w.ResponseWriter.(io.ReaderFrom)
	if !ok {
		return io.Copy(writerOnly{w}, src)
	}

	// A LimitedReader directly over an *os.File still qualifies for
	// sendfile; one over another LimitedReader does not. So a range the
	// handler already limited is windowed by lowering its own limit.
	outer, ok := src.(*io.LimitedReader)
	if !ok {
		outer = &io.LimitedReader{R: src, N: 1<<63 - 1}
	}
	var total int64
	for outer.N > 0 {
		_ = w.rc.SetWriteDeadline(time.Now().Add(w.idle))
		window := min(outer.N, readFromWindow)
		n, err := rf.ReadFrom(&io.LimitedReader{R: outer.R, N: window})
		total += n
		outer.N -= n
		if err != nil || n < window {
			return total, err
		}
	}
	return total, nil
}

// Flush sends buffered data, for handlers that stream a response.
func (w *idleWriter) Flush() {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.idle))
	_ = w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *idleWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writerOnly hides ReadFrom so that io.Copy does not call it again.
type writerOnly struct{ io.Writer }

// drain stops srv: it stops accepting, waits up to timeout for in-flight
// requests, and then closes the connections of those still running and
// waits a little for their handlers to return. It returns an error when
// requests had to be cut off.
func drain(srv *http.Server, f *inflight, timeout time.Duration, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if err == nil {
		return nil
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shut down: %w", err)
	}

	// Closing a connection fails its handler's next read or write, and
	// the store publishes nothing that was not completely received.
	log.Warn("in-flight requests outlived the shutdown timeout; closing their connections",
		"timeout", timeout)
	_ = srv.Close()
	if !f.wait(5 * time.Second) {
		log.Warn("some handlers have not returned after their connections closed")
	}
	return fmt.Errorf("drain in-flight requests within %v: %w", timeout, err)
}

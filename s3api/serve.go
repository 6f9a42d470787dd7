package s3api

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"syscall"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/sigv4"
)

// healthPath answers liveness probes. No bucket can be named "-", so the
// path cannot shadow an object in path-style addressing.
const healthPath = "/-/health"

// s3req is one request as the operations see it: the HTTP request, where
// it points, who sent it, and the access record being filled in.
type s3req struct {
	r      *http.Request
	ctx    context.Context
	id     string
	bucket gatehouse.BucketName
	key    gatehouse.ObjectKey
	query  url.Values
	// auth is set once the request has been authenticated.
	auth *sigv4.Auth
	rec  *AccessRecord
	// body counts what was read of the request body as received.
	body *countingReader
}

// ServeHTTP is the one wrapper every request goes through: it stamps the
// request ID, runs the operation, renders a returned error as S3 XML,
// recovers panics, and writes the access record once.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	rw := &responseWriter{ResponseWriter: w}
	in := &countingReader{r: r.Body}
	r.Body = in
	q := &s3req{r: r, ctx: r.Context(), id: newRequestID(), query: r.URL.Query(), body: in}
	q.rec = &AccessRecord{
		RequestID:  q.id,
		Method:     r.Method,
		RemoteAddr: r.RemoteAddr,
	}
	w.Header().Set("X-Amz-Request-Id", q.id)
	w.Header().Set("X-Amz-Id-2", newHostID())
	w.Header().Set("Server", "Gatehouse")

	if err := h.serveSafely(rw, q); err != nil {
		h.writeError(rw, q, err)
	}

	q.rec.Status = rw.status()
	q.rec.BytesIn = in.n
	q.rec.BytesOut = rw.n
	q.rec.Duration = h.now().Sub(start)
	q.rec.log(q.ctx, h.log)
}

// serveSafely runs the request, turning a panic into an InternalError
// whose stack goes to the log only.
func (h *handler) serveSafely(w *responseWriter, q *s3req) (err error) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		h.log.Error("panic serving request", "request_id", q.id,
			"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		err = fmt.Errorf("panic: %v: %w", p, gatehouse.ErrInternal)
	}()
	return h.serve(w, q)
}

// serve locates, authenticates and authorizes the request, then runs the
// operation it names.
func (h *handler) serve(w *responseWriter, q *s3req) error {
	r := q.r
	bucket, key, vhost := h.locate(r)
	if !vhost && r.URL.Path == healthPath {
		return health(w, q)
	}
	q.bucket, q.key = bucket, key
	q.rec.Bucket, q.rec.Key = string(bucket), string(key)
	op := h.route(q)
	q.rec.Operation = op.name

	auth, err := h.verifier.Verify(r)
	if err != nil {
		return fmt.Errorf("authenticate: %w", err)
	}
	if auth == nil || auth.Anonymous || auth.Credential == nil {
		return gatehouse.ErrAccessDenied.With("Anonymous access is not allowed")
	}
	q.auth = auth
	q.rec.AccessKeyID = string(auth.Credential.AccessKeyID)

	if err := checkNames(bucket, key); err != nil {
		return err
	}
	if op.action != gatehouse.ActionNone {
		if err := q.allow(op.action, bucket, op.scope(q)); err != nil {
			return err
		}
	}
	return op.run(w, q)
}

// allow asks the credential's policy whether it may do action on bucket
// and key (for listings, the prefix).
func (q *s3req) allow(a gatehouse.Action, b gatehouse.BucketName, k gatehouse.ObjectKey) error {
	req := gatehouse.AccessRequest{Action: a, Bucket: b, Key: k, Size: q.writeSize(a)}
	if ap, err := netip.ParseAddrPort(q.r.RemoteAddr); err == nil {
		req.Source = ap.Addr().Unmap()
	}
	if err := q.auth.Credential.Policy.Allow(q.ctx, req); err != nil {
		return fmt.Errorf("authorize %s on %s/%s: %w", a, b, k, err)
	}
	return nil
}

// writeSize is AccessRequest.Size for action a of this request: the body
// length of a PutObject or UploadPart (decoded, for aws-chunked), 0 for a
// CreateMultipartUpload, and -1 where the size is not known up front (a
// copy, a completion, a body of unknown length), which a size-limiting
// policy refuses.
func (q *s3req) writeSize(a gatehouse.Action) int64 {
	if a != gatehouse.ActionWrite {
		return 0
	}
	switch q.rec.Operation {
	case "PutObject", "UploadPart":
		return q.r.ContentLength
	case "CreateMultipartUpload", "CreateBucket":
		return 0
	}
	return -1
}

// writeError renders err as an S3 XML error. The client sees the code,
// status and message of the *gatehouse.Error in err's chain; anything else
// in err (wrapping context, causes) goes to the log only, and only for
// internal errors.
//
// The error is written even when the client seems to have gone: one that
// only half-closed its side still reads the answer, and a write to a dead
// connection is harmless. Returning without writing would instead let the
// server send its implicit 200 OK. A client that went away changes only
// the access record (Canceled) and keeps the error out of the error log.
func (h *handler) writeError(w *responseWriter, q *s3req, err error) {
	e := classify(err)
	q.rec.ErrorCode = e.Code
	q.rec.Canceled = clientGone(q.ctx, err)
	if e.Kind == gatehouse.KindInternal && !q.rec.Canceled {
		h.log.Error("internal error", "request_id", q.id, "op", q.rec.Operation,
			"err", err.Error())
	}
	if w.wroteHeader {
		// The status is on the wire already; the short body tells the
		// client the response failed.
		if !q.rec.Canceled {
			h.log.Warn("error after response started", "request_id", q.id,
				"code", e.Code, "err", err.Error())
		}
		return
	}

	hdr := w.Header()
	if q.r.ContentLength != 0 && !q.body.eof {
		// RFC 9110 section 10.1.1: a server answering before reading
		// the content says whether it will close the connection, so a
		// client waiting on Expect: 100-continue does not send it.
		hdr.Set("Connection", "close")
	}
	for _, k := range []string{"Content-Length", "Content-Encoding", "Content-Disposition",
		"Content-Language", "Cache-Control", "Expires", "Accept-Ranges"} {
		hdr.Del(k)
	}
	// RFC 9110 section 15.4.5: a 304 has no content; HEAD never does.
	if e.Status == http.StatusNotModified || q.r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	body := errorBody(e, q, err)
	hdr.Set("Content-Type", "application/xml")
	hdr.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(e.Status)
	w.Write(body)
}

// classify finds the S3 error for err. Errors that carry none are
// internal, except a body that ended early, which is the client's fault.
func classify(err error) *gatehouse.Error {
	var e *gatehouse.Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return gatehouse.ErrIncompleteBody
	}
	return gatehouse.ErrInternal
}

// clientGone reports whether err looks like the client going away: its
// request context was cancelled, the connection broke, or the request
// body was cut short, which over HTTP/1.1 means the connection closed (or
// half-closed: the client may still read). A body that stopped arriving
// (RequestTimeout) is not the client going away, although net/http
// cancels the request context on that read error too: the client may
// still be there, stalled, and the timeout is worth recording as such.
func clientGone(ctx context.Context, err error) bool {
	if errors.Is(err, gatehouse.ErrRequestTimeout) {
		return false
	}
	return errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, errBodyCut)
}

// errorResponse is the body of an S3 error, as in the Amazon S3 API
// Reference, "Error responses".
// Region is set only for a request signed for another region: SDKs read
// it to sign again for the right one.
type errorResponse struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string
	Message   string
	Region    string `xml:",omitempty"`
	Resource  string
	RequestID string `xml:"RequestId"`
}

func errorBody(e *gatehouse.Error, q *s3req, err error) []byte {
	res := errorResponse{
		Code:      e.Code,
		Message:   e.Message,
		Resource:  q.r.URL.Path,
		RequestID: q.id,
	}
	var re *sigv4.RegionError
	if errors.As(err, &re) {
		res.Region = re.Region
	}
	body, merr := xml.Marshal(res)
	if merr != nil {
		// Only strings are marshalled; this cannot fail.
		panic(fmt.Sprintf("s3api: marshal error body: %v", merr))
	}
	return append([]byte(xml.Header), body...)
}

// health answers liveness probes, without authentication. The path is
// no S3 resource, so other methods are refused as on any resource that
// does not support them, with the Allow header RFC 9110 section 15.5.6
// requires of a 405.
func health(w *responseWriter, q *s3req) error {
	q.rec.Operation = "Health"
	if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return gatehouse.ErrMethodNotAllowed
	}
	return writeText(w, q.r, "ok")
}

func writeText(w http.ResponseWriter, r *http.Request, s string) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(len(s)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.WriteString(w, s)
	}
	return nil
}

// newRequestID returns a request ID in the form AWS uses: 16 upper-case
// hex digits. It names a request in logs; it is not a secret.
func newRequestID() string {
	return fmt.Sprintf("%016X", rand.Uint64())
}

// newHostID returns a value for x-amz-id-2, which clients log alongside
// the request ID.
func newHostID() string {
	var b [24]byte
	for i := 0; i < len(b); i += 8 {
		v := rand.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return base64.StdEncoding.EncodeToString(b[:])
}

// responseWriter records the status and the number of body bytes written.
type responseWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
	n           int64
}

func (w *responseWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// ReadFrom passes file-backed bodies to the server's own ReadFrom, which
// uses sendfile(2) where it can, and counts what was sent.
func (w *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	rf, ok := w.ResponseWriter.(io.ReaderFrom)
	if !ok {
		return io.Copy(writerOnly{w}, r)
	}
	n, err := rf.ReadFrom(r)
	w.n += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) status() int {
	if !w.wroteHeader {
		return http.StatusOK
	}
	return w.code
}

// countingReader counts the bytes read through it and notes the end.
type countingReader struct {
	r   io.ReadCloser
	n   int64
	eof bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err == io.EOF {
		c.eof = true
	}
	return n, err
}

func (c *countingReader) Close() error { return c.r.Close() }

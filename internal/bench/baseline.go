package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// BaselineConfig configures the baseline server.
type BaselineConfig struct {
	// Dir holds one directory per bucket and one file per object.
	Dir string
	// Addr is the listen address; it must be a loopback address.
	Addr string
	// NoFsync skips the fsync before a PUT's rename. By default the
	// baseline syncs, so that it promises the same durability as Gatehouse.
	NoFsync bool
}

// ServeBaseline runs the baseline server until ctx is done, then shuts it
// down, giving in-flight requests five seconds. It calls ready, if not
// nil, with the address it listens on.
func ServeBaseline(ctx context.Context, cfg BaselineConfig, ready func(addr string)) error {
	if err := requireLoopback(cfg.Addr); err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("baseline data: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("baseline listen: %w", err)
	}
	srv := &http.Server{
		Handler:           NewBaselineHandler(cfg.Dir, !cfg.NoFsync),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
	}
	if ready != nil {
		ready(ln.Addr().String())
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("baseline serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// NewBaselineHandler returns the baseline: the least a plain net/http
// server does to keep bytes in files, as a yardstick for Gatehouse.
//
// It ignores authentication. PUT /b makes a bucket directory; PUT /b/k
// writes the body to a temp file, fsyncs it when fsync is set, and renames
// it into place; GET /b/k copies the file to the response with io.Copy;
// DELETE removes. GET /-/health answers 200. Object keys are stored as
// single escaped file names, so no key can reach outside dir.
func NewBaselineHandler(dir string, fsync bool) http.Handler {
	return &baseline{dir: dir, fsync: fsync}
}

// baseline is the handler NewBaselineHandler returns.
type baseline struct {
	dir   string
	fsync bool
}

// ServeHTTP implements http.Handler.
func (b *baseline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/-/health" {
		_, _ = io.WriteString(w, "ok\n")
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !safeName(bucket) || (key != "" && !safeName(url.PathEscape(key))) {
		http.Error(w, "bad bucket or key", http.StatusBadRequest)
		return
	}
	bdir := filepath.Join(b.dir, bucket)
	var err error
	switch {
	case key == "" && r.Method == http.MethodPut:
		err = os.Mkdir(bdir, 0o700)
		if errors.Is(err, fs.ErrExist) {
			err = nil
		}
	case key == "" && r.Method == http.MethodDelete:
		err = os.Remove(bdir)
	case key != "" && r.Method == http.MethodPut:
		err = b.put(bdir, url.PathEscape(key), r)
	case key != "" && r.Method == http.MethodGet:
		err = b.get(w, filepath.Join(bdir, url.PathEscape(key)))
	case key != "" && r.Method == http.MethodDelete:
		err = os.Remove(filepath.Join(bdir, url.PathEscape(key)))
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	writeBaselineResult(w, r, err)
}

// safeName reports whether s can be used as one file name under dir.
func safeName(s string) bool {
	return s != "" && s != "." && s != ".." && len(s) <= 255 &&
		!strings.ContainsAny(s, "/\\\x00")
}

// errShortBody reports a PUT body shorter than its Content-Length.
var errShortBody = errors.New("body shorter than Content-Length")

// writeBaselineResult answers a request whose work is done. GET has
// already written its response when err is nil.
func writeBaselineResult(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case err == nil && r.Method == http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	case err == nil:
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusOK)
		}
	case errors.Is(err, fs.ErrNotExist):
		http.Error(w, "not found", http.StatusNotFound)
	case errors.Is(err, errShortBody):
		http.Error(w, err.Error(), http.StatusBadRequest)
	default:
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// put stores the request body as bdir/name: temp file, optional fsync,
// rename. A failed PUT leaves no temp file behind.
func (b *baseline) put(bdir, name string, r *http.Request) (err error) {
	f, err := os.CreateTemp(bdir, ".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()

	n, err := io.Copy(f, r.Body)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if r.ContentLength >= 0 && n != r.ContentLength {
		return fmt.Errorf("%w: got %d of %d", errShortBody, n, r.ContentLength)
	}
	if b.fsync {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(bdir, name))
}

// get copies the file at path to w.
func (b *baseline) get(w http.ResponseWriter, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, f) // the client sees a short body if this fails
	return nil
}

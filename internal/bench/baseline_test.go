package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newTestBaseline serves a baseline on loopback and returns a client of it
// and its data directory.
func newTestBaseline(t *testing.T) (*client, string) {
	t.Helper()
	dir := t.TempDir()
	srv := httptest.NewServer(NewBaselineHandler(dir, true))
	t.Cleanup(srv.Close)
	c, err := newClient(srv.URL, newBenchCredentials(), "us-east-1", 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	return c, dir
}

func TestBaselineRoundTrip(t *testing.T) {
	ctx := context.Background()
	c, dir := newTestBaseline(t)
	if err := c.createBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := c.createBucket(ctx, "b"); err != nil {
		t.Fatalf("second create of the same bucket: %v", err)
	}
	obj := content{seed: seedFor("dir/obj"), size: 200_000}
	if err := c.put(ctx, "b", "dir/obj", obj); err != nil {
		t.Fatal(err)
	}
	if err := c.get(ctx, "b", "dir/obj", obj, newScratch(4096)); err != nil {
		t.Fatal(err)
	}

	// A key is one file: the slash is escaped, not a directory.
	fi, err := os.Stat(filepath.Join(dir, "b", "dir%2Fobj"))
	if err != nil || fi.Size() != obj.size {
		t.Fatalf("stored file: %v, %v", fi, err)
	}
	if err := c.remove(ctx, "b", "dir/obj"); err != nil {
		t.Fatal(err)
	}
	err = c.get(ctx, "b", "dir/obj", obj, newScratch(4096))
	var se *statusError
	if !errors.As(err, &se) || se.status != http.StatusNotFound {
		t.Fatalf("GET after DELETE = %v, want 404", err)
	}
	if err := c.deleteBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
}

func TestBaselineRefusesNamesOutsideItsDirectory(t *testing.T) {
	ctx := context.Background()
	c, _ := newTestBaseline(t)
	if err := c.createBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	for _, path := range [][2]string{{"..", "x"}, {"b", ".."}, {".", "x"}, {"b", "."}} {
		err := c.put(ctx, path[0], path[1], content{size: 10})
		var se *statusError
		if !errors.As(err, &se) || se.status != http.StatusBadRequest {
			t.Errorf("PUT /%s/%s = %v, want 400", path[0], path[1], err)
		}
	}
}

func TestBaselineShortBodyLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "b"), 0o700); err != nil {
		t.Fatal(err)
	}
	h := NewBaselineHandler(dir, false)
	req := httptest.NewRequest(http.MethodPut, "/b/k", strings.NewReader("abc"))
	req.ContentLength = 10
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("short body: status %d, want 400", rec.Code)
	}
	left, _ := os.ReadDir(filepath.Join(dir, "b"))
	if len(left) != 0 {
		t.Errorf("short body left %d files behind", len(left))
	}
}

func TestRequireLoopback(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:9000", "http://localhost:9000",
		"http://[::1]:9000", "http://127.0.0.2"} {
		if err := requireLoopbackURL(ok); err != nil {
			t.Errorf("requireLoopbackURL(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1:9000", "http://example.com",
		"http://0.0.0.0:9000", "not a url"} {
		if err := requireLoopbackURL(bad); err == nil {
			t.Errorf("requireLoopbackURL(%q) accepted a non-loopback endpoint", bad)
		}
	}
}

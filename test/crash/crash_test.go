package crash

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

const bucket = "crash"

// TestStartSweepsOrphans plants a stray temp file and an unreferenced blob
// file, checks that the audit the other tests rely on notices both, and
// that a restart removes them and leaves the stored object alone.
func TestStartSweepsOrphans(t *testing.T) {
	srv := newServer(t)
	ctx := testContext(t, time.Minute)
	cl := srv.client()
	cl.createBucket(ctx, bucket)
	v := content{"sweep: object", 300_001}
	cl.put(ctx, bucket, "obj", v)
	cl.audit(ctx, srv.data)

	root := storeRoot(t, srv.data)
	strayTmp := filepath.Join(root, "tmp", "0123456789abcdef0123456789abcdef")
	strayBlob := filepath.Join(root, "blobs", "ff", "ee", "ffee456789abcdef0123456789abcdef")
	if err := os.MkdirAll(filepath.Dir(strayBlob), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{strayTmp, strayBlob} {
		if err := os.WriteFile(p, []byte("left by a crash"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got := cl.auditProblems(ctx, srv.data); len(got) != 2 {
		t.Fatalf("audit with a stray temp and blob file found %d problems, want 2: %q",
			len(got), got)
	}

	srv.restart()
	cl = srv.client()
	for _, p := range []string{strayTmp, strayBlob} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s survived a restart (stat: %v)", p, err)
		}
	}
	cl.audit(ctx, srv.data)
	cl.expectObject(ctx, bucket, "obj", object{v})
}

// sender sends one request whose body is the given reader. It returns
// nil if the server answered, or the error that ended the request.
type sender func(body io.Reader) error

// rawSender sends a PUT through client.rawPut (UNSIGNED-PAYLOAD).
func rawSender(ctx context.Context, cl *client, key, query string, size int64) sender {
	return func(body io.Reader) error {
		r := cl.rawPut(ctx, bucket, key, query, body, size)
		return r.err
	}
}

// minioSender sends a PutObject through minio-go, whose body goes as
// aws-chunked with a signature per chunk.
func minioSender(ctx context.Context, cl *client, key string, size int64) sender {
	return func(body io.Reader) error {
		_, err := cl.minio.PutObject(ctx, bucket, key, body, size, minio.PutObjectOptions{})
		if err != nil && minio.ToErrorResponse(err).Code != "" {
			return nil // the server answered with an S3 error
		}
		return err
	}
}

// killMidBody sends c with the body stalled after stallAt bytes, waits
// until the store is writing it, kills the server and returns once the
// request has failed.
func killMidBody(ctx context.Context, t *testing.T, srv *server, send sender,
	c content, stallAt int64) {
	t.Helper()
	body := newStallingBody(c, stallAt)
	defer body.unstall() // also on Fatal, so the sender's goroutine ends
	done := make(chan error, 1)
	go func() { done <- send(body) }()

	select {
	case <-body.reached:
	case err := <-done:
		t.Fatalf("%s: the request ended before %d bytes were sent: %v", c.label, stallAt, err)
	case <-ctx.Done():
		t.Fatalf("%s: %v before %d bytes were sent", c.label, ctx.Err(), stallAt)
	}
	waitWriting(t, srv.data)
	srv.kill()
	body.unstall()
	if err := <-done; err == nil {
		t.Fatalf("%s: the server answered although the body was cut short", c.label)
	}
}

// TestKillDuringPut kills the server while a large PUT streams in, at
// several depths into the body, and after a restart expects the key to
// hold the old object whole (or, for a new key, not to exist), with no
// temp or blob file left behind.
func TestKillDuringPut(t *testing.T) {
	srv := newServer(t)
	ctx := testContext(t, 5*time.Minute)
	cl := srv.client()
	cl.createBucket(ctx, bucket)
	old := content{"put: old", 1<<20 + 123}
	cl.put(ctx, bucket, "obj", old)

	for i, at := range []int64{1 << 20, 48 << 20, 150 << 20} {
		v2 := content{fmt.Sprintf("put: new %d", i), 200 << 20}
		began := time.Now()
		killMidBody(ctx, t, srv, rawSender(ctx, cl, "obj", "", v2.size), v2, at)
		t.Logf("killed %d MiB into a 200 MiB overwrite, %v after it began",
			at>>20, time.Since(began).Round(time.Millisecond))
		srv.start()
		cl = srv.client()
		cl.expectObject(ctx, bucket, "obj", object{old})
		cl.audit(ctx, srv.data)
	}

	fresh := content{"put: fresh", 64 << 20}
	killMidBody(ctx, t, srv, rawSender(ctx, cl, "fresh", "", fresh.size), fresh, 9<<20)
	srv.start()
	cl = srv.client()
	cl.expectNoKey(ctx, bucket, "fresh")
	cl.audit(ctx, srv.data)

	// An aws-chunked body, each chunk signed, cut short in the same way.
	chunked := content{"put: chunked", 12 << 20}
	killMidBody(ctx, t, srv, minioSender(ctx, cl, "obj", chunked.size), chunked, 6<<20)
	srv.start()
	cl = srv.client()
	cl.expectObject(ctx, bucket, "obj", object{old})
	cl.audit(ctx, srv.data)

	// The server still works on the same data: the overwrite goes through.
	v3 := content{"put: after the crashes", 3 << 20}
	cl.put(ctx, bucket, "obj", v3)
	cl.expectObject(ctx, bucket, "obj", object{v3})
	cl.audit(ctx, srv.data)
}

// TestKillAfterPutBody sends a whole body and kills the server a moment
// later, while it may be syncing, publishing or answering. The key must
// then hold the old object or the new one, never anything else; a PUT the
// server acknowledged must have survived.
func TestKillAfterPutBody(t *testing.T) {
	srv := newServer(t)
	ctx := testContext(t, 3*time.Minute)
	cl := srv.client()
	cl.createBucket(ctx, bucket)
	cur := object{content{"after body: first", 700<<10 + 1}}
	cl.put(ctx, bucket, "obj", cur[0])

	delays := []time.Duration{0, time.Millisecond, 5 * time.Millisecond,
		20 * time.Millisecond, 80 * time.Millisecond}
	for i, d := range delays {
		next := object{content{fmt.Sprintf("after body: %d", i), 24 << 20}}
		body := newStallingBody(next[0], -1)
		done := make(chan putResult, 1)
		go func() { done <- cl.rawPut(ctx, bucket, "obj", "", body, next[0].size) }()
		<-body.reached
		time.Sleep(d)
		srv.kill()
		r := <-done
		if r.err == nil && r.status != 200 {
			t.Fatalf("PUT failed before the kill: %v", r)
		}
		acked := r.status == 200
		srv.start()
		cl = srv.client()

		got, ok := cl.sumOf(ctx, bucket, "obj")
		switch {
		case !ok:
			t.Errorf("kill %v after the body: the key is gone", d)
		case got == next.sum():
			t.Logf("kill %v after the body: new object (acknowledged: %v)", d, acked)
			cur = next
		case got == cur.sum():
			t.Logf("kill %v after the body: old object (acknowledged: %v)", d, acked)
			if acked {
				t.Errorf("kill %v after the body: an acknowledged PUT was lost", d)
			}
		default:
			t.Errorf("kill %v after the body: the key holds neither %v nor %v", d, cur, next)
		}
		cl.audit(ctx, srv.data)
	}
}

// parts returns contents for a multipart object: 5 MiB parts and a short
// last one.
func parts(label string, full int, last int64) []content {
	var ps []content
	for i := range full {
		ps = append(ps, content{fmt.Sprintf("%s part %d", label, i+1), 5 << 20})
	}
	return append(ps, content{fmt.Sprintf("%s part %d", label, full+1), last})
}

// TestKillDuringMultipart kills the server between parts, in the middle of
// a new part and in the middle of a part replacing an acknowledged one:
// acknowledged parts must survive each restart unchanged, half-sent parts
// must vanish without an orphan, the old object must stay whole, and the
// upload must then complete normally.
func TestKillDuringMultipart(t *testing.T) {
	srv := newServer(t)
	ctx := testContext(t, 3*time.Minute)
	cl := srv.client()
	cl.createBucket(ctx, bucket)
	old := content{"multipart: old", 777_777}
	cl.put(ctx, bucket, "mp", old)
	ps := parts("multipart: new", 3, 1<<20+5)

	// Kill between parts: parts 1 and 2 are acknowledged.
	upload := cl.createUpload(ctx, bucket, "mp")
	etags := cl.uploadParts(ctx, bucket, "mp", upload, 1, ps[:2])
	srv.restart()
	cl = srv.client()
	cl.expectObject(ctx, bucket, "mp", object{old})
	cl.expectParts(ctx, bucket, "mp", upload, ps[:2], etags)
	cl.audit(ctx, srv.data)

	// Kill 2 MiB into part 3.
	q := url.Values{"partNumber": {"3"}, "uploadId": {upload}}.Encode()
	killMidBody(ctx, t, srv, rawSender(ctx, cl, "mp", q, ps[2].size), ps[2], 2<<20)
	srv.start()
	cl = srv.client()
	cl.expectObject(ctx, bucket, "mp", object{old})
	cl.expectParts(ctx, bucket, "mp", upload, ps[:2], etags)
	cl.audit(ctx, srv.data)

	// Kill 3 MiB into a replacement of part 1: the acknowledged part 1
	// stays.
	replacement := content{"multipart: replacement part 1", 5 << 20}
	q = url.Values{"partNumber": {"1"}, "uploadId": {upload}}.Encode()
	killMidBody(ctx, t, srv, rawSender(ctx, cl, "mp", q, replacement.size), replacement, 3<<20)
	srv.start()
	cl = srv.client()
	cl.expectParts(ctx, bucket, "mp", upload, ps[:2], etags)
	cl.audit(ctx, srv.data)

	// Finish the upload on the restarted server.
	etags = append(etags, cl.uploadParts(ctx, bucket, "mp", upload, 3, ps[2:])...)
	if err := cl.complete(ctx, bucket, "mp", upload, etags); err != nil {
		t.Fatalf("complete after restarts: %v", err)
	}
	cl.expectObject(ctx, bucket, "mp", object(ps))
	if _, ok := cl.listedParts(ctx, bucket, "mp", upload); ok {
		t.Errorf("upload %s still listed after it completed", upload)
	}
	cl.audit(ctx, srv.data)
}

// TestKillDuringComplete sends CompleteMultipartUpload and kills the server
// after a range of delays. After each restart the key holds the old object
// whole (and the upload is intact, so completing it again works) or the
// new object whole (and the upload is gone); never a mix, never partial.
func TestKillDuringComplete(t *testing.T) {
	srv := newServer(t)
	ctx := testContext(t, 4*time.Minute)
	cl := srv.client()
	cl.createBucket(ctx, bucket)

	type kase struct {
		key   string
		delay time.Duration
	}
	var cases []kase
	for _, d := range []time.Duration{0, time.Millisecond, 4 * time.Millisecond,
		15 * time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond} {
		cases = append(cases, kase{"overwrite", d})
	}
	cases = append(cases, kase{"fresh-a", 0}, kase{"fresh-b", 3 * time.Millisecond})

	current := map[string]object{}
	cur := object{content{"complete: first", 1<<20 + 7}}
	cl.put(ctx, bucket, "overwrite", cur[0])
	current["overwrite"] = cur

	for i, k := range cases {
		next := object(parts(fmt.Sprintf("complete: %d", i), 2, 1<<20+1))
		upload := cl.createUpload(ctx, bucket, k.key)
		etags := cl.uploadParts(ctx, bucket, k.key, upload, 1, next)

		done := make(chan error, 1)
		go func() { done <- cl.complete(context.Background(), bucket, k.key, upload, etags) }()
		time.Sleep(k.delay)
		srv.kill()
		acked := <-done == nil
		srv.start()
		cl = srv.client()

		what := fmt.Sprintf("%s: kill %v into Complete", k.key, k.delay)
		got, ok := cl.sumOf(ctx, bucket, k.key)
		prev, hadPrev := current[k.key]
		switch {
		case ok && got == next.sum():
			t.Logf("%s: new object (acknowledged: %v)", what, acked)
			if _, listed := cl.listedParts(ctx, bucket, k.key, upload); listed {
				t.Errorf("%s: the new object is published but its upload is still listed", what)
			}
			current[k.key] = next
		case (ok && hadPrev && got == prev.sum()) || (!ok && !hadPrev):
			t.Logf("%s: old state (acknowledged: %v)", what, acked)
			if acked {
				t.Errorf("%s: an acknowledged Complete was lost", what)
			}
			// The upload must be intact, and completing it again works.
			cl.expectParts(ctx, bucket, k.key, upload, next, etags)
			cl.audit(ctx, srv.data)
			if err := cl.complete(ctx, bucket, k.key, upload, etags); err != nil {
				t.Errorf("%s: completing again after the restart: %v", what, err)
				continue
			}
			cl.expectObject(ctx, bucket, k.key, next)
			current[k.key] = next
		case !ok:
			t.Errorf("%s: the key is gone; it held %v", what, prev)
		default:
			t.Errorf("%s: the key holds neither its old object nor %v", what, next)
		}
		cl.audit(ctx, srv.data)
	}
}

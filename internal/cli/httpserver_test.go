package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// testIdle is the guard's idle window in these tests: short, so that the
// tests are quick, and far above loopback latency.
const testIdle = 300 * time.Millisecond

// guardedServer serves h behind guard on loopback with the settings of
// newHTTPServer.
func guardedServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(guard(h, new(inflight), testIdle))
	srv.Config = newHTTPServer(srv.Config.Handler, slog.New(slog.DiscardHandler))
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// dial opens a raw connection to srv, for clients that misbehave.
func dial(t *testing.T, srv *httptest.Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// handlerErr waits for the error a handler reports on errc.
func handlerErr(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(20 * testIdle):
		t.Fatal("the handler is still blocked long after the idle window")
		return nil
	}
}

func TestGuardEndsAnUploadThatStalls(t *testing.T) {
	errc := make(chan error, 1)
	srv := guardedServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		errc <- err
	})
	c := dial(t, srv)
	fmt.Fprintf(c, "PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly ten b")

	err := handlerErr(t, errc)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("body read ended with %v, want a deadline error", err)
	}
}

func TestGuardLetsASlowButSteadyUploadFinish(t *testing.T) {
	srv := guardedServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, n)
	})

	// Ten chunks, each well within the idle window, but together well
	// beyond it.
	pr, pw := io.Pipe()
	go func() {
		for range 10 {
			time.Sleep(testIdle / 4)
			pw.Write(bytes.Repeat([]byte("x"), 100))
		}
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/k", pr)
	req.ContentLength = 1000
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "1000" {
		t.Errorf("got %s %q, want 200 \"1000\"", resp.Status, body)
	}
}

func TestGuardKeepsTheRequestAliveWhileTheHandlerWorksAfterTheBody(t *testing.T) {
	ctxErr := make(chan error, 1)
	srv := guardedServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		// Readers such as io.ReadFull may read again after the end.
		if n, err := r.Body.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Errorf("read after the end: %d, %v", n, err)
		}
		time.Sleep(3 * testIdle) // say, fsync and publish a large object
		ctxErr <- r.Context().Err()
		fmt.Fprint(w, "stored")
	})
	resp, err := srv.Client().Post(srv.URL+"/k", "text/plain", strings.NewReader("data"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := <-ctxErr; err != nil {
		t.Errorf("request context ended while the handler worked: %v", err)
	}
	if string(body) != "stored" {
		t.Errorf("response %q, want stored", body)
	}
}

func TestGuardEndsADownloadTheClientStopsReading(t *testing.T) {
	big := make([]byte, 64<<20) // far more than the socket buffers hold
	file := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(file, big, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, copyOut := range map[string]func(io.Writer) error{
		"Write": func(w io.Writer) error {
			_, err := w.Write(big)
			return err
		},
		"ReadFrom a file": func(w io.Writer) error {
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(w, f)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			errc := make(chan error, 1)
			srv := guardedServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", fmt.Sprint(len(big)))
				errc <- copyOut(w)
			})
			c := dial(t, srv)
			fmt.Fprintf(c, "GET /k HTTP/1.1\r\nHost: x\r\n\r\n")
			// ...and never read.

			if err := handlerErr(t, errc); err == nil {
				t.Error("the handler wrote 64 MiB to a client that reads nothing")
			}
		})
	}
}

func TestGuardSendsFilesAndRangesWhole(t *testing.T) {
	content := make([]byte, 3*readFromWindow+12345)
	rand.Read(content)
	file := filepath.Join(t.TempDir(), "obj")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := guardedServer(t, func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(file)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		var src io.Reader = f
		if r.URL.Path == "/range" {
			f.Seek(100, io.SeekStart)
			src = io.LimitReader(f, 2*readFromWindow+1)
		}
		io.Copy(w, src)
	})
	for path, want := range map[string][]byte{
		"/whole": content,
		"/range": content[100 : 100+2*readFromWindow+1],
	} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("GET %s: %d bytes (%v), want the %d bytes of the file", path, len(got),
				err, len(want))
		}
	}
}

func TestGuardAnswersExpectContinueOnAConnectionIdleLongerThanTheWindow(t *testing.T) {
	srv := guardedServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, n)
	})
	c := dial(t, srv)
	br := bufio.NewReader(c)
	put := func(expect string) *http.Response {
		t.Helper()
		fmt.Fprintf(c, "PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n%s\r\n", expect)
		if expect != "" {
			resp, err := http.ReadResponse(br, nil)
			if err != nil || resp.StatusCode != http.StatusContinue {
				t.Fatalf("want 100 Continue, got %v, %v", resp, err)
			}
		}
		fmt.Fprint(c, "hello")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		return resp
	}

	put("")
	// The first request left deadlines behind; the next one, after a
	// pause longer than the window, must not trip over them.
	time.Sleep(2 * testIdle)
	if resp := put("Expect: 100-continue\r\n"); resp.StatusCode != http.StatusOK {
		t.Errorf("second request: %s, want 200", resp.Status)
	}
}

// headOfSize is a GET whose request line and header section, up to and
// including the blank line that ends it, is exactly n bytes.
func headOfSize(t *testing.T, n int) string {
	t.Helper()
	const frame = "GET /k HTTP/1.1\r\nHost: x\r\nX-Pad: \r\n\r\n"
	head := strings.Replace(frame, "X-Pad: ", "X-Pad: "+strings.Repeat("p", n-len(frame)), 1)
	if len(head) != n {
		t.Fatalf("head of %d bytes, want %d", len(head), n)
	}
	return head
}

func TestRequestHeadIsBoundedAt16KiB(t *testing.T) {
	srv := guardedServer(t, func(w http.ResponseWriter, r *http.Request) {})
	for n, want := range map[int]int{
		maxRequestHead:     http.StatusOK,
		maxRequestHead + 1: http.StatusRequestHeaderFieldsTooLarge,
	} {
		c := dial(t, srv)
		io.WriteString(c, headOfSize(t, n))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("head of %d bytes: %v", n, err)
		}
		if resp.StatusCode != want {
			t.Errorf("head of %d bytes: %s, want %d", n, resp.Status, want)
		}
	}
	if maxRequestHead != 16<<10 {
		t.Errorf("maxRequestHead = %d, want the 16 KiB the documentation states",
			maxRequestHead)
	}
}

func TestInflightWaitReportsStragglers(t *testing.T) {
	var f inflight
	if !f.wait(time.Second) {
		t.Fatal("wait with nothing in flight reported stragglers")
	}
	f.n.Add(1)
	if f.wait(50 * time.Millisecond) {
		t.Fatal("wait with a request in flight reported none")
	}
	go func() { time.Sleep(50 * time.Millisecond); f.n.Add(-1) }()
	if !f.wait(5 * time.Second) {
		t.Fatal("wait did not see the last request return")
	}
}

// BenchmarkGET64MiB compares a 64 MiB file download on loopback through
// the guard with the same download from a bare server, to show what the
// per-window deadlines cost on the sendfile path.
func BenchmarkGET64MiB(b *testing.B) {
	file := filepath.Join(b.TempDir(), "obj")
	if err := os.WriteFile(file, make([]byte, 64<<20), 0o600); err != nil {
		b.Fatal(err)
	}
	serveFile := func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(file)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		w.Header().Set("Content-Length", fmt.Sprint(64<<20))
		io.Copy(w, &io.LimitedReader{R: f, N: 64 << 20})
	}
	for name, h := range map[string]http.Handler{
		"bare":    http.HandlerFunc(serveFile),
		"guarded": guard(http.HandlerFunc(serveFile), new(inflight), ioIdleTimeout),
	} {
		b.Run(name, func(b *testing.B) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			b.SetBytes(64 << 20)
			for b.Loop() {
				resp, err := srv.Client().Get(srv.URL)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

func TestServeAnswersAStalledUploadWithRequestTimeout(t *testing.T) {
	isolateAWSEnv(t)
	ctx := context.Background()
	r := startServeWith(t, testKeys, func(e *Env) { e.ioIdle = testIdle },
		"--data", t.TempDir())
	id, secret := testKeys["GATEHOUSE_ADMIN_ACCESS_KEY"], testKeys["GATEHOUSE_ADMIN_SECRET_KEY"]
	_, err := s3Client(r.endpoint, id, secret).CreateBucket(ctx,
		&s3.CreateBucketInput{Bucket: aws.String("bkt")})
	if err != nil {
		t.Fatal(err)
	}

	// Announce 1000 bytes, send 10, and then nothing.
	req, _ := http.NewRequest(http.MethodPut, r.endpoint+"/bkt/idle", nil)
	req.ContentLength = 1000
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1",
		time.Now()); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", req.URL.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "PUT /bkt/idle HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n", req.Host)
	req.Header.Write(c)
	fmt.Fprint(c, "\r\nonly ten b")

	// The guard's window passes; the server must answer and hang up.
	c.SetReadDeadline(time.Now().Add(20 * testIdle))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response to a stalled upload: %v\nlog:\n%s", err, r.log)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(body), "<Code>RequestTimeout</Code>") {
		t.Errorf("stalled upload = %s %q, want 400 RequestTimeout", resp.Status, body)
	}
	if !resp.Close {
		t.Error("the response to a stalled upload does not close the connection")
	}
	if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after the response, read %d bytes, %v; want the connection closed", n, err)
	}

	// Logged as a timeout: not an internal error, not a client gone.
	line := regexp.MustCompile(`.*op=PutObject .*`).FindString(r.log.String())
	if !strings.Contains(line, "status=400 error=RequestTimeout") ||
		strings.Contains(line, "canceled") {
		t.Errorf("stalled upload logged as %q, want status=400 error=RequestTimeout", line)
	}
}

func TestGuardClosesAConnectionWhoseUnreadBodyStalls(t *testing.T) {
	// A handler that refuses the request without reading its body, as
	// one does for a bad signature.
	srv := guardedServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "refused", http.StatusForbidden)
	})
	c := dial(t, srv)
	fmt.Fprintf(c, "PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly ten b")

	// The server answers, then reads on for the rest of the body so as to
	// reuse the connection; it must give up once the window has passed.
	c.SetReadDeadline(time.Now().Add(20 * testIdle))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after the response, read %d bytes, %v; want the connection closed", n, err)
	}
}

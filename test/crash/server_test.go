package crash

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The admin credential every server in this package starts with.
const (
	accessKey = "GHCRASHTESTKEY000001"
	secretKey = "crash-test-secret-0123456789abcdefghijklmnop"
	region    = "us-east-1"
)

// binary is the gatehouse executable built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips itself
	}
	dir, err := os.MkdirTemp("", "gatehouse-crash-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash: ", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "gatehouse")
	build := exec.Command("go", "build", "-o", binary, "gatehouse.dev/gatehouse/cmd/gatehouse")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "crash: build gatehouse:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is one gatehouse serve process over a data directory that
// outlives it: kill and start again to simulate a crash and a restart.
type server struct {
	t       *testing.T
	data    string
	logPath string
	cmd     *exec.Cmd
	waited  <-chan error // receives cmd.Wait's result
	addr    string       // host:port of the S3 listener
	starts  int
}

// newServer prepares a data directory and starts the first process.
func newServer(t *testing.T) *server {
	t.Helper()
	if testing.Short() {
		t.Skip("crash test builds and kills the real binary; skipped with -short")
	}
	dir := t.TempDir()
	s := &server{t: t, data: filepath.Join(dir, "data"), logPath: filepath.Join(dir, "server.log")}
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			s.dumpLog()
		}
	})
	s.start()
	return s
}

// start runs gatehouse serve on a free loopback port and waits until it
// answers /-/health.
func (s *server) start() {
	s.t.Helper()
	s.starts++
	s.addr = freeAddr(s.t)
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "---- start %d on %s\n", s.starts, s.addr)

	cmd := exec.Command(binary, "serve", "--data", s.data, "--s3-addr", s.addr,
		"--log-level", "info")
	cmd.Env = append(os.Environ(),
		"GATEHOUSE_ADMIN_ACCESS_KEY="+accessKey,
		"GATEHOUSE_ADMIN_SECRET_KEY="+secretKey)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start gatehouse: %v", err)
	}
	s.cmd = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	if err := waitHealthy(s.addr, exited, 30*time.Second); err != nil {
		s.cmd = nil
		cmd.Process.Kill()
		s.t.Fatalf("start %d of gatehouse serve: %v", s.starts, err)
	}
	s.waited = exited
}

// waitHealthy polls GET /-/health until it answers 200, the process exits
// or the time runs out.
func waitHealthy(addr string, exited <-chan error, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	hc := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited during start-up: %v", err)
		default:
		}
		resp, err := hc.Get("http://" + addr + "/-/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no 200 from /-/health within %v", limit)
}

// kill sends SIGKILL and reaps the process. It is a no-op when no process
// runs.
func (s *server) kill() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.waited
	s.cmd = nil
}

// restart is a crash and a restart: SIGKILL, then start on the same data.
func (s *server) restart() {
	s.t.Helper()
	s.kill()
	s.start()
}

// dumpLog copies the tail of the server's log into the test log.
func (s *server) dumpLog() {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		s.t.Logf("server log: %v", err)
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	s.t.Logf("server log (last %d lines):\n%s", len(lines), strings.Join(lines, "\n"))
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// testContext bounds a whole test, so that a hung server fails the test
// instead of stalling the run.
func testContext(t *testing.T, limit time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	return ctx
}

var errStalled = errors.New("crash test: body stalled for a kill")

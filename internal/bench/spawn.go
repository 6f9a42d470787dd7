package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// requireLoopback checks that addr (host:port) names a loopback host: the
// bench sends gigabytes and must never do so over a real network.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q is not loopback: the bench runs on loopback only", addr)
	}
	return nil
}

// requireLoopbackURL is requireLoopback for an endpoint URL.
func requireLoopbackURL(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("invalid endpoint %q: want http://host:port", endpoint)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	return requireLoopback(host)
}

// freeLoopbackAddr returns a 127.0.0.1 address whose port was free a
// moment ago. Another process could take it before the child binds it;
// the child then fails to start and the bench says so.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// child is a server process the bench started.
type child struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // the exit status, set before done closes
}

// startChild starts exe with args and env, writing its output to logPath.
// The child is killed if the bench dies without stopping it (Linux).
func startChild(name, exe string, args, env []string, logPath string) (*child, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer logf.Close() // the child holds its own descriptor

	cmd := exec.Command(exe, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childSysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// pid returns the child's process ID.
func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the child to drain and exit with SIGTERM, and kills it if it
// has not exited within ten seconds.
func (c *child) stop() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// logTail returns the last lines the child wrote, for error messages.
func (c *child) logTail() string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

// waitHealthy polls healthURL until it answers 200, the child exits, or
// timeout passes.
func (c *child) waitHealthy(ctx context.Context, healthURL string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hc := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, healthURL, nil)
		if err != nil {
			return fmt.Errorf("%s health: %w", c.name, err)
		}
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-c.done:
			return fmt.Errorf("%s exited before it was healthy (%v); its log:\n%s",
				c.name, c.err, c.logTail())
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy at %s within %v; its log:\n%s",
				c.name, healthURL, timeout, c.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// alive reports an error if the child has exited.
func (c *child) alive() error {
	select {
	case <-c.done:
		return fmt.Errorf("%s exited (%v); its log:\n%s", c.name, c.err, c.logTail())
	default:
		return nil
	}
}

// childEnv returns the bench's environment with the given variables set,
// replacing any inherited value of the same name.
func childEnv(set map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// newBenchCredentials returns a random credential in the shape AWS uses:
// a 20-character access key ID and a 40-character secret.
func newBenchCredentials() Credentials {
	return Credentials{
		AccessKeyID: "GHBENCH" + randomText(13, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
		SecretKey: randomText(40,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
	}
}

// randomText returns n characters drawn uniformly from alphabet, whose
// length must divide 256 or be under it.
func randomText(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[randByteBelow(len(alphabet))]
	}
	return string(b)
}

// randByteBelow returns a uniform random number in [0, n) for 0 < n <= 256,
// rejecting bytes that would bias the result.
func randByteBelow(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// errNoPID reports RSS sampling asked of a target with no known process.
var errNoPID = errors.New("no server process to sample")

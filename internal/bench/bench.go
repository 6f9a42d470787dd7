// Package bench measures an S3 server against a baseline: a plain net/http
// server that keeps the same bytes in files, with no authentication, no
// metadata and no checksums. The ratio of the two says what Gatehouse's
// protocol, authentication and bookkeeping cost on the same machine.
//
// One Run starts the baseline, and Gatehouse unless an endpoint is given,
// as child processes on loopback, and drives both with the same
// SigV4-signed requests: large-object PUT and GET throughput, small-object
// PUT and GET rates at several concurrencies, and the server's resident
// memory while several clients stream large objects. Every response body is
// checked byte for byte; a failed request fails the run.
//
// Every load is bounded in time and in requests, and every load works on a
// fixed set of keys, so a run's disk use is bounded too.
package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// largeObject is the size from which an object is measured for throughput
// (MiB/s, one stream) rather than for request rate (ops/s).
const largeObject = 1 * MiB

// Pool sizes: how many distinct keys a group of loads cycles through.
const (
	largePoolKeys = 8
	smallPoolKeys = 1000
)

// Config configures a run. The zero value of a field means its default,
// as listed.
type Config struct {
	// Sizes are the object sizes measured (default 64 MiB and 4 KiB).
	// Sizes of 1 MiB and more are measured for throughput at concurrency
	// one, smaller ones for request rate at each of Concurrency.
	Sizes []int64
	// Concurrency lists the small-object concurrencies (default 1, 8, 32).
	Concurrency []int
	// Duration bounds each load (default 5s).
	Duration time.Duration
	// MaxRequests bounds each load (default 100,000).
	MaxRequests int
	// RSSObjectSize is what each RSS client streams (default 1 GiB).
	// Negative skips the RSS load.
	RSSObjectSize int64
	// RSSClients is how many clients stream at once (default 8).
	RSSClients int

	// Endpoint, when set, is the S3 endpoint measured instead of a
	// spawned Gatehouse. It must be on loopback. Credentials sign for it.
	Endpoint    string
	Credentials Credentials
	// ServerPID is the endpoint's process, sampled for RSS; zero skips
	// the RSS load for an endpoint.
	ServerPID int
	// Region signs requests (default us-east-1).
	Region string

	// Executable is the gatehouse binary run as "serve" and as
	// "bench-baseline" (default: this program).
	Executable string
	// ServerLogLevel is passed to serve as --log-level; empty passes none.
	ServerLogLevel string
	// BaselineNoFsync makes the baseline skip fsync before rename.
	BaselineNoFsync bool
	// TempDir holds the run's data (default os.TempDir()). The run
	// removes what it wrote there.
	TempDir string
	// Progress receives a line per load as the run goes; nil discards.
	Progress io.Writer
}

// withDefaults fills in defaults and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if len(c.Sizes) == 0 {
		c.Sizes = []int64{64 * MiB, 4 * KiB}
	}
	if len(c.Concurrency) == 0 {
		c.Concurrency = []int{1, 8, 32}
	}
	c.Duration = cmp.Or(c.Duration, 5*time.Second)
	c.MaxRequests = cmp.Or(c.MaxRequests, 100_000)
	c.RSSObjectSize = cmp.Or(c.RSSObjectSize, GiB)
	c.RSSClients = cmp.Or(c.RSSClients, 8)
	c.Region = cmp.Or(c.Region, "us-east-1")
	c.TempDir = cmp.Or(c.TempDir, os.TempDir())
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	if c.Executable == "" {
		exe, err := os.Executable()
		if err != nil {
			return c, fmt.Errorf("find the gatehouse binary: %w", err)
		}
		c.Executable = exe
	}
	return c, c.check()
}

// check rejects settings the run cannot honour.
func (c Config) check() error {
	for _, n := range c.Sizes {
		if n <= 0 {
			return fmt.Errorf("invalid size %d: must be positive", n)
		}
	}
	if c.Duration < 0 || c.MaxRequests < 0 || c.RSSClients < 0 {
		return errors.New("duration, max requests and RSS clients must not be negative")
	}
	if c.Endpoint == "" {
		return nil
	}
	if err := requireLoopbackURL(c.Endpoint); err != nil {
		return err
	}
	if c.Credentials.AccessKeyID == "" || c.Credentials.SecretKey == "" {
		return errors.New("an endpoint needs credentials")
	}
	return nil
}

// target is a server under measurement and the client that drives it.
type target struct {
	name   string
	client *client
	proc   *child // nil for an endpoint the bench did not start
	pid    int    // the process sampled for RSS; 0 when unknown
	pools  []*pool
}

// run is the state of one Run.
type run struct {
	cfg    Config
	work   string
	bucket string
	report *Report
}

// Run measures the target and the baseline as cfg says and returns the
// report. It stops the servers it started and removes its files before it
// returns, also on error or when ctx is cancelled.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(cfg.TempDir, "gatehouse-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench work dir: %w", err)
	}
	defer os.RemoveAll(work)

	r := &run{cfg: cfg, work: work, bucket: "gatehouse-bench-" + randomText(8, "abcdefgh234567")}
	base, err := r.startBaseline(ctx)
	if err != nil {
		return nil, err
	}
	defer r.stop(base)
	tgt, err := r.startTarget(ctx)
	if err != nil {
		return nil, err
	}
	defer r.stop(tgt)

	if err := r.measure(ctx, tgt, base); err != nil {
		return nil, err
	}
	return r.report, nil
}

// measure runs every load and fills r.report.
func (r *run) measure(ctx context.Context, tgt, base *target) error {
	r.report = &Report{Date: time.Now(), Machine: describeMachine(), Target: tgt.name,
		Settings: r.settings()}
	for _, t := range []*target{tgt, base} {
		if err := t.client.createBucket(ctx, r.bucket); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
	}

	// The RSS load runs first, so that VmHWM right after it is the peak
	// of a fresh server under that load and nothing else.
	switch {
	case r.cfg.RSSObjectSize < 0:
	case tgt.pid == 0:
		fmt.Fprintf(r.cfg.Progress, "RSS load skipped: %v\n", errNoPID)
	default:
		x, err := r.measureRSS(ctx, tgt)
		if err != nil {
			return err
		}
		r.report.RSS = x
	}
	for _, size := range r.cfg.Sizes {
		if err := r.measureSize(ctx, tgt, base, size); err != nil {
			return err
		}
	}
	r.report.Verdicts = judge(r.report)
	return nil
}

// settings records the run's bounds for the report.
func (r *run) settings() Settings {
	c := r.cfg
	return Settings{DurationSeconds: c.Duration.Seconds(), MaxRequests: c.MaxRequests,
		Sizes: c.Sizes, Concurrency: c.Concurrency, RSSObjectSize: max(c.RSSObjectSize, 0),
		RSSClients: c.RSSClients, BaselineFsync: !c.BaselineNoFsync}
}

// measureSize runs the PUT loads and then the GET loads of one size, each
// against the target and then the baseline, and deletes the objects after.
func (r *run) measureSize(ctx context.Context, tgt, base *target, size int64) error {
	keys, concs := min(smallPoolKeys, r.cfg.MaxRequests), r.cfg.Concurrency
	if size >= largeObject {
		keys, concs = min(largePoolKeys, r.cfg.MaxRequests), []int{1}
	}
	pools := map[*target]*pool{}
	for _, t := range []*target{tgt, base} {
		pools[t] = newPool(r.bucket, "bench", keys, size)
		t.pools = append(t.pools, pools[t])
	}

	lim := limits{duration: r.cfg.Duration, maxOps: r.cfg.MaxRequests}
	for _, op := range []string{http.MethodPut, http.MethodGet} {
		for _, conc := range concs {
			if err := r.measureLoad(ctx, op, size, conc, lim, tgt, base, pools); err != nil {
				return err
			}
		}
	}
	for _, t := range []*target{tgt, base} {
		if err := pools[t].clear(ctx, t.client, 8); err != nil {
			return fmt.Errorf("%s: delete bench objects: %w", t.name, err)
		}
	}
	return nil
}

// measureLoad runs one load against the target, then the baseline, and
// records it. Before a GET load it writes any key no PUT load reached.
func (r *run) measureLoad(ctx context.Context, op string, size int64, conc int, lim limits,
	tgt, base *target, pools map[*target]*pool) error {
	var ms [2]Measurement
	for i, t := range []*target{tgt, base} {
		p := pools[t]
		if op == http.MethodGet {
			if err := p.fill(ctx, t.client, min(conc, 8)); err != nil {
				return fmt.Errorf("%s: write objects to read: %w", t.name, err)
			}
		}
		cpu := startCPU(t.pid)
		m, err := runLoad(ctx, t.client, p, op, conc, lim)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, errors.Join(err, t.alive()))
		}
		cpu.finish(&m)
		ms[i] = m
	}
	l := newLoad(op, size, conc, ms[0], ms[1])
	r.report.Loads = append(r.report.Loads, l)
	fmt.Fprintf(r.cfg.Progress, "%-16s %s %.1f %s, baseline %.1f %s, ratio %.2f\n", l.Name(),
		tgt.name, l.rate(l.Target), l.Unit, l.rate(l.Baseline), l.Unit, l.Ratio)
	return nil
}

// measureRSS has RSSClients clients each PUT and then GET an object of
// RSSObjectSize at once, sampling the target's resident memory.
func (r *run) measureRSS(ctx context.Context, t *target) (*RSS, error) {
	n, size := r.cfg.RSSClients, r.cfg.RSSObjectSize
	p := newPool(r.bucket, "rss", n, size)
	t.pools = append(t.pools, p)
	sampler := startRSSSampler(t.pid, 20*time.Millisecond)

	start := time.Now()
	err := forEach(ctx, n, n, size, func(ctx context.Context, i int, _ *scratch) error {
		return p.put(ctx, t.client, i)
	})
	put := time.Since(start)
	if err == nil {
		start = time.Now()
		err = forEach(ctx, n, n, size, func(ctx context.Context, i int, s *scratch) error {
			return p.get(ctx, t.client, i, s)
		})
	}
	get := time.Since(start)
	peak, samples, serr := sampler.finish()
	if err = errors.Join(err, serr); err != nil {
		return nil, fmt.Errorf("%s: RSS load: %w", t.name, errors.Join(err, t.alive()))
	}

	mem, err := readMemStatus(t.pid)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name, err)
	}
	if err := p.clear(ctx, t.client, n); err != nil {
		return nil, fmt.Errorf("%s: delete RSS objects: %w", t.name, err)
	}
	total := float64(int64(n)*size) / float64(MiB)
	x := &RSS{ObjectSize: size, Clients: n, PeakBytes: peak, Samples: samples,
		HWMBytes: mem.hwm, PutMiBPerSec: total / put.Seconds(), GetMiBPerSec: total / get.Seconds()}
	fmt.Fprintf(r.cfg.Progress, "RSS %d x %s: peak %.1f MiB, VmHWM %.1f MiB\n",
		n, FormatSize(size), mib(x.PeakBytes), mib(x.HWMBytes))
	return x, nil
}

// startBaseline starts the baseline as a child process.
func (r *run) startBaseline(ctx context.Context) (*target, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"bench-baseline", "--dir", filepath.Join(r.work, "baseline"), "--addr", addr}
	if r.cfg.BaselineNoFsync {
		args = append(args, "--fsync=false")
	}
	proc, err := startChild("baseline", r.cfg.Executable, args, os.Environ(),
		filepath.Join(r.work, "baseline.log"))
	if err != nil {
		return nil, err
	}
	return r.attach(ctx, "baseline", "http://"+addr, newBenchCredentials(), proc)
}

// startTarget starts Gatehouse as a child process, or attaches to the
// configured endpoint.
func (r *run) startTarget(ctx context.Context) (*target, error) {
	if r.cfg.Endpoint != "" {
		t, err := r.attach(ctx, r.cfg.Endpoint, r.cfg.Endpoint, r.cfg.Credentials, nil)
		if t != nil {
			t.pid = r.cfg.ServerPID
		}
		return t, err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--data", filepath.Join(r.work, "gatehouse"), "--s3-addr", addr}
	if r.cfg.ServerLogLevel != "" {
		args = append(args, "--log-level", r.cfg.ServerLogLevel)
	}
	creds := newBenchCredentials()
	env := childEnv(map[string]string{
		"GATEHOUSE_ADMIN_ACCESS_KEY": creds.AccessKeyID,
		"GATEHOUSE_ADMIN_SECRET_KEY": creds.SecretKey,
	})
	proc, err := startChild("gatehouse", r.cfg.Executable, args, env,
		filepath.Join(r.work, "gatehouse.log"))
	if err != nil {
		return nil, err
	}
	return r.attach(ctx, "gatehouse", "http://"+addr, creds, proc)
}

// attach waits for a started server to be healthy and makes its client.
// On error it stops proc.
func (r *run) attach(ctx context.Context, name, endpoint string, creds Credentials,
	proc *child) (*target, error) {
	if proc != nil {
		if err := proc.waitHealthy(ctx, endpoint+"/-/health", 30*time.Second); err != nil {
			proc.stop()
			return nil, err
		}
	}
	conns := 2 * max(r.cfg.RSSClients, 32)
	for _, c := range r.cfg.Concurrency {
		conns = max(conns, 2*c)
	}
	cl, err := newClient(endpoint, creds, r.cfg.Region, conns)
	if err != nil {
		if proc != nil {
			proc.stop()
		}
		return nil, err
	}
	t := &target{name: name, client: cl, proc: proc}
	if proc != nil {
		t.pid = proc.pid()
	}
	return t, nil
}

// stop removes what the run left on t and stops t if the run started it.
// Cleanup is best effort and bounded: on a server the bench started, the
// work dir goes anyway; on an endpoint, objects of an interrupted run
// are deleted here.
func (r *run) stop(t *target) {
	if t.proc == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		for _, p := range t.pools {
			if !p.cleared {
				_ = p.clear(ctx, t.client, 8)
			}
		}
		_ = t.client.deleteBucket(ctx, r.bucket)
		cancel()
	}
	t.client.close()
	if t.proc != nil {
		t.proc.stop()
	}
}

// alive reports an error if t's process has exited.
func (t *target) alive() error {
	if t.proc == nil {
		return nil
	}
	return t.proc.alive()
}

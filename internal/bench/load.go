package bench

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// pool is the set of objects a group of loads works on, on one target:
// PUT loads write them round-robin, GET loads read them round-robin.
// Keeping the set small bounds the disk a long load fills.
type pool struct {
	bucket  string
	keys    []string
	objs    []content
	written []atomic.Bool
	// cleared is set once clear has deleted every object.
	cleared bool
}

// newPool names n objects of size bytes under prefix.
func newPool(bucket, prefix string, n int, size int64) *pool {
	p := &pool{bucket: bucket, written: make([]atomic.Bool, n)}
	for i := range n {
		key := fmt.Sprintf("%s/%s/%04d", prefix, compactSize(size), i)
		p.keys = append(p.keys, key)
		p.objs = append(p.objs, content{seed: seedFor(key), size: size})
	}
	return p
}

// put writes object i.
func (p *pool) put(ctx context.Context, c *client, i int) error {
	if err := c.put(ctx, p.bucket, p.keys[i], p.objs[i]); err != nil {
		return err
	}
	p.written[i].Store(true)
	return nil
}

// get reads object i and checks its bytes.
func (p *pool) get(ctx context.Context, c *client, i int, s *scratch) error {
	return c.get(ctx, p.bucket, p.keys[i], p.objs[i], s)
}

// fill writes every object no PUT load has written yet, unmeasured.
func (p *pool) fill(ctx context.Context, c *client, conc int) error {
	return forEach(ctx, len(p.keys), conc, 0, func(ctx context.Context, i int, _ *scratch) error {
		if p.written[i].Load() {
			return nil
		}
		return p.put(ctx, c, i)
	})
}

// clear deletes every object of the pool.
func (p *pool) clear(ctx context.Context, c *client, conc int) error {
	err := forEach(ctx, len(p.keys), conc, 0, func(ctx context.Context, i int, _ *scratch) error {
		p.written[i].Store(false)
		return c.remove(ctx, p.bucket, p.keys[i])
	})
	p.cleared = err == nil
	return err
}

// Measurement is what one load achieved against one target.
type Measurement struct {
	Ops       int64   `json:"ops"`
	Bytes     int64   `json:"bytes"`
	Seconds   float64 `json:"seconds"`
	OpsPerSec float64 `json:"ops_per_sec"`
	MiBPerSec float64 `json:"mib_per_sec"`
	// P50Millis and P99Millis are request latencies, from sending the
	// request to having read and checked the whole response.
	P50Millis float64 `json:"p50_ms"`
	P99Millis float64 `json:"p99_ms"`
	// ServerCPUMillis and ClientCPUMillis are the CPU time, user and
	// system, the server and the bench's client used per request, to
	// 10 ms over the whole load; zero when not known (an endpoint without
	// --pid, or no /proc). The client runs the same code for both
	// targets, so a difference in it means the client waited differently.
	ServerCPUMillis float64 `json:"server_cpu_ms_per_op,omitempty"`
	ClientCPUMillis float64 `json:"client_cpu_ms_per_op,omitempty"`
}

// limits bound one load: it stops starting requests after duration or
// after maxOps requests, whichever comes first, and always makes one.
type limits struct {
	duration time.Duration
	maxOps   int
}

// runLoad runs op ("PUT" or "GET") over the pool with conc workers until
// lim is reached, and measures it. Any failed request fails the load: a
// bench that counted errors as work would flatter the server.
func runLoad(ctx context.Context, c *client, p *pool, op string, conc int,
	lim limits) (Measurement, error) {
	var n atomic.Int64
	start := time.Now()
	deadline := start.Add(lim.duration)
	next := func() (int, bool) {
		i := n.Add(1) - 1
		if i >= int64(lim.maxOps) || (i > 0 && time.Now().After(deadline)) {
			return 0, false
		}
		return int(i % int64(len(p.keys))), true
	}
	do := func(ctx context.Context, i int, s *scratch) error {
		if op == http.MethodPut {
			return p.put(ctx, c, i)
		}
		return p.get(ctx, c, i, s)
	}

	lat, err := runWorkers(ctx, conc, p.objs[0].size, next, do)
	if err != nil {
		return Measurement{}, fmt.Errorf("%s %s c=%d: %w", op, FormatSize(p.objs[0].size), conc, err)
	}
	return measure(lat, p.objs[0].size, time.Since(start)), nil
}

// measure turns per-request latencies into a Measurement.
func measure(lat []time.Duration, size int64, elapsed time.Duration) Measurement {
	slices.Sort(lat)
	secs := elapsed.Seconds()
	m := Measurement{Ops: int64(len(lat)), Bytes: int64(len(lat)) * size, Seconds: secs}
	m.OpsPerSec = float64(m.Ops) / secs
	m.MiBPerSec = float64(m.Bytes) / float64(MiB) / secs
	m.P50Millis = percentile(lat, 0.50)
	m.P99Millis = percentile(lat, 0.99)
	return m
}

// percentile returns the q-quantile of sorted latencies in milliseconds.
func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)-1))
	return float64(sorted[i].Microseconds()) / 1000
}

// forEach calls fn for 0 <= i < n on conc workers and returns the first
// error.
func forEach(ctx context.Context, n, conc int, size int64,
	fn func(ctx context.Context, i int, s *scratch) error) error {
	var next atomic.Int64
	_, err := runWorkers(ctx, conc, size, func() (int, bool) {
		i := next.Add(1) - 1
		return int(i), i < int64(n)
	}, fn)
	return err
}

// runWorkers runs conc workers that take indexes from next until it says
// stop, calling fn for each, and returns the latency of every call. The
// first error cancels the other workers and is returned. Each call gets a
// timeout scaled to size, so that a hung server cannot hang the bench.
func runWorkers(ctx context.Context, conc int, size int64, next func() (int, bool),
	fn func(ctx context.Context, i int, s *scratch) error) ([]time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timeout := 30*time.Second + time.Duration(size/(8*MiB))*time.Second

	var wg sync.WaitGroup
	lats := make([][]time.Duration, conc)
	for w := range conc {
		wg.Go(func() {
			s := newScratch(int(min(max(size, 4*KiB), 256*KiB)))
			for ctx.Err() == nil {
				i, ok := next()
				if !ok {
					return
				}
				t0 := time.Now()
				octx, ocancel := context.WithTimeout(ctx, timeout)
				err := fn(octx, i, s)
				ocancel()
				if err != nil {
					cancel(err)
					return
				}
				lats[w] = append(lats[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return slices.Concat(lats...), nil
}

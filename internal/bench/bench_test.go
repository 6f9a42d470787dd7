package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnvVar makes the test binary act as the "bench-baseline" child, so
// that the bench can be run end to end before a gatehouse binary is built.
const childEnvVar = "GATEHOUSE_BENCH_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnvVar) == "baseline" {
		os.Exit(baselineChildMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// baselineChildMain parses the arguments the bench gives "gatehouse
// bench-baseline" and serves.
func baselineChildMain(args []string) int {
	if len(args) == 0 || args[0] != "bench-baseline" {
		fmt.Fprintf(os.Stderr, "test child: unexpected arguments %q\n", args)
		return 2
	}
	fs := flag.NewFlagSet("bench-baseline", flag.ContinueOnError)
	var cfg BaselineConfig
	fsync := fs.Bool("fsync", true, "")
	fs.StringVar(&cfg.Dir, "dir", "", "")
	fs.StringVar(&cfg.Addr, "addr", "", "")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	cfg.NoFsync = !*fsync
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := ServeBaseline(ctx, cfg, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// smallConfig bounds a run so that it takes a second or two.
func smallConfig(t *testing.T) Config {
	return Config{
		Sizes:         []int64{2 * MiB, 4 * KiB},
		Concurrency:   []int{1, 4},
		Duration:      200 * time.Millisecond,
		MaxRequests:   40,
		RSSObjectSize: 3 * MiB,
		RSSClients:    2,
		TempDir:       t.TempDir(),
		Progress:      &testWriter{t},
	}
}

// testWriter sends the bench's progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// An in-process baseline stands in for "any S3 endpoint": it exercises
// --endpoint, the spawned baseline child, RSS sampling by PID, the report
// and the cleanup of an endpoint the bench did not start.
func TestRunAgainstEndpoint(t *testing.T) {
	t.Setenv(childEnvVar, "baseline")
	endpointDir := t.TempDir()
	srv := httptest.NewServer(NewBaselineHandler(endpointDir, false))
	defer srv.Close()

	cfg := smallConfig(t)
	cfg.Endpoint, cfg.ServerPID = srv.URL, os.Getpid()
	cfg.Credentials = Credentials{AccessKeyID: "AKIDEXAMPLE", SecretKey: "any"}
	cfg.Executable = os.Args[0]
	report, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}

	checkReport(t, report, cfg)
	if report.Target != srv.URL {
		t.Errorf("report target = %q, want %q", report.Target, srv.URL)
	}
	checkEmpty(t, "endpoint data", endpointDir)
	checkEmpty(t, "bench temp dir", cfg.TempDir)
}

// TestRunAgainstGatehouse builds the gatehouse binary and benches a real
// spawned server against the real bench-baseline subcommand.
func TestRunAgainstGatehouse(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gatehouse binary")
	}
	bin := filepath.Join(t.TempDir(), "gatehouse")
	build := exec.Command("go", "build", "-o", bin, "gatehouse.dev/gatehouse/cmd/gatehouse")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build gatehouse: %v\n%s", err, out)
	}

	cfg := smallConfig(t)
	cfg.Executable = bin
	report, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, report, cfg)
	if report.Target != "gatehouse" {
		t.Errorf("report target = %q, want gatehouse", report.Target)
	}
	checkEmpty(t, "bench temp dir", cfg.TempDir)
}

// checkReport checks that every load ran, that every rate and ratio is
// the one the measured counts give, and that the verdicts follow from
// them.
func checkReport(t *testing.T, r *Report, cfg Config) {
	t.Helper()
	var want []string
	for _, op := range []string{"PUT", "GET"} {
		want = append(want, op+" 2 MiB c=1")
	}
	for _, op := range []string{"PUT", "GET"} {
		for _, c := range cfg.Concurrency {
			want = append(want, fmt.Sprintf("%s 4 KiB c=%d", op, c))
		}
	}
	var got []string
	for _, l := range r.Loads {
		got = append(got, l.Name())
		checkLoad(t, l, cfg)
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("loads = %q, want %q", got, want)
	}

	if r.RSS == nil || r.RSS.PeakBytes <= 0 || r.RSS.HWMBytes < r.RSS.PeakBytes ||
		r.RSS.Samples == 0 || r.RSS.Clients != cfg.RSSClients {
		t.Errorf("RSS = %+v, want a measured peak <= VmHWM", r.RSS)
	}
	checkVerdicts(t, r)
	checkOutput(t, r)
}

// checkLoad recomputes a load's rates from its counts.
func checkLoad(t *testing.T, l Load, cfg Config) {
	t.Helper()
	for _, m := range []Measurement{l.Target, l.Baseline} {
		if m.Ops <= 0 || m.Ops > int64(cfg.MaxRequests) || m.Seconds <= 0 {
			t.Errorf("%s: %d ops in %gs, want 1..%d ops", l.Name(), m.Ops, m.Seconds,
				cfg.MaxRequests)
			continue
		}
		if m.Bytes != m.Ops*l.Size || !near(m.OpsPerSec, float64(m.Ops)/m.Seconds) ||
			!near(m.MiBPerSec, float64(m.Bytes)/float64(MiB)/m.Seconds) {
			t.Errorf("%s: rates %+v do not follow from the counts", l.Name(), m)
		}
		if m.P50Millis > m.P99Millis {
			t.Errorf("%s: p50 %g > p99 %g", l.Name(), m.P50Millis, m.P99Millis)
		}
		if m.ServerCPUMillis < 0 || m.ClientCPUMillis < 0 {
			t.Errorf("%s: negative CPU time per request: %+v", l.Name(), m)
		}
	}
	wantUnit, rate := UnitOpsPerSec, func(m Measurement) float64 { return m.OpsPerSec }
	if l.Size >= MiB {
		wantUnit, rate = UnitMiBPerSec, func(m Measurement) float64 { return m.MiBPerSec }
	}
	if l.Unit != wantUnit || l.Ratio <= 0 || !near(l.Ratio, rate(l.Target)/rate(l.Baseline)) {
		t.Errorf("%s: unit %s ratio %g, want %s and %g", l.Name(), l.Unit, l.Ratio, wantUnit,
			rate(l.Target)/rate(l.Baseline))
	}
}

// checkVerdicts recomputes each verdict from the loads.
func checkVerdicts(t *testing.T, r *Report) {
	t.Helper()
	ratio := func(op string, size int64, worst bool) float64 {
		var v float64
		for _, l := range r.Loads {
			if l.Op == op && l.Size == size && (v == 0 || (worst && l.Ratio < v)) {
				v = l.Ratio
			}
		}
		return v
	}
	want := []struct {
		got, limit float64
		pass       bool
	}{
		{ratio("GET", 2*MiB, false), 0.75, ratio("GET", 2*MiB, false) >= 0.75},
		{ratio("PUT", 2*MiB, false), 0.75, ratio("PUT", 2*MiB, false) >= 0.75},
		{ratio("GET", 4*KiB, true), 0.60, ratio("GET", 4*KiB, true) >= 0.60},
		{mib(r.RSS.HWMBytes), 150, mib(r.RSS.HWMBytes) < 150},
	}
	if len(r.Verdicts) != len(want) {
		t.Fatalf("%d verdicts, want %d", len(r.Verdicts), len(want))
	}
	for i, v := range r.Verdicts {
		w := want[i]
		if !v.Measured || !near(v.Got, w.got) || v.Limit != w.limit || v.Pass != w.pass {
			t.Errorf("verdict %q = %+v, want got %g limit %g pass %v", v.Goal, v, w.got,
				w.limit, w.pass)
		}
	}
}

// checkOutput checks that the text report names every load and the JSON
// report round-trips.
func checkOutput(t *testing.T, r *Report) {
	t.Helper()
	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, l := range r.Loads {
		if !strings.Contains(text.String(), l.Name()) {
			t.Errorf("text report lacks %q:\n%s", l.Name(), text.String())
		}
	}
	if n := strings.Count(text.String(), "PASS") + strings.Count(text.String(), "FAIL"); n != 4 {
		t.Errorf("text report has %d verdict lines, want 4:\n%s", n, text.String())
	}
	t.Logf("report:\n%s", text.String())

	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || len(back.Loads) != len(r.Loads) ||
		back.Loads[0].Ratio != r.Loads[0].Ratio {
		t.Errorf("JSON round trip: %v, %d loads", err, len(back.Loads))
	}
}

// near reports whether a and b agree to a relative 1e-9.
func near(a, b float64) bool {
	d := a - b
	return d < 1e-9*max(a, b) && -d < 1e-9*max(a, b)
}

// checkEmpty fails unless dir holds nothing.
func checkEmpty(t *testing.T, what, dir string) {
	t.Helper()
	var left []string
	filepath.WalkDir(dir, func(p string, _ os.DirEntry, _ error) error {
		if p != dir {
			left = append(left, p)
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("%s not cleaned up: %q", what, left)
	}
}

// A server that returns wrong bytes must fail the run, not be measured.
func TestRunFailsOnCorruptBodies(t *testing.T) {
	t.Setenv(childEnvVar, "baseline")
	base := NewBaselineHandler(t.TempDir(), false)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/bench/") {
			w.Header().Set("Content-Length", "4096")
			w.Write(make([]byte, 4096))
			return
		}
		base.ServeHTTP(w, r)
	}))
	defer srv.Close()

	cfg := smallConfig(t)
	cfg.Sizes, cfg.RSSObjectSize = []int64{4 * KiB}, -1
	cfg.Endpoint, cfg.Executable = srv.URL, os.Args[0]
	cfg.Credentials = Credentials{AccessKeyID: "AKIDEXAMPLE", SecretKey: "any"}
	_, err := Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), errContentMismatch.Error()) {
		t.Fatalf("Run against a corrupting server = %v, want a content mismatch", err)
	}
}

func TestRunRefusesNonLoopbackEndpoint(t *testing.T) {
	cfg := smallConfig(t)
	cfg.Endpoint = "http://192.0.2.1:9000"
	cfg.Credentials = Credentials{AccessKeyID: "AKIDEXAMPLE", SecretKey: "any"}
	if _, err := Run(context.Background(), cfg); err == nil ||
		!strings.Contains(err.Error(), "loopback") {
		t.Fatalf("Run against %s = %v, want a loopback refusal", cfg.Endpoint, err)
	}
}

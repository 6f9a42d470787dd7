package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gatehouse.dev/gatehouse/internal/bench"
)

// benchCmd measures Gatehouse, or any S3 endpoint, against a plain
// net/http file server.
type benchCmd struct{}

const benchAbout = `
Measure an S3 server against a baseline: a plain Go net/http server that
keeps the same bytes in files, with no authentication. Both run as child
processes on 127.0.0.1 and get the same SigV4-signed requests (with
UNSIGNED-PAYLOAD); every body read back is checked byte for byte.

One run measures, each load bounded by --duration and --max-requests:
  - PUT and GET throughput of large objects (sizes of 1MiB and more);
  - PUT and GET rates of small objects at each --concurrency;
  - the server's resident memory (VmRSS, VmHWM) while --rss-clients
    clients each PUT and then GET an object of --rss-object-size. This
    writes clients x size to disk; --rss-object-size 0 skips it.
It prints a table with the ratios and a verdict against each target of
issue 2. Data goes to a temporary directory that is removed at the end.

By default a Gatehouse server is started from this binary with generated
admin keys. With --endpoint, that S3 endpoint (on loopback) is measured
instead, with keys from --access-key-file or from AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY; its objects and bucket are deleted afterwards.
`

// Run implements command.
func (*benchCmd) Run(ctx context.Context, env Env, args []string) error {
	cfg, jsonOut, err := parseBench(env, args)
	if err != nil {
		return err
	}
	cfg.Progress = env.Stderr
	report, err := bench.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if jsonOut {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	return report.WriteText(env.Stdout)
}

// parseBench turns the command line into a bench configuration.
func parseBench(env Env, args []string) (cfg bench.Config, jsonOut bool, err error) {
	f := newFlags("bench", "[flags]", benchAbout)
	sizes := bench.SizeList{64 * bench.MiB, 4 * bench.KiB}
	concs := bench.IntList{1, 8, 32}
	rssSize := "1GiB"
	var keyFile string
	baselineFsync := true
	f.Var(&sizes, "sizes", "object sizes to measure, comma-separated")
	f.Var(&concs, "concurrency", "concurrencies of the small-object loads")
	f.DurationVar(&cfg.Duration, "duration", 5*time.Second, "time bound of each load")
	f.IntVar(&cfg.MaxRequests, "max-requests", 100_000, "request bound of each load")
	f.StringVar(&rssSize, "rss-object-size", rssSize,
		"object each RSS client streams; 0 skips the RSS load")
	f.IntVar(&cfg.RSSClients, "rss-clients", 8, "clients streaming at once in the RSS load")
	f.StringVar(&cfg.Endpoint, "endpoint", "",
		"measure this S3 endpoint, e.g. http://127.0.0.1:9000, instead of a new gatehouse")
	f.StringVar(&keyFile, "access-key-file", "",
		"AWS credentials file with the endpoint's keys (default: AWS_* environment)")
	f.IntVar(&cfg.ServerPID, "pid", 0, "process ID of the endpoint's server, for the RSS load")
	f.StringVar(&cfg.Region, "region", "us-east-1", "region to sign for")
	f.StringVar(&cfg.ServerLogLevel, "server-log-level", "",
		"--log-level of the spawned gatehouse (default: its own default)")
	f.BoolVar(&baselineFsync, "baseline-fsync", true,
		"baseline fsyncs each PUT before rename, as Gatehouse does")
	f.StringVar(&cfg.TempDir, "temp-dir", "", "parent of the run's data (default: $TMPDIR or /tmp)")
	f.BoolVar(&jsonOut, "json", false, "print the report as JSON")
	if err := f.parse(env, args); err != nil {
		return cfg, false, err
	}

	cfg.Sizes, cfg.Concurrency = sizes, concs
	cfg.BaselineNoFsync = !baselineFsync
	cfg.RSSObjectSize, err = bench.ParseSize(rssSize)
	if err != nil {
		return cfg, false, &usageError{msg: "bench: --rss-object-size: " + err.Error(),
			hint: "gatehouse bench --help"}
	}
	if cfg.RSSObjectSize == 0 {
		cfg.RSSObjectSize = -1 // bench.Config reads zero as the default
	}
	if cfg.Endpoint != "" {
		cfg.Credentials, err = endpointCredentials(env, keyFile)
	}
	return cfg, jsonOut, err
}

// endpointCredentials reads the keys for --endpoint from a file, or else
// from the environment. Secrets never come from flag values.
func endpointCredentials(env Env, keyFile string) (bench.Credentials, error) {
	if keyFile != "" {
		return bench.LoadCredentialsFile(keyFile)
	}
	c := bench.Credentials{
		AccessKeyID: env.getenv("AWS_ACCESS_KEY_ID"),
		SecretKey:   env.getenv("AWS_SECRET_ACCESS_KEY"),
	}
	if c.AccessKeyID == "" || c.SecretKey == "" {
		return c, errors.New("bench: --endpoint needs --access-key-file or " +
			"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	return c, nil
}

// benchBaselineCmd is the baseline server `gatehouse bench` starts as a
// child process. It is not meant to be run by hand.
type benchBaselineCmd struct{}

const benchBaselineAbout = `
Serve the baseline of "gatehouse bench": a plain net/http server that keeps
objects in files under --dir, with no authentication. PUT /b creates a
bucket, PUT /b/k writes a temp file and renames it into place, GET /b/k
copies the file out, DELETE removes. It listens on loopback only and runs
until interrupted. "gatehouse bench" starts it; there is no other use.
`

// Run implements command.
func (*benchBaselineCmd) Run(ctx context.Context, env Env, args []string) error {
	f := newFlags("bench-baseline", "--dir DIR [flags]", benchBaselineAbout)
	var cfg bench.BaselineConfig
	fsync := true
	f.StringVar(&cfg.Dir, "dir", "", "directory for buckets and objects (required)")
	f.StringVar(&cfg.Addr, "addr", "127.0.0.1:7701", "loopback address to listen on")
	f.BoolVar(&fsync, "fsync", true, "fsync each PUT before rename")
	if err := f.parse(env, args); err != nil {
		return err
	}
	if cfg.Dir == "" {
		return &usageError{msg: "bench-baseline: --dir is required",
			hint: "gatehouse bench-baseline --help"}
	}
	cfg.NoFsync = !fsync
	return bench.ServeBaseline(ctx, cfg, func(addr string) {
		fmt.Fprintf(env.Stdout, "baseline listening on http://%s\n", addr)
	})
}

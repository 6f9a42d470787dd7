package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"gatehouse.dev/gatehouse/admin"
	"gatehouse.dev/gatehouse/auth/chain"
	"gatehouse.dev/gatehouse/auth/static"
	"gatehouse.dev/gatehouse/internal/config"
	"gatehouse.dev/gatehouse/registry"
	"gatehouse.dev/gatehouse/s3api"
	"gatehouse.dev/gatehouse/sigv4"
	"gatehouse.dev/gatehouse/store/local"
)

// serveCmd runs the S3 gateway until its context is cancelled.
type serveCmd struct{}

const serveAbout = `
Serve the Amazon S3 API from objects kept in the data directory.

With no configuration at all, serve keeps its data in ./gatehouse-data and
listens on 127.0.0.1:7700. On first start it creates the data directory
and an administrator credential, prints the keys once with a ready-to-paste
aws CLI profile, and saves them to <data>/admin.credentials (mode 0600) in
AWS credentials-file format. Later starts reuse that file.

The administrator keys can instead come from the environment:
  GATEHOUSE_ADMIN_ACCESS_KEY  access key ID, 16 to 128 letters, digits or _
  GATEHOUSE_ADMIN_SECRET_KEY  secret key, 16 to 128 of A-Z a-z 0-9 + / = - _
Set both or neither. When set, they win over the saved file, which is
rewritten to match.

Settings can also come from a YAML file (--config) whose keys are the flag
names below, for example "s3-addr: 127.0.0.1:9000". Flags given on the
command line override the file. On SIGINT or SIGTERM, serve stops
accepting connections and waits up to --shutdown-timeout for in-flight
requests to finish.
`

// Run implements command.
func (*serveCmd) Run(ctx context.Context, env Env, args []string) error {
	s, err := serveSettings(env, args)
	if err != nil {
		return err
	}
	logs := newLogBuffer(env.Stderr)
	defer logs.Close()
	log := newLogger(logs, s)
	return serve(ctx, env, s, log)
}

// serveFlags binds the flags of serve to s and file. Each default shown
// by --help is the value s holds when the flag is defined.
func serveFlags(s *config.Serve, file *string) *flags {
	f := newFlags("serve", "[flags]", serveAbout)
	f.StringVar(file, "config", "",
		"read settings from the YAML `file`; flags on the command line override it")
	f.StringVar(&s.Data, "data", s.Data,
		"keep objects, metadata and the admin credential in `dir`")
	f.StringVar(&s.S3Addr, "s3-addr", s.S3Addr,
		"serve the S3 API on `host:port`; port 0 picks a free port")
	f.StringVar(&s.AdminAddr, "admin-addr", s.AdminAddr,
		"serve the admin API (API keys, credentials, revocation) on `host:port`;\n"+
			"port 0 picks a free port")
	f.StringVar(&s.Domain, "domain", s.Domain,
		"also accept virtual-hosted-style requests, with Host `suffix` as in\n"+
			"<bucket>.s3.example.com; empty accepts path-style requests only")
	f.StringVar(&s.Region, "region", s.Region,
		"the `region` clients sign for and GetBucketLocation reports")
	f.StringVar(&s.LogFormat, "log-format", s.LogFormat,
		"write the log to stderr as `text` or json")
	f.StringVar(&s.LogLevel, "log-level", s.LogLevel,
		"log at `level` debug, info, warn or error")
	f.DurationVar(&s.ShutdownTimeout, "shutdown-timeout", s.ShutdownTimeout,
		"on SIGINT or SIGTERM, wait up to `duration` for in-flight requests")
	return f
}

// serveSettings layers the settings: defaults, then the --config file,
// then the flags given on the command line.
func serveSettings(env Env, args []string) (config.Serve, error) {
	s := config.DefaultServe()
	var file string
	f := serveFlags(&s, &file)
	if err := f.parse(env, args); err != nil {
		return s, err
	}

	if file != "" {
		// Load the file over fresh defaults, then set again exactly the
		// flags the command line gave, so that they win over the file.
		fromFile := config.DefaultServe()
		if err := config.LoadFile(file, &fromFile); err != nil {
			return s, err
		}
		again := serveFlags(&fromFile, new(string))
		var err error
		f.Visit(func(fl *flag.Flag) {
			err = errors.Join(err, again.Set(fl.Name, fl.Value.String()))
		})
		if err != nil {
			return s, fmt.Errorf("apply flags over %s: %w", file, err)
		}
		s = fromFile
	}

	if err := s.Validate(); err != nil {
		return s, &usageError{msg: "serve: " + err.Error(), hint: "gatehouse serve --help"}
	}
	return s, nil
}

// newLogger returns the logger for s's format and level, writing to w.
// s must have been validated.
func newLogger(w io.Writer, s config.Serve) *slog.Logger {
	level, _ := config.ParseLevel(s.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if s.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve runs the gateway with settings s until ctx is cancelled, then
// drains in-flight requests and closes the store.
func serve(ctx context.Context, env Env, s config.Serve, log *slog.Logger) (err error) {
	started := time.Now()
	log.Info("gatehouse starting", "version", versionString(), "data", s.Data,
		"s3_addr", s.S3Addr, "admin_addr", s.AdminAddr, "domain", s.Domain, "region", s.Region)

	// Listen first: a start that cannot serve must not create a
	// credential it never shows.
	ln, err := net.Listen("tcp", s.S3Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	adminLn, err := net.Listen("tcp", s.AdminAddr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("listen (admin): %w", err)
	}
	serving := false
	defer func() {
		if !serving {
			ln.Close()
			adminLn.Close()
		}
	}()

	// The store, which locks the data directory, and then the
	// administrator credential: after it is saved nothing can fail
	// before it is printed.
	if err := os.MkdirAll(s.Data, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	st, err := local.Open(ctx, s.Data, local.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer func() {
		if cerr := st.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close store: %w", cerr))
		}
	}()
	reg, err := registry.Open(ctx, filepath.Join(s.Data, registryFile), registry.Options{})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := reg.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close registry: %w", cerr))
		}
	}()
	keys, written, err := loadAdminKeys(s.Data, env, log)
	if err != nil {
		return err
	}
	// The administrator first, then the registered credentials.
	api := s3api.New(s3api.Config{
		Store: st,
		Verifier: &sigv4.Verifier{
			Credentials: chain.Resolver{static.New(keys.credential()), reg},
			Region:      s.Region,
		},
		Domain: s.Domain,
		Region: s.Region,
		Logger: log,
	})

	// Tell the operator where, and serve.
	endpoint := endpointURL(ln.Addr())
	adminAPI := admin.New(admin.Config{Registry: reg, Admin: keys.credential(),
		Region: s.Region, Endpoint: endpoint, Logger: log})
	printBanner(env.Stdout, endpoint, endpointURL(adminLn.Addr()), s, keys, written)
	stopAdmin := serveAdmin(adminLn, adminAPI, log)
	if env.AdminListening != nil {
		env.AdminListening(adminLn.Addr())
	}
	if env.Listening != nil {
		env.Listening(ln.Addr())
	}
	log.Info("serving S3", "endpoint", endpoint, "credentials", credentialsPath(s),
		"admin", endpointURL(adminLn.Addr()))

	idle := ioIdleTimeout
	if env.ioIdle > 0 {
		idle = env.ioIdle
	}
	serving = true // Serve closes ln
	err = serveUntilDone(ctx, ln, api, idle, s.ShutdownTimeout, log)
	err = errors.Join(err, stopAdmin(s.ShutdownTimeout))
	log.Info("gatehouse stopped", "uptime", time.Since(started).Round(time.Millisecond))
	return err
}

// serveUntilDone serves h on ln, behind the guard with window idle, until
// ctx is cancelled or the listener fails, then drains in-flight requests
// for up to timeout.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler,
	idle, timeout time.Duration, log *slog.Logger) error {
	var f inflight
	srv := newHTTPServer(guard(h, &f, idle), log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("stopping: draining in-flight requests", "cause", context.Cause(ctx),
		"timeout", timeout)
	return drain(srv, &f, timeout, log)
}

// registryFile is the registry database, in the data directory.
const registryFile = "registry.db"

// serveAdmin serves the admin API on ln in the background. The returned
// function stops it, waiting up to timeout for in-flight requests.
func serveAdmin(ln net.Listener, h http.Handler, log *slog.Logger) func(time.Duration) error {
	srv := newHTTPServer(h, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	return func(timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		err := srv.Shutdown(ctx)
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		if err != nil {
			srv.Close()
			return fmt.Errorf("stop admin api: %w", err)
		}
		return nil
	}
}

// endpointURL is the URL clients on this machine use to reach addr. An
// unspecified listening address (0.0.0.0 or ::) accepts IPv4 on every
// interface, so it is reached on 127.0.0.1.
func endpointURL(addr net.Addr) string {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := ta.IP.String()
	if ta.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(ta.Port))
}

func credentialsPath(s config.Serve) string {
	return filepath.Join(s.Data, adminCredentialsFile)
}

// printBanner tells the operator, on stdout, where the S3 and admin APIs are. When
// the credential file was just written, it also shows the keys, with an
// aws CLI profile to paste; that is the only place the secret is shown.
func printBanner(w io.Writer, endpoint, adminURL string, s config.Serve, k adminKeys,
	written bool) {
	fmt.Fprintf(w, "Gatehouse S3 endpoint: %s\n", endpoint)
	fmt.Fprintf(w, "Gatehouse admin API:   %s\n", adminURL)
	if s.Domain != "" {
		fmt.Fprintf(w, "Virtual-hosted-style:  <bucket>.%s\n", s.Domain)
	}
	path := credentialsPath(s)
	if !written {
		fmt.Fprintf(w, "Admin credential:      %s\n", path)
		return
	}
	fmt.Fprintf(w, adminBanner, path, k.AccessKeyID, k.Secret,
		k.AccessKeyID, k.Secret, s.Region, endpoint,
		k.AccessKeyID, k.Secret, s.Region, endpoint, endpoint)
}

// adminBanner is printed once, when the admin credential is written.
const adminBanner = `
Admin credential, saved to %s (shown only now):
  Access key ID:     %s
  Secret access key: %s

To use it with the aws CLI in this shell, paste:

  export AWS_ACCESS_KEY_ID=%s
  export AWS_SECRET_ACCESS_KEY=%s
  export AWS_DEFAULT_REGION=%s
  export AWS_ENDPOINT_URL=%s

Or keep it as a profile: add to ~/.aws/credentials

  [gatehouse]
  aws_access_key_id = %s
  aws_secret_access_key = %s

and to ~/.aws/config

  [profile gatehouse]
  region = %s
  endpoint_url = %s
  s3 =
    signature_version = s3v4

then run: aws --profile gatehouse s3 ls
(The s3v4 line makes aws CLI v1 presign with Signature Version 4; Gatehouse
refuses the older Version 2.)
An aws CLI older than 2.13 (Debian 12 ships 2.9) ignores AWS_ENDPOINT_URL
and endpoint_url: give it --endpoint-url %s instead.

`

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse/internal/config"
)

// syncBuffer is a bytes.Buffer that the server and the test may use at
// once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// running is a `gatehouse serve` started in-process by startServe.
type running struct {
	t        *testing.T
	endpoint string // http://127.0.0.1:port
	admin    string // the admin API's http://127.0.0.1:port
	stdout   *syncBuffer
	log      *syncBuffer // stderr, where the log goes
	cancel   context.CancelFunc
	done     chan error
	stopped  bool
}

// startServe runs `gatehouse serve --s3-addr 127.0.0.1:0 args...` with
// the environment variables in env, and returns once it listens. The
// server is stopped when the test ends, if the test did not stop it.
func startServe(t *testing.T, env map[string]string, args ...string) *running {
	t.Helper()
	return startServeWith(t, env, func(*Env) {}, args...)
}

// startServeWith is startServe with setup applied to the Env first, for
// the knobs only tests turn.
func startServeWith(t *testing.T, env map[string]string, setup func(*Env),
	args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, stdout: new(syncBuffer), log: new(syncBuffer),
		cancel: cancel, done: make(chan error, 1)}
	listening := make(chan net.Addr, 1)
	e := Env{
		Stdout:         r.stdout,
		Stderr:         r.log,
		Getenv:         func(k string) string { return env[k] },
		Listening:      func(a net.Addr) { listening <- a },
		AdminListening: func(a net.Addr) { r.admin = "http://" + a.String() },
	}
	setup(&e)
	args = append([]string{"serve", "--s3-addr", "127.0.0.1:0",
		"--admin-addr", "127.0.0.1:0"}, args...)
	go func() { r.done <- Run(ctx, args, e) }()

	select {
	case a := <-listening:
		r.endpoint = "http://" + a.String()
	case err := <-r.done:
		cancel()
		t.Fatalf("serve %v returned before listening: %v\nlog:\n%s", args, err, r.log)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("serve did not listen within 30s\nlog:\n%s", r.log)
	}
	t.Cleanup(func() {
		if !r.stopped {
			r.stop()
		}
	})
	return r
}

// stop cancels serve's context, as SIGTERM does, and returns what serve
// returned. It fails the test if serve takes longer than a minute.
func (r *running) stop() error {
	r.t.Helper()
	r.stopped = true
	r.cancel()
	select {
	case err := <-r.done:
		return err
	case <-time.After(time.Minute):
		r.t.Fatalf("serve did not return within a minute of cancellation\nlog:\n%s", r.log)
		return nil
	}
}

// startErr runs serve with args and env, expecting it to fail at start.
func startErr(t *testing.T, env map[string]string, args ...string) (error, string) {
	t.Helper()
	var log syncBuffer
	e := Env{Stdout: io.Discard, Stderr: &log, Getenv: func(k string) string { return env[k] }}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args = append([]string{"serve", "--s3-addr", "127.0.0.1:0",
		"--admin-addr", "127.0.0.1:0"}, args...)
	err := Run(ctx, args, e)
	if err == nil {
		t.Fatalf("serve %v started and stopped without error", args)
	}
	return err, log.String()
}

var credentialsFormat = regexp.MustCompile(
	`\A\[default\]\naws_access_key_id = (GH[A-Z2-7]{18})\naws_secret_access_key = ([A-Za-z0-9_-]{40})\n\z`)

func TestFirstStartCreatesDataDirAndCredentialsFile(t *testing.T) {
	data := filepath.Join(t.TempDir(), "nested", "gatehouse-data")
	r := startServe(t, nil, "--data", data)

	fi, err := os.Stat(data)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir: %v, %v; want a directory with mode 0700", fi, err)
	}
	path := filepath.Join(data, "admin.credentials")
	fi, err = os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin.credentials: %v, %v; want mode 0600", fi, err)
	}
	content, _ := os.ReadFile(path)
	m := credentialsFormat.FindStringSubmatch(string(content))
	if m == nil {
		t.Fatalf("admin.credentials is not in the expected format:\n%s", content)
	}
	id, secret := m[1], m[2]

	out := r.stdout.String()
	for _, want := range []string{
		"Gatehouse S3 endpoint: " + r.endpoint + "\n",
		"Access key ID:     " + id + "\n",
		"Secret access key: " + secret + "\n",
		"export AWS_ACCESS_KEY_ID=" + id + "\n",
		"export AWS_SECRET_ACCESS_KEY=" + secret + "\n",
		"export AWS_ENDPOINT_URL=" + r.endpoint + "\n",
		"export AWS_DEFAULT_REGION=us-east-1\n",
		"[gatehouse]\n  aws_access_key_id = " + id + "\n  aws_secret_access_key = " + secret + "\n",
		"[profile gatehouse]\n  region = us-east-1\n  endpoint_url = " + r.endpoint + "\n" +
			"  s3 =\n    signature_version = s3v4\n",
		"--endpoint-url " + r.endpoint,
		path,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q; it was:\n%s", want, out)
		}
	}

	if err := r.stop(); err != nil {
		t.Errorf("serve returned %v after a clean stop", err)
	}
	assertNoSecret(t, r.log.String(), secret)
	for _, want := range []string{`msg="gatehouse starting"`, `msg="serving S3"`,
		`msg="gatehouse stopped"`, "access_key_id=" + id} {
		if !strings.Contains(r.log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, r.log)
		}
	}
}

func assertNoSecret(t *testing.T, log, secret string) {
	t.Helper()
	if secret == "" {
		t.Fatal("assertNoSecret: empty secret")
	}
	if log == "" {
		t.Fatal("assertNoSecret: empty log, nothing was checked")
	}
	if strings.Contains(log, secret) {
		t.Errorf("the log contains the secret:\n%s", log)
	}
}

func TestSecondStartReusesCredentialsAndPrintsNoSecret(t *testing.T) {
	data := t.TempDir()
	first := startServe(t, nil, "--data", data)
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(data, "admin.credentials")
	before, _ := os.ReadFile(path)
	m := credentialsFormat.FindStringSubmatch(string(before))
	if m == nil {
		t.Fatalf("admin.credentials after first start:\n%s", before)
	}

	second := startServe(t, nil, "--data", data)
	if err := second.stop(); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("second start changed admin.credentials:\n%s\n---\n%s", before, after)
	}
	out := second.stdout.String()
	want := "Gatehouse S3 endpoint: " + second.endpoint + "\n" +
		"Gatehouse admin API:   " + second.admin + "\n" +
		"Admin credential:      " + path + "\n"
	if out != want {
		t.Errorf("second start printed:\n%s\nwant:\n%s", out, want)
	}
	assertNoSecret(t, second.log.String(), m[2])
}

func TestKeysFromEnvironmentAreUsedAndWinOverTheFile(t *testing.T) {
	data := t.TempDir()
	path := filepath.Join(data, "admin.credentials")
	env1 := map[string]string{
		"GATEHOUSE_ADMIN_ACCESS_KEY": "GHENVKEY000000001",
		"GATEHOUSE_ADMIN_SECRET_KEY": "first-secret-0123456789",
	}
	env2 := map[string]string{
		"GATEHOUSE_ADMIN_ACCESS_KEY": "GHENVKEY000000002",
		"GATEHOUSE_ADMIN_SECRET_KEY": "second-secret-0123456789",
	}
	wantFile := func(env map[string]string) string {
		return "[default]\naws_access_key_id = " + env["GATEHOUSE_ADMIN_ACCESS_KEY"] +
			"\naws_secret_access_key = " + env["GATEHOUSE_ADMIN_SECRET_KEY"] + "\n"
	}
	steps := []struct {
		name       string
		env        map[string]string
		wantFile   string
		wantSecret bool // whether stdout shows the secret
	}{
		{"first start takes the environment", env1, wantFile(env1), true},
		{"same keys again: nothing new to show", env1, wantFile(env1), false},
		{"other keys rewrite the file", env2, wantFile(env2), true},
		{"no environment: the file's keys", nil, wantFile(env2), false},
	}
	for _, step := range steps {
		r := startServe(t, step.env, "--data", data)
		if err := r.stop(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		got, _ := os.ReadFile(path)
		if diff := cmp.Diff(step.wantFile, string(got)); diff != "" {
			t.Errorf("%s: admin.credentials (-want +got):\n%s", step.name, diff)
		}
		secret := env2["GATEHOUSE_ADMIN_SECRET_KEY"]
		if step.env != nil {
			secret = step.env["GATEHOUSE_ADMIN_SECRET_KEY"]
		}
		if shown := strings.Contains(r.stdout.String(), secret); shown != step.wantSecret {
			t.Errorf("%s: stdout shows the secret: %v, want %v", step.name, shown, step.wantSecret)
		}
		assertNoSecret(t, r.log.String(), secret)
	}
}

func TestBadAdminKeysInEnvironmentStopTheStart(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"access key without secret",
			map[string]string{"GATEHOUSE_ADMIN_ACCESS_KEY": "GHENVKEY000000001"},
			"GATEHOUSE_ADMIN_ACCESS_KEY is set but GATEHOUSE_ADMIN_SECRET_KEY is not"},
		{"secret without access key",
			map[string]string{"GATEHOUSE_ADMIN_SECRET_KEY": "lonely-secret-0123456789"},
			"GATEHOUSE_ADMIN_SECRET_KEY is set but GATEHOUSE_ADMIN_ACCESS_KEY is not"},
		{"access key too short",
			map[string]string{"GATEHOUSE_ADMIN_ACCESS_KEY": "admin",
				"GATEHOUSE_ADMIN_SECRET_KEY": "a-good-secret-0123456789"},
			`access key ID "admin": want 16 to 128`},
		{"secret with a space",
			map[string]string{"GATEHOUSE_ADMIN_ACCESS_KEY": "GHENVKEY000000001",
				"GATEHOUSE_ADMIN_SECRET_KEY": "correct horse battery staple"},
			"secret key for GHENVKEY000000001: want 16 to 128"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			err, log := startErr(t, tc.env, "--data", data)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
			if s := tc.env["GATEHOUSE_ADMIN_SECRET_KEY"]; s != "" {
				if strings.Contains(err.Error(), s) || strings.Contains(log, s) {
					t.Errorf("the secret appears in the error or the log")
				}
			}
			if _, err := os.Stat(filepath.Join(data, "admin.credentials")); err == nil {
				t.Errorf("admin.credentials was written despite the error")
			}
		})
	}
}

func TestStartOnATakenPortWritesNoCredentialUnshown(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	data := t.TempDir()

	err, _ = startErr(t, nil, "--data", data, "--s3-addr", taken.Addr().String())
	if !strings.Contains(err.Error(), "listen") {
		t.Errorf("err = %v, want a listen error", err)
	}
	path := filepath.Join(data, "admin.credentials")
	if _, err := os.Stat(path); err == nil {
		t.Fatal("admin.credentials was written by a start that could not listen")
	}

	// The next start that serves is the first: it shows the secret.
	r := startServe(t, nil, "--data", data)
	r.stop()
	content, _ := os.ReadFile(path)
	m := credentialsFormat.FindStringSubmatch(string(content))
	if m == nil || !strings.Contains(r.stdout.String(), "Secret access key: "+m[2]+"\n") {
		t.Errorf("the start after a failed one did not show the new secret:\n%s",
			r.stdout)
	}
}

func TestSharedCredentialsFileIsWarnedAbout(t *testing.T) {
	data := t.TempDir()
	if err := startServe(t, nil, "--data", data).stop(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(data, "admin.credentials")
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	r := startServe(t, nil, "--data", data)
	r.stop()
	if !strings.Contains(r.log.String(), "readable by other users") {
		t.Errorf("no warning for mode 0640 in log:\n%s", r.log)
	}
}

func TestConfigFileAppliesAndFlagsOverrideIt(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gatehouse.yaml")
	yaml := "data: " + filepath.Join(dir, "from-file") + "\n" +
		"region: eu-west-1\nlog-format: json\nlog-level: debug\nshutdown-timeout: 7s\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	got, err := serveSettings(Env{}, []string{"--config", file, "--region", "eu-north-1",
		"--log-level", "info"})
	if err != nil {
		t.Fatal(err)
	}
	want := config.Serve{
		Data:            filepath.Join(dir, "from-file"),
		S3Addr:          config.DefaultS3Addr,
		AdminAddr:       config.DefaultAdminAddr,
		Region:          "eu-north-1",
		LogFormat:       "json",
		LogLevel:        "info",
		ShutdownTimeout: 7 * time.Second,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}

	// The file reaches the running server: JSON log lines, its data dir.
	r := startServe(t, nil, "--config", file)
	r.stop()
	first, _, _ := strings.Cut(r.log.String(), "\n")
	var line map[string]any
	if err := json.Unmarshal([]byte(first), &line); err != nil {
		t.Errorf("first log line is not JSON: %q: %v", first, err)
	}
	if line["region"] != "eu-west-1" {
		t.Errorf("start line region = %v, want eu-west-1 from the file", line["region"])
	}
	if _, err := os.Stat(filepath.Join(dir, "from-file", "admin.credentials")); err != nil {
		t.Errorf("data dir from the config file was not used: %v", err)
	}
}

func TestConfigFileWithUnknownKeyIsRefusedClearly(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gatehouse.yaml")
	os.WriteFile(file, []byte("data: ./x\nadmin-secret: hunter2hunter2hunter2\n"), 0o600)
	err, _ := startErr(t, nil, "--config", file)
	for _, want := range []string{file, "line 2", `unknown setting "admin-secret"`, "s3-addr"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to mention %q", err, want)
		}
	}
}

func TestMissingConfigFileIsAnError(t *testing.T) {
	err, _ := startErr(t, nil, "--config", filepath.Join(t.TempDir(), "absent.yaml"))
	if !strings.Contains(err.Error(), "absent.yaml") {
		t.Errorf("err = %q, want it to name the file", err)
	}
}

func TestHealthAnswersWithoutCredentials(t *testing.T) {
	r := startServe(t, nil, "--data", t.TempDir())
	resp, err := http.Get(r.endpoint + "/-/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /-/health: %s, want 200", resp.Status)
	}
}

func TestEndpointURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:7700": "http://127.0.0.1:7700",
		"0.0.0.0:80":     "http://127.0.0.1:80",
		"[::]:7700":      "http://127.0.0.1:7700",
		"[::1]:9":        "http://[::1]:9",
	} {
		ta, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := endpointURL(ta); got != want {
			t.Errorf("endpointURL(%s) = %s, want %s", addr, got, want)
		}
	}
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// runWith runs gatehouse with args, the environment vars and stdin.
func runWith(t *testing.T, vars map[string]string, stdin string, args ...string) (
	string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return vars[k] }}
	err := Run(context.Background(), args, env)
	return out.String(), errOut.String(), err
}

// field returns the value after "prefix" on the line of out starting
// with it, failing the test if there is none.
func field(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %q line in:\n%s", prefix, out)
	return ""
}

// TestAdminClientCommandsEndToEnd drives apikey and access register,
// revoke and unregister against an in-process server, and uses the
// printed S3 credential with aws-sdk-go-v2.
func TestAdminClientCommandsEndToEnd(t *testing.T) {
	isolateAWSEnv(t)
	ctx := context.Background()
	data := t.TempDir()
	r := startServe(t, testKeys, "--data", data)
	vars := map[string]string{envAdminURL: r.admin,
		envAdminAccessKey: testKeys[envAdminAccessKey],
		envAdminSecretKey: testKeys[envAdminSecretKey]}
	run := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, err := runWith(t, vars, stdin, args...)
		if err != nil {
			t.Fatalf("gatehouse %s: %v\nstderr: %s", args[:2], err, errOut)
		}
		return out
	}
	admin := s3Client(r.endpoint, testKeys[envAdminAccessKey], testKeys[envAdminSecretKey])
	for _, b := range []string{"cust-a", "cust-b"} {
		_, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
		if err != nil {
			t.Fatalf("create %s: %v", b, err)
		}
	}

	// Create an API key; both list formats show it.
	out := run("", "apikey", "create", "customer a")
	keyID, root := field(t, out, "api_key_id:"), field(t, out, "grant:")
	if list := run("", "apikey", "list"); !strings.Contains(list, keyID) ||
		!strings.Contains(list, "customer a") || strings.Contains(list, root) {
		t.Fatalf("apikey list:\n%s", list)
	}
	var rows []apiKeyRow
	if err := json.Unmarshal([]byte(run("", "apikey", "list", "--json")), &rows); err != nil ||
		len(rows) != 1 || rows[0].ID != keyID || rows[0].Name != "customer a" {
		t.Fatalf("apikey list --json: %v %+v", err, rows)
	}
	// The credential file in --data works without the environment's keys.
	fileOnly := map[string]string{}
	out, errOut, err := runWith(t, fileOnly, "", "apikey", "list", "--admin-url", r.admin,
		"--data", data)
	if err != nil || !strings.Contains(out, keyID) {
		t.Fatalf("apikey list with --data: %v\n%s%s", err, out, errOut)
	}

	// Restrict offline, register with the server, use the printed keys.
	restricted := strings.TrimSpace(run("", "access", "restrict", "--path", "cust-a", root))
	out = run(restricted+"\n", "access", "register", "--format", "env", "-")
	id := field(t, out, "export AWS_ACCESS_KEY_ID=")
	secret := field(t, out, "export AWS_SECRET_ACCESS_KEY=")
	if ep := field(t, out, "export AWS_ENDPOINT_URL="); ep != r.endpoint {
		t.Fatalf("register printed endpoint %q, want %q", ep, r.endpoint)
	}
	cust := s3Client(r.endpoint, id, secret)
	_, err = cust.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cust-a"),
		Key: aws.String("k"), Body: strings.NewReader("hello")})
	if err != nil {
		t.Fatalf("PutObject with the registered credential: %v", err)
	}
	_, err = cust.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cust-b"),
		Key: aws.String("k"), Body: strings.NewReader("intruder")})
	wantCode(t, "PutObject in cust-b", err, "AccessDenied")

	// The aws format is a credentials-file profile the file reader accepts.
	out = run("", "access", "register", "--public", "--format", "aws", "--profile", "default",
		restricted)
	if k, err := readCredentialsFromString(t, out); err != nil || k.Secret == "" ||
		!strings.Contains(out, "endpoint_url = "+r.endpoint) {
		t.Fatalf("register --format aws: %v\n%s", err, out)
	}

	// Revoke: the next request fails.
	run(restricted, "access", "revoke", "-")
	_, err = cust.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("cust-a"),
		Key: aws.String("k")})
	wantCode(t, "GetObject after revoke", err, "InvalidAccessKeyId")

	// Unregister and delete; doing either twice is a clear 404.
	run("", "access", "unregister", id)
	_, _, err = runWith(t, vars, "", "access", "unregister", id)
	wantErr(t, err, "access unregister: no such access key (HTTP 404)")
	run("", "apikey", "delete", keyID)
	_, _, err = runWith(t, vars, "", "apikey", "delete", keyID)
	wantErr(t, err, "apikey delete: no such api key (HTTP 404)")

	// A wrong admin secret in the environment is refused clearly.
	wrong := map[string]string{envAdminURL: r.admin,
		envAdminAccessKey: testKeys[envAdminAccessKey],
		envAdminSecretKey: "wrong-secret-0123456789abcdef"}
	_, _, err = runWith(t, wrong, "", "apikey", "create", "x")
	wantErr(t, err, "apikey create: authentication failed")
	wantErr(t, err, "(HTTP 403)")
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("the error quotes the secret: %v", err)
	}
}

func readCredentialsFromString(t *testing.T, s string) (adminKeys, error) {
	t.Helper()
	dir := t.TempDir()
	path := dir + "/credentials"
	if err := writeFileAtomic(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return readCredentialsFile(path, slog.New(slog.DiscardHandler))
}

func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
}

// TestAdminClientNamesTheURLWhenNothingListens checks the hint for a
// server that is not running.
func TestAdminClientNamesTheURLWhenNothingListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	vars := map[string]string{envAdminAccessKey: testKeys[envAdminAccessKey],
		envAdminSecretKey: testKeys[envAdminSecretKey]}
	_, _, err = runWith(t, vars, "", "apikey", "list", "--admin-url", url)
	wantErr(t, err, "apikey list: nothing answers at "+url)
	wantErr(t, err, "gatehouse serve")
}

// TestAdminClientWithoutCredentialSaysWhereToPutIt checks the error when
// neither the environment nor the data directory holds the credential.
func TestAdminClientWithoutCredentialSaysWhereToPutIt(t *testing.T) {
	_, _, err := runWith(t, nil, "", "apikey", "list", "--data", t.TempDir())
	wantErr(t, err, "apikey list: no admin credential: set GATEHOUSE_ADMIN_ACCESS_KEY")
	_, _, err = runWith(t, nil, "", "apikey", "delete")
	wantErr(t, err, "want one API key ID")
	_, _, err = runWith(t, nil, newTestGrant(t).s, "access", "register", "--format", "yaml")
	if !errors.Is(err, ErrUsage) {
		t.Fatalf("register --format yaml: %v, want a usage error", err)
	}
	wantErr(t, err, `unknown --format "yaml"`)
}

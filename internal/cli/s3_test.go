package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// These tests drive `gatehouse serve`, as started by Run, with the
// aws-sdk-go-v2 client at its default settings (checksums included).

var testKeys = map[string]string{
	"GATEHOUSE_ADMIN_ACCESS_KEY": "GHCLITESTKEY00001",
	"GATEHOUSE_ADMIN_SECRET_KEY": "cli-test-secret-0123456789abcdef",
}

func s3Client(endpoint, id, secret string) *s3.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
}

// isolateAWSEnv keeps the machine's AWS settings out of the SDK.
func isolateAWSEnv(t *testing.T) {
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_CONFIG_FILE",
		"AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(v, "")
	}
}

// printedProfile cuts the aws CLI profile snippets out of the first
// start's stdout and writes them as a credentials and a config file.
func printedProfile(t *testing.T, stdout string) (credsFile, configFile string) {
	t.Helper()
	re := regexp.MustCompile(`(?s)add to ~/\.aws/credentials\n\n(.*?)\n\nand to ~/\.aws/config\n\n(.*?)\n\n`)
	m := re.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no profile snippets in stdout:\n%s", stdout)
	}
	unindent := func(s string) []byte {
		return []byte(strings.ReplaceAll("\n"+s, "\n  ", "\n")[1:] + "\n")
	}
	dir := t.TempDir()
	credsFile, configFile = filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	os.WriteFile(credsFile, unindent(m[1]), 0o600)
	os.WriteFile(configFile, unindent(m[2]), 0o600)
	return credsFile, configFile
}

func TestPrintedProfileWorksWithTheSDK(t *testing.T) {
	isolateAWSEnv(t)
	ctx := context.Background()
	data := t.TempDir()
	r := startServe(t, nil, "--data", data)

	// Load the profile exactly as printed, endpoint included.
	credsFile, configFile := printedProfile(t, r.stdout.String())
	cfg, err := awsconfig.LoadDefaultConfig(ctx,
		awsconfig.WithSharedConfigProfile("gatehouse"),
		awsconfig.WithSharedCredentialsFiles([]string{credsFile}),
		awsconfig.WithSharedConfigFiles([]string{configFile}))
	if err != nil {
		t.Fatal(err)
	}
	cl := s3.NewFromConfig(cfg)

	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("tour")}); err != nil {
		t.Fatalf("CreateBucket with the printed profile: %v", err)
	}
	content := []byte("hello, gatehouse\n")
	_, err = cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tour"),
		Key: aws.String("dir/hello.txt"), Body: bytes.NewReader(content)})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	got, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("tour"),
		Key: aws.String("dir/hello.txt")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(body, content) {
		t.Errorf("GetObject returned %q, want %q", body, content)
	}
	list, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("tour")})
	if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "dir/hello.txt" {
		t.Errorf("ListObjectsV2: %v, %v; want the one key", list, err)
	}

	// A presigned GET works with a plain HTTP client, as curl would use it.
	ps, err := s3.NewPresignClient(cl).PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String("tour"), Key: aws.String("dir/hello.txt")},
		s3.WithPresignExpires(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(ps.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, content) {
		t.Errorf("presigned GET: %s %q", resp.Status, body)
	}

	r.stop()
	m := credentialsFormat.FindStringSubmatch(readFile(t, filepath.Join(data, "admin.credentials")))
	assertNoSecret(t, r.log.String(), m[2])
}

func TestWrongSecretIsRefused(t *testing.T) {
	r := startServe(t, testKeys, "--data", t.TempDir())
	cl := s3Client(r.endpoint, testKeys["GATEHOUSE_ADMIN_ACCESS_KEY"], "not-the-secret-0123456789")
	_, err := cl.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "SignatureDoesNotMatch" {
		t.Fatalf("ListBuckets with a wrong secret: %v, want SignatureDoesNotMatch", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// slowPut sends a PUT of content to key, signed by the SDK's signer over
// the content's SHA-256, whose body is fed through the returned pipe
// writer by the caller, as slowly as it likes.
func slowPut(t *testing.T, endpoint, key string, content []byte) (*io.PipeWriter, <-chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPut, endpoint+"/drain/"+key, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(content))
	sum := sha256.Sum256(content)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: testKeys["GATEHOUSE_ADMIN_ACCESS_KEY"],
		SecretAccessKey: testKeys["GATEHOUSE_ADMIN_SECRET_KEY"]}
	err = v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", "us-east-1",
		time.Now())
	if err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- err
			return
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = errors.New(resp.Status + ": " + string(msg))
		}
		done <- err
	}()
	return pw, done
}

func TestStopDrainsAnInFlightUpload(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	r := startServe(t, testKeys, "--data", data, "--shutdown-timeout", "30s")
	cl := s3Client(r.endpoint, testKeys["GATEHOUSE_ADMIN_ACCESS_KEY"],
		testKeys["GATEHOUSE_ADMIN_SECRET_KEY"])
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("drain")}); err != nil {
		t.Fatal(err)
	}

	content := make([]byte, 1<<20)
	rand.Read(content)
	const chunk = 64 << 10
	pw, putDone := slowPut(t, r.endpoint, "slow.bin", content)
	pw.Write(content[:chunk])
	time.Sleep(100 * time.Millisecond) // let the server take the request in

	// Stop the server, as SIGTERM does, while the body is still coming.
	stopped := make(chan error, 1)
	stopAt := time.Now()
	go func() { stopped <- r.stop() }()
	for off := chunk; off < len(content); off += chunk {
		time.Sleep(40 * time.Millisecond)
		pw.Write(content[off : off+chunk])
	}
	pw.Close()

	if err := <-putDone; err != nil {
		t.Fatalf("the in-flight PUT failed during shutdown: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("serve returned %v after draining", err)
	}
	if d := time.Since(stopAt); d > 30*time.Second {
		t.Errorf("serve took %v to stop, beyond its 30s shutdown timeout", d)
	}

	// After a restart the object is there, whole.
	r2 := startServe(t, testKeys, "--data", data)
	cl = s3Client(r2.endpoint, testKeys["GATEHOUSE_ADMIN_ACCESS_KEY"],
		testKeys["GATEHOUSE_ADMIN_SECRET_KEY"])
	out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("drain"),
		Key: aws.String("slow.bin")})
	if err != nil {
		t.Fatalf("GetObject after restart: %v", err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, content) {
		t.Errorf("object after restart: %d bytes, not the %d uploaded", len(got), len(content))
	}
}

func TestStopCutsOffAnUploadThatOutlivesTheTimeoutAndPublishesNothing(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	r := startServe(t, testKeys, "--data", data, "--shutdown-timeout", "300ms")
	cl := s3Client(r.endpoint, testKeys["GATEHOUSE_ADMIN_ACCESS_KEY"],
		testKeys["GATEHOUSE_ADMIN_SECRET_KEY"])
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("drain")}); err != nil {
		t.Fatal(err)
	}

	content := make([]byte, 1<<20)
	rand.Read(content)
	pw, putDone := slowPut(t, r.endpoint, "stalled.bin", content)
	defer pw.Close()
	pw.Write(content[:64<<10]) // ...and nothing more
	time.Sleep(100 * time.Millisecond)

	stopAt := time.Now()
	err := r.stop()
	if err == nil || !strings.Contains(err.Error(), "drain in-flight requests") {
		t.Errorf("serve returned %v, want an error about cut-off requests", err)
	}
	if d := time.Since(stopAt); d > 10*time.Second {
		t.Errorf("serve took %v to stop with a 300ms shutdown timeout", d)
	}
	// The client's transport waits for its body writer before it reports
	// the closed connection; release it.
	pw.CloseWithError(errors.New("test: body abandoned"))
	if err := <-putDone; err == nil {
		t.Errorf("the stalled PUT succeeded")
	}

	// After a restart the key does not exist: nothing half-written.
	r2 := startServe(t, testKeys, "--data", data)
	cl = s3Client(r2.endpoint, testKeys["GATEHOUSE_ADMIN_ACCESS_KEY"],
		testKeys["GATEHOUSE_ADMIN_SECRET_KEY"])
	_, err = cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("drain"),
		Key: aws.String("stalled.bin")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NotFound" {
		t.Errorf("HeadObject of the cut-off upload: %v, want NotFound", err)
	}
}

func TestServeRefusesRequestsSignedForAnotherRegion(t *testing.T) {
	isolateAWSEnv(t)
	ctx := context.Background()
	r := startServe(t, testKeys, "--data", t.TempDir(), "--region", "eu-west-1")
	id, secret := testKeys["GATEHOUSE_ADMIN_ACCESS_KEY"], testKeys["GATEHOUSE_ADMIN_SECRET_KEY"]

	_, err := s3Client(r.endpoint, id, secret).ListBuckets(ctx, &s3.ListBucketsInput{})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AuthorizationHeaderMalformed" {
		t.Errorf("us-east-1 client on an eu-west-1 server: %v, want AuthorizationHeaderMalformed",
			err)
	}

	c := s3.NewFromConfig(aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(r.endpoint)
		o.UsePathStyle = true
	})
	if _, err := c.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Errorf("eu-west-1 client on an eu-west-1 server: %v", err)
	}
}

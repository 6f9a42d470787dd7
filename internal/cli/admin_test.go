package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/grant"
)

// adminCall sends a JSON request to the admin API of r, signed with SigV4
// by id and secret, and decodes a JSON answer into out when out is not nil.
// It returns the status and the raw body.
func adminCall(t *testing.T, r *running, id, secret, method, path string, in, out any) (
	int, string) {
	t.Helper()
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, r.admin+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	req.Header.Set("Content-Type", "application/json")
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	err = v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", "us-east-1",
		time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, string(raw)
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
}

// TestRegisteredGrantIsConfinedAndRevocable drives the admin API and the
// S3 port together: an API key's grant, restricted offline to one bucket
// and registered, works there, is refused elsewhere, and stops working at
// the request right after its revocation.
func TestRegisteredGrantIsConfinedAndRevocable(t *testing.T) {
	isolateAWSEnv(t)
	ctx := context.Background()
	r := startServe(t, testKeys, "--data", t.TempDir())
	adminID := testKeys["GATEHOUSE_ADMIN_ACCESS_KEY"]
	adminSecret := testKeys["GATEHOUSE_ADMIN_SECRET_KEY"]
	admin := s3Client(r.endpoint, adminID, adminSecret)
	call := func(method, path string, in, out any) (int, string) {
		t.Helper()
		return adminCall(t, r, adminID, adminSecret, method, path, in, out)
	}
	for _, b := range []string{"cust-a", "cust-b"} {
		_, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
		if err != nil {
			t.Fatalf("create %s: %v", b, err)
		}
	}

	// A wrong secret, or no signature at all, gets 403.
	if code, body := adminCall(t, r, adminID, "wrong-secret-0123456789abcdef", "GET",
		"/v1/apikeys", nil, nil); code != http.StatusForbidden || !strings.Contains(body, `"error"`) {
		t.Fatalf("wrong secret: %d %s, want 403 with a JSON error", code, body)
	}
	if resp, err := http.Get(r.admin + "/v1/apikeys"); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("anonymous: %d, want 403", resp.StatusCode)
	}

	// Create an API key; listing shows it and never a secret.
	var createdJSON struct {
		APIKeyID string `json:"api_key_id"`
		Grant    string `json:"grant"`
	}
	if code, body := call("POST", "/v1/apikeys",
		map[string]string{"name": "customer a"}, &createdJSON); code != http.StatusCreated {
		t.Fatalf("create api key: %d %s", code, body)
	}
	code, list := call("GET", "/v1/apikeys", nil, nil)
	if code != http.StatusOK || !strings.Contains(list, createdJSON.APIKeyID) ||
		!strings.Contains(list, "customer a") || strings.Contains(list, createdJSON.Grant) {
		t.Fatalf("list api keys: %d %s", code, list)
	}

	// Restrict the root grant offline to cust-a and register it.
	g, err := grant.Parse(createdJSON.Grant)
	if err != nil {
		t.Fatal(err)
	}
	if g.Endpoint != r.endpoint || len(g.EncryptionAccess) != 0 {
		t.Fatalf("root grant: endpoint %q, %d keys", g.Endpoint, len(g.EncryptionAccess))
	}
	g.Macaroon, err = g.Macaroon.Restrict(grant.Caveat{
		AllowedPaths: []grant.Path{{Bucket: gatehouse.BucketName("cust-a")}}})
	if err != nil {
		t.Fatal(err)
	}
	restricted, err := g.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	var reg struct {
		ID       string `json:"access_key_id"`
		Secret   string `json:"secret_key"`
		Endpoint string `json:"endpoint"`
	}
	if code, body := call("POST", "/v1/access",
		map[string]any{"access_grant": restricted, "public": false}, &reg); code != http.StatusCreated {
		t.Fatalf("register: %d %s", code, body)
	}
	if reg.ID == "" || reg.Secret == "" || reg.Endpoint != r.endpoint {
		t.Fatalf("register answered %q, secret set %v, endpoint %q", reg.ID, reg.Secret != "",
			reg.Endpoint)
	}
	// The registered key is not an admin key.
	code, _ = adminCall(t, r, reg.ID, reg.Secret, "GET", "/v1/apikeys", nil, nil)
	if code != http.StatusForbidden {
		t.Fatalf("customer key on the admin API: %d, want 403", code)
	}

	// The customer works in cust-a and nowhere else.
	cust := s3Client(reg.Endpoint, reg.ID, reg.Secret)
	content := "hello, customer a"
	_, err = cust.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cust-a"),
		Key: aws.String("greeting.txt"), Body: strings.NewReader(content)})
	if err != nil {
		t.Fatalf("PutObject in cust-a: %v", err)
	}
	out, err := cust.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("cust-a"),
		Key: aws.String("greeting.txt")})
	if err != nil {
		t.Fatalf("GetObject in cust-a: %v", err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || string(got) != content {
		t.Fatalf("GetObject in cust-a read %q, %v", got, err)
	}
	_, err = cust.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cust-b"),
		Key: aws.String("x"), Body: strings.NewReader("intruder")})
	wantCode(t, "PutObject in cust-b", err, "AccessDenied")
	_, err = cust.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("cust-b")})
	wantCode(t, "ListObjectsV2 on cust-b", err, "AccessDenied")

	// ListBuckets shows the confined customer only its own bucket, while
	// the admin sees both.
	custBuckets, err := cust.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("customer ListBuckets: %v", err)
	}
	var names []string
	for _, b := range custBuckets.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	if len(names) != 1 || names[0] != "cust-a" {
		t.Errorf("customer ListBuckets = %q, want only cust-a", names)
	}

	// Revoke the grant: the very next request fails.
	if code, body := call("POST", "/v1/access/revoke",
		map[string]string{"access_grant": restricted}, nil); code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", code, body)
	}
	_, err = cust.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("cust-a"),
		Key: aws.String("greeting.txt")})
	wantCode(t, "GetObject after revocation", err, "InvalidAccessKeyId")

	// Unregistering, and deleting the API key, answer 204 then 404.
	path := "/v1/access/" + reg.ID
	if code, body := call("DELETE", path, nil, nil); code != http.StatusNoContent {
		t.Fatalf("unregister: %d %s", code, body)
	}
	if code, _ := call("DELETE", path, nil, nil); code != http.StatusNotFound {
		t.Fatalf("unregister twice: %d, want 404", code)
	}
	path = "/v1/apikeys/" + createdJSON.APIKeyID
	if code, body := call("DELETE", path, nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete api key: %d %s", code, body)
	}
	if code, _ := call("DELETE", path, nil, nil); code != http.StatusNotFound {
		t.Fatalf("delete api key twice: %d, want 404", code)
	}

	// Bad input gets clear errors, and no secret reaches the log.
	if code, body := call("POST", "/v1/access",
		map[string]string{"access_grant": "gh_nonsense"}, nil); code != http.StatusBadRequest ||
		!strings.Contains(body, "access_grant") {
		t.Fatalf("register garbage: %d %s", code, body)
	}
	big := map[string]string{"name": strings.Repeat("x", 70<<10)}
	if code, _ := call("POST", "/v1/apikeys", big, nil); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d, want 413", code)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	log := r.log.String()
	for _, s := range []string{reg.Secret, restricted, createdJSON.Grant, adminSecret} {
		if strings.Contains(log, s) {
			t.Fatalf("the log holds a secret or grant:\n%s", log)
		}
	}
}

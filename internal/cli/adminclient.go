package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// envAdminURL names the admin API's base URL for the client commands.
const envAdminURL = "GATEHOUSE_ADMIN_URL"

// Defaults for the admin client: the address `serve` listens on for the
// admin API, and the data directory it uses.
const (
	defaultAdminURL = "http://127.0.0.1:7702"
	defaultDataDir  = "./gatehouse-data"
)

// adminOpts are the flags every admin client command takes. No flag
// carries a secret: secrets come from the environment or the data
// directory's credential file, so they never show in a process listing.
type adminOpts struct {
	url    string
	data   string
	region string
}

func addAdminFlags(f *flags) *adminOpts {
	o := &adminOpts{}
	f.StringVar(&o.url, "admin-url", "",
		"admin API `URL` (default $"+envAdminURL+", else "+defaultAdminURL+")")
	f.StringVar(&o.data, "data", "", "data `dir` holding admin.credentials "+
		"(used when $"+envAdminAccessKey+" is unset, or when given; default "+
		defaultDataDir+")")
	f.StringVar(&o.region, "region", "us-east-1", "`region` to sign admin requests for")
	return o
}

// adminClient calls the admin API, signing every request with SigV4 by
// the administrator credential over the SHA-256 of its body, as the admin
// package requires.
type adminClient struct {
	url    string
	region string
	keys   adminKeys // Secret is never logged or printed
	http   *http.Client
}

// client resolves the endpoint and the credential. The URL comes from
// --admin-url, then $GATEHOUSE_ADMIN_URL, then the default. The keys come
// from <--data>/admin.credentials when --data is given, else from the
// environment, else from the default data directory's file.
func (o *adminOpts) client(env Env) (*adminClient, error) {
	c := &adminClient{url: o.url, region: o.region,
		http: &http.Client{Timeout: time.Minute}}
	if c.url == "" {
		c.url = env.getenv(envAdminURL)
	}
	if c.url == "" {
		c.url = defaultAdminURL
	}
	c.url = strings.TrimRight(c.url, "/")

	if o.data == "" {
		k, ok, err := adminKeysFromEnv(env)
		if err != nil {
			return nil, err
		}
		if ok {
			c.keys = k
			return c, nil
		}
	}
	dir := o.data
	if dir == "" {
		dir = defaultDataDir
	}
	var w io.Writer = io.Discard
	if env.Stderr != nil {
		w = env.Stderr
	}
	log := slog.New(slog.NewTextHandler(w, nil))
	k, err := readCredentialsFile(filepath.Join(dir, adminCredentialsFile), log)
	if err != nil {
		return nil, fmt.Errorf("no admin credential: set %s and %s, or pass --data: %w",
			envAdminAccessKey, envAdminSecretKey, err)
	}
	c.keys = k
	return c, nil
}

// call sends in as JSON with method to path and decodes a 2xx answer into
// out when out is not nil. An error answer becomes "op: message (HTTP n)".
func (c *adminClient) call(ctx context.Context, op, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	req, err := c.request(ctx, method, path, body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("%s: nothing answers at %s; is `gatehouse serve` running "+
				"there? (set --admin-url or %s)", op, c.url, envAdminURL)
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", op, err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Error == "" {
			e.Error = http.StatusText(resp.StatusCode)
		}
		return fmt.Errorf("%s: %s (HTTP %d)", op, e.Error, resp.StatusCode)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s: answer is not the expected JSON: %w", op, err)
		}
	}
	return nil
}

// request builds the signed request. The payload hash is signed, so the
// server can tell the body was not swapped.
func (c *adminClient) request(ctx context.Context, method, path string,
	body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("admin URL %q: %w", c.url, err)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	creds := aws.Credentials{AccessKeyID: string(c.keys.AccessKeyID),
		SecretAccessKey: c.keys.Secret}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "s3", c.region,
		time.Now()); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return req, nil
}

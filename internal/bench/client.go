package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Credentials sign the bench's requests. Formatting a Credentials value
// with %v or %s never shows the secret.
type Credentials struct {
	AccessKeyID string
	SecretKey   string
}

// String shows the access key ID only.
func (c Credentials) String() string { return c.AccessKeyID + ":<secret redacted>" }

// GoString shows the access key ID only, also under %#v.
func (c Credentials) GoString() string { return c.String() }

// LoadCredentialsFile reads the [default] section of a file in AWS
// credentials-file format, such as the admin.credentials file Gatehouse
// writes. A file with a single section is read whatever its name.
func LoadCredentialsFile(path string) (Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("read credentials: %w", err)
	}
	defer f.Close()

	sections := map[string]map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = strings.TrimSpace(line[1 : len(line)-1])
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			if sections[section] == nil {
				sections[section] = map[string]string{}
			}
			sections[section][strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return Credentials{}, fmt.Errorf("read credentials %s: %w", path, err)
	}
	return pickCredentials(path, sections)
}

// pickCredentials chooses the section LoadCredentialsFile reads.
func pickCredentials(path string, sections map[string]map[string]string) (Credentials, error) {
	kv, ok := sections["default"]
	if !ok && len(sections) == 1 {
		for _, only := range sections {
			kv = only
		}
	}
	c := Credentials{AccessKeyID: kv["aws_access_key_id"], SecretKey: kv["aws_secret_access_key"]}
	if c.AccessKeyID == "" || c.SecretKey == "" {
		return Credentials{}, fmt.Errorf(
			"read credentials %s: no [default] aws_access_key_id and aws_secret_access_key", path)
	}
	return c, nil
}

// unsignedPayload is the x-amz-content-sha256 value that leaves the body
// out of the signature, so that the client does not hash what it sends
// ("Signature Calculations for the Authorization Header", AWS S3 API
// Reference). Both targets get it, so the client cost is the same.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// client sends SigV4-signed path-style S3 requests with net/http. It is
// lighter than the SDK's S3 client: no retries, no checksums, no
// middleware, so that what is measured is mostly the server.
type client struct {
	base   url.URL
	http   *http.Client
	signer *v4.Signer
	creds  aws.Credentials
	region string
}

// newClient returns a client of endpoint that keeps up to conns idle
// connections open.
func newClient(endpoint string, creds Credentials, region string, conns int) (*client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid endpoint %q: want http://host:port", endpoint)
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
		WriteBufferSize:     64 << 10,
		ReadBufferSize:      64 << 10,
	}
	return &client{
		base: url.URL{Scheme: u.Scheme, Host: u.Host},
		http: &http.Client{Transport: tr},
		// S3 signs the path as sent, without escaping it a second time.
		signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }),
		creds:  aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretKey},
		region: region,
	}, nil
}

// close drops the client's idle connections.
func (c *client) close() { c.http.CloseIdleConnections() }

// statusError is a response the bench did not expect.
type statusError struct {
	method, path string
	status       int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %s", e.method, e.path, e.status, e.body)
}

// do signs and sends a request for bucket and key (key may be empty) and
// returns the response when its status is 2xx. Any other status becomes a
// *statusError quoting the start of the body.
func (c *client) do(ctx context.Context, method, bucket, key string,
	body io.Reader, size int64) (*http.Response, error) {
	u := c.base
	u.Path = "/" + bucket
	if key != "" {
		u.Path += "/" + key
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", method, u.Path, err)
	}
	req.ContentLength = size
	if size == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	err = c.signer.SignHTTP(ctx, c.creds, req, unsignedPayload, "s3", c.region, time.Now())
	if err != nil {
		return nil, fmt.Errorf("sign %s %s: %w", method, u.Path, err)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u.Path, err)
	}
	if resp.StatusCode/100 != 2 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, &statusError{method, u.Path, resp.StatusCode, string(snippet)}
	}
	return resp, nil
}

// drain reads what is left of a response body and closes it, so that the
// connection can be reused.
func drain(resp *http.Response) error {
	_, err := io.Copy(io.Discard, resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	return err
}

// createBucket creates bucket. A bucket the caller already owns is fine.
func (c *client) createBucket(ctx context.Context, bucket string) error {
	resp, err := c.do(ctx, http.MethodPut, bucket, "", nil, 0)
	var se *statusError
	if errors.As(err, &se) && se.status == http.StatusConflict &&
		strings.Contains(se.body, "BucketAlreadyOwnedByYou") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create bucket: %w", err)
	}
	return drain(resp)
}

// deleteBucket deletes an empty bucket.
func (c *client) deleteBucket(ctx context.Context, bucket string) error {
	resp, err := c.do(ctx, http.MethodDelete, bucket, "", nil, 0)
	if err != nil {
		return fmt.Errorf("delete bucket: %w", err)
	}
	return drain(resp)
}

// put uploads the object's content under key.
func (c *client) put(ctx context.Context, bucket, key string, obj content) error {
	resp, err := c.do(ctx, http.MethodPut, bucket, key, obj.reader(), obj.size)
	if err != nil {
		return err
	}
	return drain(resp)
}

// get downloads key and checks that it holds exactly obj's bytes.
func (c *client) get(ctx context.Context, bucket, key string, obj content, s *scratch) error {
	resp, err := c.do(ctx, http.MethodGet, bucket, key, nil, 0)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := obj.verify(resp.Body, s); err != nil {
		return fmt.Errorf("GET %s/%s: %w", bucket, key, err)
	}
	return nil
}

// remove deletes key.
func (c *client) remove(ctx context.Context, bucket, key string) error {
	resp, err := c.do(ctx, http.MethodDelete, bucket, key, nil, 0)
	if err != nil {
		return err
	}
	return drain(resp)
}

package sigv4_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// trickyKeys are object keys whose encodings differ between clients or
// that a server could normalise by mistake.
var trickyKeys = []string{
	"plain.txt",
	"with space.txt",
	"plus+sign",
	"100% done",
	"tilde~file",
	"sub-delims !*'()&$,;=@:",
	"brackets [x] {y}",
	"question?mark#hash",
	"ünïcødé/ファイル",
	"emoji 😀 file",
	"double//slash",
	"trailing/",
	"/leading-slash",
	"dir/./dot/../segments",
	"literal%2Fpercent-2F",
	"back\\slash",
}

// TestAWSSDKClientKeys drives aws-sdk-go-v2's S3 client, with its default
// checksum settings, against the verifying server: every tricky key must
// PUT and GET back intact.
func TestAWSSDKClientKeys(t *testing.T) {
	s := newVerifyServer(t, nil)
	client := s3.New(s3.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(s.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(testAKID, testSecret, ""),
	})
	ctx := context.Background()
	for _, key := range trickyKeys {
		t.Run(key, func(t *testing.T) {
			body := []byte("content of " + key)
			_, err := client.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String("bkt"), Key: aws.String(key),
				Body: bytes.NewReader(body), ContentType: aws.String("text/plain"),
			})
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			if o := s.lastOutcome(); o.Path != "/bkt/"+key {
				t.Errorf("server saw path %q, want %q", o.Path, "/bkt/"+key)
			}
			out, err := client.GetObject(ctx, &s3.GetObjectInput{
				Bucket: aws.String("bkt"), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			got, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if !bytes.Equal(got, body) {
				t.Errorf("GetObject returned %q, want %q", got, body)
			}
		})
	}
}

// TestTLSClientsTrailers uploads over HTTPS, where aws-sdk-go-v2 sends
// a body of unknown length as STREAMING-UNSIGNED-PAYLOAD-TRAILER with an
// x-amz-checksum-* trailer and minio-go sends its checksum as a trailer
// too; the server must decode the body and collect the trailer.
func TestTLSClientsTrailers(t *testing.T) {
	s := newTLSVerifyServer(t)
	body := payloadOf(300000)
	ctx := context.Background()

	sdk := s3.New(s3.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(s.URL),
		UsePathStyle: true,
		HTTPClient:   s.Client(),
		Credentials:  credentials.NewStaticCredentialsProvider(testAKID, testSecret, ""),
	})
	_, err := sdk.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("bkt"), Key: aws.String("sdk streamed key"),
		Body:              io.NopCloser(bytes.NewReader(body)),
		ContentLength:     aws.Int64(int64(len(body))),
		ChecksumAlgorithm: "CRC32",
	})
	if err != nil {
		t.Fatalf("aws-sdk-go-v2 PutObject: %v", err)
	}
	o := s.lastOutcome()
	if o.Payload != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" {
		t.Errorf("aws-sdk-go-v2 sent x-amz-content-sha256 %q", o.Payload)
	}
	if o.BodySHA != sha256Hex(body) || o.Trailer["X-Amz-Checksum-Crc32"] != crc32Base64(body) {
		t.Errorf("aws-sdk-go-v2 upload: body sha %s, trailer %v", o.BodySHA, o.Trailer)
	}

	mc, err := minio.New(strings.TrimPrefix(s.URL, "https://"), &minio.Options{
		Creds:           miniocreds.NewStaticV4(testAKID, testSecret, ""),
		Region:          testRegion,
		Secure:          true,
		Transport:       s.Client().Transport,
		TrailingHeaders: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkMinioTrailer(t, s, mc, body, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
}

// TestMinioClientSignedTrailer uploads with minio-go over plain HTTP with
// a checksum, which it sends as STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER:
// signed chunks and a signed trailer.
func TestMinioClientSignedTrailer(t *testing.T) {
	s := newVerifyServer(t, nil)
	mc, err := minio.New(strings.TrimPrefix(s.URL, "http://"), &minio.Options{
		Creds:           miniocreds.NewStaticV4(testAKID, testSecret, ""),
		Region:          testRegion,
		TrailingHeaders: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkMinioTrailer(t, s, mc, payloadOf(200000), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
}

func checkMinioTrailer(t *testing.T, s *verifyServer, mc *minio.Client, body []byte,
	mode string) {
	t.Helper()
	_, err := mc.PutObject(context.Background(), "bkt", "minio trailer key",
		bytes.NewReader(body), int64(len(body)),
		minio.PutObjectOptions{Checksum: minio.ChecksumCRC32})
	if err != nil {
		t.Fatalf("minio-go PutObject: %v", err)
	}
	o := s.lastOutcome()
	if o.Payload != mode {
		t.Errorf("minio-go sent x-amz-content-sha256 %q, want %q", o.Payload, mode)
	}
	if o.BodySHA != sha256Hex(body) {
		t.Errorf("minio-go upload: body sha %s", o.BodySHA)
	}
	if got := o.Trailer["X-Amz-Checksum-Crc32"]; got != crc32Base64(body) {
		t.Errorf("minio-go trailer crc32 = %q, want %q", got, crc32Base64(body))
	}
}

// TestMinioClientKeys drives minio-go's client, which over plain HTTP
// signs every chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, with a checksum
// trailer), against the verifying server.
func TestMinioClientKeys(t *testing.T) {
	s := newVerifyServer(t, nil)
	client, err := minio.New(strings.TrimPrefix(s.URL, "http://"), &minio.Options{
		Creds:  miniocreds.NewStaticV4(testAKID, testSecret, ""),
		Region: testRegion,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, key := range trickyKeys {
		if strings.HasPrefix(key, "/") || strings.Contains(key, "/./") {
			continue // minio-go refuses or rewrites these object names itself
		}
		t.Run(key, func(t *testing.T) {
			body := payloadOf(70000 + len(key))
			_, err := client.PutObject(ctx, "bkt", key, bytes.NewReader(body), int64(len(body)),
				minio.PutObjectOptions{ContentType: "application/octet-stream"})
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			o := s.lastOutcome()
			if o.Path != "/bkt/"+key || o.BodySHA != sha256Hex(body) {
				t.Errorf("server saw path %q, body sha %s", o.Path, o.BodySHA)
			}
			if !strings.HasPrefix(o.Payload, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
				t.Errorf("minio-go sent x-amz-content-sha256 %q, want signed chunks", o.Payload)
			}
			obj, err := client.GetObject(ctx, "bkt", key, minio.GetObjectOptions{})
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			got, err := io.ReadAll(obj)
			obj.Close()
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("GetObject: %d bytes, %v", len(got), err)
			}
		})
	}
}

package s3api

import (
	"context"
	"log/slog"
	"time"
)

// AccessRecord is the one log record written per request. It never holds
// secrets, signatures or a query string: a presigned URL's X-Amz-Signature
// is in its query, so the query is not recorded at all.
type AccessRecord struct {
	RequestID string `json:"request_id"`
	// Operation is the S3 operation name, for example "PutObject".
	Operation string `json:"op"`
	Method    string `json:"method"`
	Bucket    string `json:"bucket,omitempty"`
	Key       string `json:"key,omitempty"`
	// Status is the HTTP status sent. When Canceled, the client may
	// never have read it.
	Status int `json:"status"`
	// ErrorCode is the S3 error code, or "" on success.
	ErrorCode string `json:"error,omitempty"`
	// BytesIn counts request body bytes as received on the wire; BytesOut
	// counts response body bytes written.
	BytesIn  int64         `json:"bytes_in"`
	BytesOut int64         `json:"bytes_out"`
	Duration time.Duration `json:"duration"`
	// AccessKeyID is set once the request's signature has been verified.
	AccessKeyID string `json:"access_key_id,omitempty"`
	RemoteAddr  string `json:"remote_addr"`
	// Canceled reports that the client seemed to go away before the
	// response was complete; it is not a server error.
	Canceled bool `json:"canceled,omitempty"`
}

// log writes the record as one line, with attribute names matching the
// JSON tags above.
func (a *AccessRecord) log(ctx context.Context, l *slog.Logger) {
	attrs := []slog.Attr{
		slog.String("request_id", a.RequestID),
		slog.String("op", a.Operation),
		slog.String("method", a.Method),
		slog.String("bucket", a.Bucket),
		slog.String("key", a.Key),
		slog.Int("status", a.Status),
		slog.String("error", a.ErrorCode),
		slog.Int64("bytes_in", a.BytesIn),
		slog.Int64("bytes_out", a.BytesOut),
		slog.Duration("duration", a.Duration),
		slog.String("access_key_id", a.AccessKeyID),
		slog.String("remote_addr", a.RemoteAddr),
	}
	if a.Canceled {
		attrs = append(attrs, slog.Bool("canceled", true))
	}
	l.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}

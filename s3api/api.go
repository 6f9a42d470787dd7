// Package s3api serves the Amazon S3 REST API over HTTP.
//
// (API sketch written by the lead so that the CLI can compile against it;
// the implementation replaces the body. Keep the exported names.)
package s3api

import (
	"log/slog"
	"net/http"
	"time"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/sigv4"
)

// Config configures the S3 handler.
type Config struct {
	// Store keeps the buckets and objects. Policy stages (encryption,
	// quotas) wrap it before it gets here.
	Store gatehouse.ObjectStore
	// Verifier authenticates every request.
	Verifier *sigv4.Verifier
	// Domain enables virtual-hosted-style requests: a Host of
	// "<bucket>.<Domain>" addresses that bucket. Empty disables them.
	Domain string
	// Region is returned by GetBucketLocation; empty means us-east-1.
	Region string
	// Logger receives one access record per request; nil discards.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// New returns the S3 API handler. It also answers GET /-/health.
func New(cfg Config) http.Handler {
	panic("s3api: New not yet written")
}

// Package s3api serves the Amazon S3 REST API over HTTP.
//
// The handler authenticates every request (except GET /-/health) with
// SigV4, asks the credential's policy whether the operation is allowed,
// and then talks only to a gatehouse.ObjectStore. Stages such as
// encryption wrap that store; this package knows nothing of them.
//
// What it protects against: unauthenticated or unauthorized requests
// (refused before any store access), oversized headers, metadata and XML
// bodies (bounded before they are read into memory), and leaks in logs
// (the access record never carries secrets, signatures or the query
// string of a presigned URL). It does not protect against a client that
// is allowed an operation using it heavily; rate limits live elsewhere.
//
// Handlers return errors; one wrapper (see serve.go) renders them as S3
// XML, recovers panics, stamps the request ID and writes one access record
// per request.
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
	// quotas) wrap it before it gets here. It must not be nil.
	Store gatehouse.ObjectStore
	// Verifier authenticates every request. It must not be nil.
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

// New returns the S3 API handler. It also answers GET /-/health. The
// handler is safe for concurrent use. New panics if cfg.Store or
// cfg.Verifier is nil, which is a programming error.
func New(cfg Config) http.Handler {
	if cfg.Store == nil || cfg.Verifier == nil {
		panic("s3api: Config.Store and Config.Verifier are required")
	}
	h := &handler{
		store:    cfg.Store,
		verifier: cfg.Verifier,
		domain:   normalizeHost(cfg.Domain),
		region:   cfg.Region,
		log:      cfg.Logger,
		now:      cfg.Now,
	}
	if h.region == "" {
		h.region = gatehouse.DefaultRegion
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// handler is the S3 API. Its fields are set once by New.
type handler struct {
	store    gatehouse.ObjectStore
	verifier *sigv4.Verifier
	domain   string
	region   string
	log      *slog.Logger
	now      func() time.Time
}

// Package storetest is the conformance suite every gatehouse.ObjectStore
// must pass: today the local backend, later an upstream S3 one. It knows
// nothing of any backend; it uses only the interface and the contracts in
// its doc comments.
package storetest

import (
	"slices"
	"testing"

	"gatehouse.dev/gatehouse"
)

// Run runs the suite. newStore returns a fresh, empty store for each
// subtest and arranges (with t.Cleanup) for its release.
func Run(t *testing.T, newStore func(t *testing.T) gatehouse.ObjectStore) {
	groups := []struct {
		name  string
		tests map[string]func(*testing.T, gatehouse.ObjectStore)
	}{
		{"Buckets", bucketTests},
		{"Objects", objectTests},
		{"Conditions", conditionTests},
		{"Aborts", abortTests},
		{"Multipart", multipartTests},
		{"Checksums", checksumTests},
		{"Listing", listingTests},
		{"Uploads", uploadListingTests},
		{"Concurrency", concurrencyTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, name := range sortedNames(g.tests) {
				t.Run(name, func(t *testing.T) {
					g.tests[name](t, newStore(t))
				})
			}
		})
	}
}

func sortedNames(m map[string]func(*testing.T, gatehouse.ObjectStore)) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

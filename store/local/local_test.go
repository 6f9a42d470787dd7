package local_test

import (
	"context"
	"testing"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/store/local"
	"gatehouse.dev/gatehouse/store/storetest"
)

func newStore(t *testing.T) gatehouse.ObjectStore {
	return openStore(t, t.TempDir())
}

func openStore(t *testing.T, dir string) *local.Store {
	t.Helper()
	s, err := local.Open(context.Background(), dir, local.Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, newStore)
}

package chain_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth/chain"
	"gatehouse.dev/gatehouse/auth/static"
	"gatehouse.dev/gatehouse/grant"
	"gatehouse.dev/gatehouse/registry"
)

func TestStaticFirstThenRegistryThenUnknown(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "registry.db")
	reg, err := registry.Open(ctx, path, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	m, err := reg.CreateAPIKey(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	id, secret, err := reg.Register(ctx, grant.Grant{Macaroon: m, Endpoint: "http://x"}, false)
	if err != nil {
		t.Fatal(err)
	}
	admin := gatehouse.Credential{AccessKeyID: "ADMINADMINADMIN1", Secret: "s3cr3ts3cr3ts3cr3t",
		Principal: "admin", Policy: gatehouse.AllowAll{}}
	r := chain.Resolver{static.New(admin), reg}

	got, err := r.Resolve(ctx, admin.AccessKeyID)
	if err != nil || got.Principal != "admin" || got.Secret != admin.Secret {
		t.Fatalf("admin: got %+v, %v", got, err)
	}
	got, err = r.Resolve(ctx, id)
	if err != nil || got.Secret != secret || got.AccessKeyID != id {
		t.Fatalf("registered: got %v, %v", got != nil, err)
	}
	unknowns := []gatehouse.AccessKeyID{"NOSUCHKEYNOSUCHKEY", "GHAAAAAAAAAAAAAAAAAAAAAAAAAA"}
	for _, unknown := range unknowns {
		if _, err := r.Resolve(ctx, unknown); !errors.Is(err, gatehouse.ErrInvalidAccessKeyID) {
			t.Errorf("%s: err = %v, want InvalidAccessKeyId", unknown, err)
		}
	}
	_, err = chain.Resolver{}.Resolve(ctx, "X")
	if !errors.Is(err, gatehouse.ErrInvalidAccessKeyID) {
		t.Errorf("empty chain: err = %v", err)
	}

	// A revoked registered key is unknown, not an internal error.
	if err := reg.Revoke(ctx, grant.Grant{Macaroon: m}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(ctx, id); !errors.Is(err, gatehouse.ErrInvalidAccessKeyID) {
		t.Errorf("revoked: err = %v, want InvalidAccessKeyId", err)
	}
}

type failing struct{}

func (failing) Resolve(context.Context, gatehouse.AccessKeyID) (*gatehouse.Credential, error) {
	return nil, errors.New("disk on fire")
}

func TestOtherErrorsStopTheSearch(t *testing.T) {
	admin := gatehouse.Credential{AccessKeyID: "ADMINADMINADMIN1", Secret: "s3cr3ts3cr3ts3cr3t"}
	r := chain.Resolver{failing{}, static.New(admin)}
	_, err := r.Resolve(context.Background(), admin.AccessKeyID)
	if err == nil || errors.Is(err, gatehouse.ErrInvalidAccessKeyID) {
		t.Fatalf("err = %v, want the failure", err)
	}
}

package static

import (
	"context"
	"errors"
	"testing"

	"gatehouse.dev/gatehouse"
)

func TestResolveKnownKeyReturnsItsSecretAndPolicy(t *testing.T) {
	r := New(gatehouse.Credential{AccessKeyID: "AK", Secret: "s3cr3t", Policy: gatehouse.AllowAll{}})
	c, err := r.Resolve(context.Background(), "AK")
	if err != nil {
		t.Fatal(err)
	}
	if c.Secret != "s3cr3t" {
		t.Errorf("secret = %q, want s3cr3t", c.Secret)
	}
	if err := c.Policy.Allow(context.Background(), gatehouse.AccessRequest{}); err != nil {
		t.Errorf("AllowAll policy refused: %v", err)
	}
}

func TestResolveUnknownKeyIsInvalidAccessKeyID(t *testing.T) {
	r := New(gatehouse.Credential{AccessKeyID: "AK", Secret: "x"})
	_, err := r.Resolve(context.Background(), "OTHER")
	if !errors.Is(err, gatehouse.ErrInvalidAccessKeyID) {
		t.Fatalf("err = %v, want InvalidAccessKeyId", err)
	}
}

func TestCredentialWithoutPolicyIsDeniedEverything(t *testing.T) {
	r := New(gatehouse.Credential{AccessKeyID: "AK", Secret: "x"})
	c, _ := r.Resolve(context.Background(), "AK")
	req := gatehouse.AccessRequest{Action: gatehouse.ActionRead}
	err := c.Policy.Allow(context.Background(), req)
	if !errors.Is(err, gatehouse.ErrAccessDenied) {
		t.Fatalf("err = %v, want AccessDenied", err)
	}
}

func TestResolvedCopyCannotChangeResolver(t *testing.T) {
	r := New(gatehouse.Credential{AccessKeyID: "AK", Secret: "x"})
	c, _ := r.Resolve(context.Background(), "AK")
	c.Secret = "changed"
	c2, _ := r.Resolve(context.Background(), "AK")
	if c2.Secret != "x" {
		t.Fatalf("resolver secret changed through a returned copy")
	}
}

// Package static resolves access keys from a fixed set of credentials held
// in memory, such as the administrator credential. Issue 3 replaces it with
// the grant-backed resolver; both implement gatehouse.CredentialResolver.
package static

import (
	"context"
	"fmt"

	"gatehouse.dev/gatehouse"
)

// Resolver is a fixed set of credentials. It is safe for concurrent use.
type Resolver struct {
	creds map[gatehouse.AccessKeyID]gatehouse.Credential
}

var _ gatehouse.CredentialResolver = (*Resolver)(nil)

// New returns a resolver for creds. A credential without a policy gets
// none at all: it is refused every action.
func New(creds ...gatehouse.Credential) *Resolver {
	r := &Resolver{creds: make(map[gatehouse.AccessKeyID]gatehouse.Credential, len(creds))}
	for _, c := range creds {
		if c.Policy == nil {
			c.Policy = denyAll{}
		}
		r.creds[c.AccessKeyID] = c
	}
	return r
}

// Resolve implements gatehouse.CredentialResolver. It returns a copy, so
// callers cannot change the resolver's credentials.
func (r *Resolver) Resolve(
	_ context.Context, id gatehouse.AccessKeyID,
) (*gatehouse.Credential, error) {
	c, ok := r.creds[id]
	if !ok {
		return nil, fmt.Errorf("resolve %q: %w", id, gatehouse.ErrInvalidAccessKeyID)
	}
	return &c, nil
}

type denyAll struct{}

func (denyAll) Allow(context.Context, gatehouse.AccessRequest) error {
	return gatehouse.ErrAccessDenied
}

// Package chain composes credential resolvers: the first one that knows
// an access key ID answers for it.
package chain

import (
	"context"
	"errors"
	"fmt"

	"gatehouse.dev/gatehouse"
)

// Resolver asks each of its resolvers in order. A resolver that returns
// an error wrapping gatehouse.ErrInvalidAccessKeyID passes the question
// on; any other error stops the search and is returned, so that a failing
// registry is never mistaken for an unknown key. It is safe for concurrent
// use if its resolvers are.
type Resolver []gatehouse.CredentialResolver

var _ gatehouse.CredentialResolver = Resolver(nil)

// Resolve implements gatehouse.CredentialResolver. When no resolver knows
// id, the error of the last one is returned (it wraps
// gatehouse.ErrInvalidAccessKeyID).
func (c Resolver) Resolve(ctx context.Context, id gatehouse.AccessKeyID) (
	*gatehouse.Credential, error) {
	last := error(gatehouse.ErrInvalidAccessKeyID)
	for _, r := range c {
		cred, err := r.Resolve(ctx, id)
		if err == nil {
			return cred, nil
		}
		if !errors.Is(err, gatehouse.ErrInvalidAccessKeyID) {
			return nil, fmt.Errorf("resolve access key: %w", err)
		}
		last = err
	}
	return nil, last
}

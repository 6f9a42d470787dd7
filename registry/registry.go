package registry

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gatehouse.dev/gatehouse/grant"
	"gatehouse.dev/gatehouse/internal/sqldb"
)

// DefaultProject is the ID of the project created at first open. The data
// model carries project IDs so that more projects can come later.
const DefaultProject = "default"

// Options configure a Registry. The zero value is usable.
type Options struct {
	// Now is the clock for expiry, time caveats and timestamps; nil means
	// time.Now.
	Now func() time.Time
}

// Registry is the access metadata database. It is safe for concurrent use.
type Registry struct {
	db  *sqldb.DB
	now func() time.Time

	// records caches unsealed, verified records by lookup hash. Records
	// are immutable; see the package doc for what is checked every time.
	records cache
}

// ErrUnknownAPIKey is wrapped by errors about an API key that does not
// exist (or no longer does).
var ErrUnknownAPIKey = errors.New("unknown api key")

// Open opens (creating if needed) the registry database at path, and
// creates the default project with a random salt on first open.
func Open(ctx context.Context, path string, opts Options) (*Registry, error) {
	db, err := sqldb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open registry: %w", err)
	}
	r := &Registry{db: db, now: opts.Now}
	if r.now == nil {
		r.now = time.Now
	}
	if err := r.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open registry %s: %w", path, err)
	}
	return r, nil
}

func (r *Registry) init(ctx context.Context) error {
	// Create the schema and the default project in one transaction.
	var salt [32]byte
	rand.Read(salt[:]) // never fails (crypto/rand)
	err := r.db.Write(ctx, func(tx *sqldb.Tx) error {
		for _, q := range schema {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("create schema: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, qInsProject, DefaultProject, salt[:])
		return err
	})
	if err != nil {
		return err
	}
	return r.db.Prepare(ctx, qProject, qAPIKeySecret, qCredential)
}

// Close closes the database.
func (r *Registry) Close() error { return r.db.Close() }

// ProjectSalt returns the default project's salt, which passphrase-derived
// root keys are salted with. It is not secret.
func (r *Registry) ProjectSalt(ctx context.Context) ([]byte, error) {
	var salt []byte
	err := r.db.Reader().QueryRowContext(ctx, qProject, DefaultProject).Scan(&salt)
	if err != nil {
		return nil, fmt.Errorf("project salt: %w", err)
	}
	return salt, nil
}

// APIKey describes an API key; it never holds the secret.
type APIKey struct {
	ID        string // grant.APIKeyID of the head
	ProjectID string
	Name      string
	Created   time.Time
}

// CreateAPIKey creates an API key named name in the default project and
// returns its root macaroon, which allows everything. The secret stays in
// the database; the returned macaroon is the only way to use the key.
func (r *Registry) CreateAPIKey(ctx context.Context, name string) (grant.Macaroon, error) {
	var head [32]byte
	secret := make([]byte, 32)
	rand.Read(head[:])
	rand.Read(secret)
	m, err := grant.NewMacaroon(head, secret)
	if err != nil {
		return grant.Macaroon{}, fmt.Errorf("create api key: %w", err)
	}
	err = r.db.Write(ctx, func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, qInsAPIKey, grant.APIKeyID(head), DefaultProject,
			head[:], secret, name, r.now().Unix())
		return err
	})
	if err != nil {
		return grant.Macaroon{}, fmt.Errorf("create api key %q: %w", name, err)
	}
	return m, nil
}

// ListAPIKeys returns every API key, oldest first.
func (r *Registry) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := r.db.Reader().QueryContext(ctx, qAPIKeys)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	defer rows.Close()
	var keys []APIKey
	for rows.Next() {
		var k APIKey
		var created int64
		if err := rows.Scan(&k.ID, &k.ProjectID, &k.Name, &created); err != nil {
			return nil, fmt.Errorf("list api keys: %w", err)
		}
		k.Created = time.Unix(created, 0).UTC()
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return keys, nil
}

// DeleteAPIKey deletes the API key id with its registered credentials and
// revocations. Every grant derived from it stops verifying at once: its
// secret is gone.
func (r *Registry) DeleteAPIKey(ctx context.Context, id string) error {
	err := r.db.Write(ctx, func(tx *sqldb.Tx) error {
		for _, q := range []string{qDelAPIKeyCreds, qDelAPIKeyRevs} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, qDelAPIKey, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrUnknownAPIKey
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete api key %s: %w", id, err)
	}
	return nil
}

// apiKeySecret returns the secret of the API key id.
func (r *Registry) apiKeySecret(ctx context.Context, id string) ([]byte, error) {
	var secret []byte
	err := r.db.Reader().QueryRowContext(ctx, qAPIKeySecret, id).Scan(&secret)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("api key %s: %w", id, ErrUnknownAPIKey)
	}
	if err != nil {
		return nil, fmt.Errorf("api key %s: %w", id, err)
	}
	return secret, nil
}

// verify checks g's macaroon against its API key and returns its caveats
// and revocation IDs.
func (r *Registry) verify(ctx context.Context, g grant.Grant) (
	string, []grant.Caveat, []grant.RevocationID, error) {
	id := grant.APIKeyID(g.Macaroon.Head())
	secret, err := r.apiKeySecret(ctx, id)
	if err != nil {
		return "", nil, nil, err
	}
	caveats, ids, err := g.Macaroon.Verified(secret)
	if err != nil {
		return "", nil, nil, err
	}
	return id, caveats, ids, nil
}

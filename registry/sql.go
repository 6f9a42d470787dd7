package registry

import "strconv"

// Every SQL statement the registry runs lives in this file.
//
// The schema uses plain types and $N placeholders, so that it also runs on
// PostgreSQL, where BLOB would be declared BYTEA. Times are Unix seconds;
// an expiry of 0 means none. Binary identifiers (hashes) are BLOBs.

var schema = []string{
	`CREATE TABLE IF NOT EXISTS projects (
		id   TEXT PRIMARY KEY,
		salt BLOB NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS api_keys (
		id         TEXT PRIMARY KEY,
		project_id TEXT NOT NULL REFERENCES projects (id),
		head       BLOB NOT NULL,
		secret     BLOB NOT NULL,
		name       TEXT NOT NULL,
		created    BIGINT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS credentials (
		lookup     BLOB PRIMARY KEY,
		record     BLOB NOT NULL,
		expires    BIGINT NOT NULL,
		public     BOOLEAN NOT NULL,
		api_key_id TEXT NOT NULL REFERENCES api_keys (id)
	)`,
	`CREATE INDEX IF NOT EXISTS credentials_api_key ON credentials (api_key_id)`,
	`CREATE TABLE IF NOT EXISTS revocations (
		revocation_id BLOB PRIMARY KEY,
		api_key_id    TEXT NOT NULL,
		created       BIGINT NOT NULL
	)`,
}

const (
	qProject    = `SELECT salt FROM projects WHERE id = $1`
	qInsProject = `INSERT INTO projects (id, salt) VALUES ($1, $2) ON CONFLICT DO NOTHING`
	qInsAPIKey  = `INSERT INTO api_keys (id, project_id, head, secret, name, created)
		VALUES ($1, $2, $3, $4, $5, $6)`
	qAPIKeys        = `SELECT id, project_id, name, created FROM api_keys ORDER BY created, id`
	qAPIKeySecret   = `SELECT secret FROM api_keys WHERE id = $1`
	qDelAPIKeyCreds = `DELETE FROM credentials WHERE api_key_id = $1`
	qDelAPIKeyRevs  = `DELETE FROM revocations WHERE api_key_id = $1`
	qDelAPIKey      = `DELETE FROM api_keys WHERE id = $1`

	qInsCredential = `INSERT INTO credentials (lookup, record, expires, public, api_key_id)
		VALUES ($1, $2, $3, $4, $5)`
	qDelCredential = `DELETE FROM credentials WHERE lookup = $1`
	// qCredential joins the API key, so that a credential whose key was
	// deleted resolves to nothing even if a row were left behind.
	qCredential = `SELECT c.record, c.api_key_id, k.secret
		FROM credentials c JOIN api_keys k ON k.id = c.api_key_id
		WHERE c.lookup = $1`

	qInsRevocation = `INSERT INTO revocations (revocation_id, api_key_id, created)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
)

// qRevoked returns the query counting how many of n revocation IDs are
// revoked. A chain has at most grant.MaxCaveats+1 IDs, so there are few
// distinct queries, and each is prepared once.
func qRevoked(n int) string {
	q := make([]byte, 0, 64+5*n)
	q = append(q, "SELECT COUNT(*) FROM revocations WHERE revocation_id IN ("...)
	for i := range n {
		if i > 0 {
			q = append(q, ',')
		}
		q = append(q, '$')
		q = strconv.AppendInt(q, int64(i+1), 10)
	}
	return string(append(q, ')'))
}

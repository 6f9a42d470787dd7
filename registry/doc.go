// Package registry keeps Gatehouse's access metadata: the project, its API
// keys, the registered S3 credentials and the revocations. Its
// [Registry.Resolve] is the grant-backed gatehouse.CredentialResolver: an
// access key ID becomes a credential whose policy enforces the caveats of
// the grant it was registered for.
//
// # Threat model
//
// A registered credential is a grant in disguise, so its record holds
// everything the grant holds: the macaroon, the encryption keys and the
// S3 secret key. The registry protects these records against whoever
// obtains a copy of the database (a backup, a stolen disk, a curious
// operator with sqlite3) but not the access key IDs. Each record is
// sealed with AES-256-GCM under a key derived from its access key ID
// (HKDF-SHA256, RFC 5869) and found by the SHA-256 of that ID, so the
// database alone reveals neither grants nor secrets. The access key ID
// carries 130 random bits, so the lookup hash cannot be inverted by
// guessing. Whoever knows an access key ID can unseal its record; access
// key IDs are not secret in S3 (they travel in every request), so this
// protects copies of the database, not the running server's traffic.
//
// The registry does not protect against an attacker who holds the API
// key secrets, which are stored in the clear: they are what verifies
// grants, and whoever has them can mint any grant for the project. They
// guard permissions, not data; the data is encrypted under keys derived
// from customers' passphrases, which the server never stores.
//
// # Freshness
//
// Records are immutable, so Resolve caches them once unsealed and
// verified. Everything that can change is read from the database on every
// call: that the record is still registered, that its API key still
// exists, and whether any revocation ID of its chain is revoked (one
// indexed query). A revocation or an unregistration therefore takes
// effect on the very next request, on every node sharing the database;
// there is no cache to outlive it.
//
// Expiry is decided by the credential's policy at each request, with the
// registry's clock: an expired credential still resolves, so that its
// holder gets AccessDenied ("caveat ...: expired") rather than being told
// the key does not exist.
package registry

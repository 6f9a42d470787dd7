// Package grant implements access grants: capability tokens that say what
// their holder may do in Gatehouse, and carry the keys to read what the
// holder may read. The package is pure: it does no I/O and keeps no state.
//
// # Threat model
//
// A grant protects against a holder who wants more than they were given.
// Its permissions are a chain of caveats, each sealed into an HMAC-SHA256
// chain that starts from the secret of an API key, which only the server
// knows. Anyone holding a grant can append a caveat without asking the
// server, and so hand a narrower grant to someone else. Nobody can remove,
// reorder or edit a caveat: the final tag would change, and computing the
// right one needs either the API key secret or an intermediate tag that
// the holder never sees. Every caveat must allow a request, so appending
// one can only take rights away.
//
// A grant also protects against accidents: the serialized string carries a
// version and a checksum, so a mistyped or truncated grant is rejected with
// a clear error before anything else looks at it.
//
// Revocation is by tag: the server stores the SHA-256 of a revoked grant's
// final tag (its [RevocationID]) and refuses any request whose chain passes
// through it. Revoking a grant therefore revokes every grant derived from
// it. Only hashes of tags are stored or shown, never the tags, because a
// tag is what lets its holder append caveats.
//
// A grant does not protect against theft. It is a bearer token: whoever
// holds the string has its access and its encryption keys, so it must be
// kept like a password. Caveats limit the damage of a leak (not_after,
// allowed source addresses, allowed paths), and revocation ends it. Nor
// does a grant hide anything from its holder: the caveats and the API key
// head are readable by anyone who has the string. The endpoint and the
// encryption keys are not covered by the chain either; a holder may change
// them, which gains nothing, since the server never trusts them. Finally,
// whoever holds the server's API key secrets can mint any grant for that
// project; keeping the data itself unreadable to the operator is the job
// of package encryption, whose keys come from the customer's passphrase.
// Time caveats are only as good as the server's clock.
//
// # Formats
//
// Three binary formats are signed or checksummed, each with a version byte
// and documented next to its code: a caveat (caveat.go), a macaroon, the
// chain of caveats with its head and tail (macaroon.go), and the grant
// string (grant.go). Every decoder is strict: one value has exactly one
// encoding, and unknown versions, unknown fields and trailing bytes are
// rejected, so that two parties never read different meanings into the
// same signed bytes.
package grant

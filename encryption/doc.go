// Package encryption keeps object content and user metadata encrypted at
// rest, under keys derived from a customer's passphrase, and wraps a
// gatehouse.ObjectStore so that S3 clients never see the difference.
//
// # Threat model
//
// It protects the content of objects and their user metadata
// (x-amz-meta-*) from whoever holds the disk or a copy of the metadata
// database but not the passphrase-derived keys: a stolen disk, a leaked
// backup, the operator reading another customer's bucket. Such a holder
// sees ciphertext, and flipping, truncating, reordering or swapping any
// stored bytes makes reads fail with an error rather than return altered
// content.
//
// It does not hide object keys, bucket names, object sizes (exact to the
// byte, since StoredSize is a public function), modification times,
// ETags (the MD5 of the plaintext, which S3 clients check, so equal
// objects are visibly equal), checksums, the standard headers such as
// Content-Type, or access patterns. It does not protect against a server
// that is compromised while it serves requests: keys pass through its
// memory. A holder of a prefix key can read everything under that prefix
// and nothing else; the root key reads a whole project.
//
// # Keys
//
// RootKey stretches a passphrase with Argon2id (see the constants). From
// the root, each step is one HMAC-SHA256 with a domain-separated label:
//
//	bucket key    = HMAC(root, "gatehouse/v1/bucket\x00" || bucket)
//	component key = HMAC(parent, "gatehouse/v1/path\x00" || component)
//
// An object key is split on "/" into components ("a/b/c.txt" gives a, b,
// c.txt; "a//b" gives a, "", b), and the object's path key is the key
// after its last component. Deriving is one-way, so a key at bucket/a/
// yields the keys below it and no other.
//
// # Envelope
//
// Each single PUT, and each part of a multipart upload, is stored as one
// envelope. The layout is documented beside the code in envelope.go.
package encryption

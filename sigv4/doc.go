// Package sigv4 authenticates S3 requests signed with AWS Signature
// Version 4, in the Authorization header or in a presigned URL, including
// the aws-chunked streaming payloads whose every chunk is signed.
//
// # What it protects against
//
// A request is accepted only if its signature was made with the secret of
// a credential the CredentialResolver knows, over the method, the path as
// received, the query, every header the client chose to sign (always host
// and every x-amz-* header present) and the payload hash. So a party
// without the secret cannot forge a request, and a party on the path
// cannot alter what was signed without the request failing. A replay is
// bounded in time: header-signed requests must be dated within MaxSkew of
// the server's clock, presigned URLs within their X-Amz-Expires.
//
// The body is checked as it streams: against the signed SHA-256 in
// x-amz-content-sha256, or chunk by chunk along the signature chain of an
// aws-chunked body, so that chunks cannot be altered, reordered, dropped
// or appended. Because the body streams, the bytes of a chunk reach the
// caller before the chunk's signature can be checked; a failed check
// surfaces as a read error no later than the end of that chunk, and the
// caller must publish nothing whose body did not read cleanly to io.EOF.
//
// Signatures are compared in constant time. Secrets, signing keys and
// signatures never appear in errors or logs. Chunk framing lines and
// trailers are bounded in size so that a hostile client cannot make the
// server buffer without limit.
//
// # What it does not protect against
//
// UNSIGNED-PAYLOAD and STREAMING-UNSIGNED-PAYLOAD-TRAILER bodies are not
// covered by the signature (TLS must protect them in transit); trailing
// checksums of such bodies are collected for the checksum layer to verify.
// Within its validity window a signed request can be replayed as is. The
// package authenticates; deciding what a credential may do is the
// credential's Policy.
//
// # Unsupported schemes
//
// Signature Version 2, SigV4A (ECDSA) and temporary credentials
// (X-Amz-Security-Token) are refused with ErrAccessDenied and a message
// that says so, never silently ignored.
//
// The protocol follows the Amazon S3 API Reference, "Authenticating
// Requests (AWS Signature Version 4)" and its sub-pages on the
// Authorization header, query parameters, chunked uploads and trailing
// headers; section references below name those pages.
package sigv4

package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"

	"gatehouse.dev/gatehouse"
)

// The aws-chunked framing, from "Transferring Payload in Multiple Chunks"
// and "Signature calculations for trailing headers":
//
//	<hex-size>[;chunk-signature=<sig>]\r\n<size bytes>\r\n
//	... more chunks ...
//	0[;chunk-signature=<sig>]\r\n
//	\r\n                                       (no trailer), or
//	<name>:<value>\r\n ...                     (trailer)
//	[x-amz-trailer-signature:<sig>\r\n]        (signed trailer)
//	\r\n
//
// Limits that keep a hostile client from making the server buffer: a
// framing line is at most maxLine bytes, and a trailer at most
// maxTrailerLines lines.
const (
	maxLine         = 4 << 10
	maxTrailerLines = 16
	maxTrailTail    = 64
	readBufferSize  = 32 << 10
	trailerSigName  = "x-amz-trailer-signature"
	chunkSigPrefix  = "chunk-signature="
)

// newLineReader buffers body for reading framing lines.
func newLineReader(body io.Reader) *bufio.Reader {
	return bufio.NewReaderSize(body, readBufferSize)
}

// chunkedReader decodes an aws-chunked body, yielding only the object
// bytes and checking, when signer is set, each chunk's signature against
// the chain that starts at the request's seed signature. It is not safe
// for concurrent use (no io.Reader is).
type chunkedReader struct {
	src  *bufio.Reader
	body io.Closer

	// signer is nil for STREAMING-UNSIGNED-PAYLOAD-TRAILER.
	signer  *chunkSigner
	prevSig []byte    // the previous signature in the chain
	hash    hash.Hash // SHA-256 of the current chunk, when signed
	sig     []byte    // the signature claimed for the current chunk

	// trailer reports a trailer section; declared lists the names
	// x-amz-trailer announced.
	trailer  bool
	declared []string

	left       int64 // bytes of the current chunk still to read
	total      int64 // object bytes read so far
	decodedLen int64 // x-amz-decoded-content-length, or -1
	auth       *Auth // receives the trailer
	done       bool
	err        error
}

// Read implements io.Reader.
func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.done {
		return 0, io.EOF
	}
	if c.left == 0 {
		if err := c.nextChunk(); err != nil {
			c.err = err
			return 0, err
		}
		if c.done {
			return 0, io.EOF
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := c.readData(p)
	if err != nil {
		c.err = err
	}
	return n, err
}

// Close closes the underlying body.
func (c *chunkedReader) Close() error { return c.body.Close() }

// readData reads object bytes of the current chunk into p. When the chunk
// ends it consumes the CRLF and checks the chunk's signature, so that the
// last bytes of a forged chunk come back together with the error.
func (c *chunkedReader) readData(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.src.Read(p)
	c.left -= int64(n)
	c.total += int64(n)
	if c.hash != nil {
		c.hash.Write(p[:n])
	}
	if err == io.EOF && c.left > 0 {
		return n, errTruncated()
	}
	if err != nil && err != io.EOF {
		return n, bodyError(err)
	}
	if c.left > 0 {
		return n, nil
	}

	if err := c.readCRLF(); err != nil {
		return n, err
	}
	return n, c.checkChunk()
}

// nextChunk reads a chunk header. The final, empty chunk is followed by
// the end of the body or by the trailer, which it reads too.
func (c *chunkedReader) nextChunk() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	size, sig, err := c.parseChunkHeader(line)
	if err != nil {
		return err
	}
	if c.decodedLen >= 0 && c.total+size > c.decodedLen {
		return errMalformed("the chunks hold more than the %d bytes "+
			"x-amz-decoded-content-length declares", c.decodedLen)
	}
	c.left, c.sig = size, sig
	if c.hash != nil {
		c.hash.Reset()
	}
	if size > 0 {
		// AWS requires every chunk but the last to hold at least 8 KiB
		// ("Transferring Payload in Multiple Chunks") and answers
		// InvalidChunkSizeError. Gatehouse accepts smaller ones: minio-go
		// and aws-sdk-go-v2 always send full 64 KiB chunks, but botocore's
		// AwsChunkedWrapper sends whatever its source's read returns, and
		// aws-sdk-js-v3 sends a stream's chunks as they come unless
		// requestStreamBufferSize is set (aws/aws-sdk-js-v3#7509). A
		// signed chunk costs the server one HMAC and its sender a framing
		// line of about 85 bytes, so tiny chunks make the server's work
		// grow with what the client sends, as any body does.
		return nil
	}

	// The final chunk: its (empty) signature, the length, then the end.
	if err := c.checkChunk(); err != nil {
		return err
	}
	if c.decodedLen >= 0 && c.total != c.decodedLen {
		return errIncomplete("The aws-chunked body held %d bytes; "+
			"x-amz-decoded-content-length declared %d", c.total, c.decodedLen)
	}
	if c.trailer {
		err = c.readTrailer()
	} else {
		err = c.readEnd()
	}
	if err != nil {
		return err
	}
	c.done = true
	return nil
}

// parseChunkHeader parses "<hex-size>[;chunk-signature=<sig>]".
func (c *chunkedReader) parseChunkHeader(line []byte) (int64, []byte, error) {
	sizeHex, ext, hasExt := bytes.Cut(line, []byte{';'})
	if len(sizeHex) == 0 || len(sizeHex) > 15 {
		return 0, nil, errMalformed("chunk size %q is not hexadecimal", clip(string(sizeHex)))
	}
	size, err := strconv.ParseInt(string(sizeHex), 16, 64)
	if err != nil {
		return 0, nil, errMalformed("chunk size %q is not hexadecimal", clip(string(sizeHex)))
	}
	if c.signer == nil {
		// Unsigned chunks carry no extension the server must honour.
		return size, nil, nil
	}

	sigHex, ok := bytes.CutPrefix(ext, []byte(chunkSigPrefix))
	if !hasExt || !ok {
		return 0, nil, errMalformed("a chunk has no chunk-signature")
	}
	sig := make([]byte, 32)
	if len(sigHex) != 64 {
		return 0, nil, errMalformed("a chunk-signature is not 64 hexadecimal digits")
	}
	if _, err := hex.Decode(sig, sigHex); err != nil {
		return 0, nil, errMalformed("a chunk-signature is not 64 hexadecimal digits")
	}
	return size, sig, nil
}

// checkChunk checks the signature of the chunk just read, which covers
// the previous signature and the chunk's SHA-256, and advances the chain.
func (c *chunkedReader) checkChunk() error {
	if c.signer == nil {
		return nil
	}
	sts := chunkAlgorithm + "\n" + c.signer.amzDate + "\n" + c.signer.scope + "\n" +
		hex.EncodeToString(c.prevSig) + "\n" + emptySHA256 + "\n" +
		hex.EncodeToString(c.hash.Sum(nil))
	if !hmac.Equal(hmacSHA256(c.signer.key, sts), c.sig) {
		return errChunkSignature()
	}
	c.prevSig = c.sig
	return nil
}

// readEnd reads what follows the final chunk of a body without trailer:
// one empty line. A body that ends right after the final chunk header is
// accepted, as the framing already proved it complete.
func (c *chunkedReader) readEnd() error {
	if c.atEOF() {
		return nil
	}
	line, err := c.readLine()
	if err != nil {
		return err
	}
	if len(line) != 0 {
		return errMalformed("data follows the final chunk")
	}
	return c.readTail()
}

// readTrailer reads the trailing headers after the final chunk, checks
// them against x-amz-trailer and, for a signed trailer, checks
// x-amz-trailer-signature. It stores them in the Auth.
//
// Clients differ in line endings here (minio-go ends trailer lines with a
// bare LF and inserts an empty line before the signature), so lines may
// end in LF or CRLF and, before the signature line of a signed trailer,
// empty lines are skipped.
func (c *chunkedReader) readTrailer() error {
	var names, values []string
	var sig []byte
	for lines := 0; ; lines++ {
		if lines > maxTrailerLines {
			return errMalformed("the trailer has more than %d lines", maxTrailerLines)
		}
		if (c.signer == nil || sig != nil) && c.atEOF() {
			break // the trailer may end with the body, once complete
		}
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if len(line) == 0 {
			if c.signer != nil && sig == nil {
				continue
			}
			break
		}
		name, value, ok := strings.Cut(string(line), ":")
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if !ok || name == "" || value == "" {
			return errMalformed("a trailer line is not name:value")
		}
		if name == trailerSigName && c.signer != nil {
			if sig, err = decodeSig(value); err != nil {
				return err
			}
			continue
		}
		if sig != nil {
			return errMalformed("a trailer follows x-amz-trailer-signature")
		}
		if err := c.checkTrailerName(name, names); err != nil {
			return err
		}
		names, values = append(names, name), append(values, value)
	}

	return c.finishTrailer(names, values, sig)
}

// finishTrailer checks the trailer that was read, stores it in the Auth
// and reads to the end of the body.
func (c *chunkedReader) finishTrailer(names, values []string, sig []byte) error {
	if err := c.checkDeclared(names); err != nil {
		return err
	}
	if c.signer != nil {
		if sig == nil {
			return errMalformed("the trailer has no x-amz-trailer-signature")
		}
		if !c.trailerSignatureMatches(names, values, sig) {
			return errChunkSignature()
		}
	}
	c.auth.Trailer = make(http.Header, len(names))
	for i, n := range names {
		c.auth.Trailer[textproto.CanonicalMIMEHeaderKey(n)] = []string{values[i]}
	}
	return c.readTail()
}

// checkTrailerName accepts a trailer only if x-amz-trailer declared it
// and it has not been seen.
func (c *chunkedReader) checkTrailerName(name string, seen []string) error {
	if !slices.Contains(c.declared, name) {
		return errMalformed("the trailer %q was not declared in x-amz-trailer", clip(name))
	}
	if slices.Contains(seen, name) {
		return errMalformed("the trailer %q appears twice", clip(name))
	}
	return nil
}

// checkDeclared requires every trailer x-amz-trailer announced.
func (c *chunkedReader) checkDeclared(names []string) error {
	for _, d := range c.declared {
		if !slices.Contains(names, d) {
			return errMalformed("the trailer %q declared in x-amz-trailer is missing", clip(d))
		}
	}
	return nil
}

// trailerSignatureMatches checks the trailer signature, which covers the
// final chunk's signature and the SHA-256 of the trailing headers, each
// written "name:value\n". The specification does not fix their order for
// more than one trailer: the order sent is tried, then sorted order.
func (c *chunkedReader) trailerSignatureMatches(names, values []string, sig []byte) bool {
	orders := [][]int{make([]int, len(names))}
	for i := range names {
		orders[0][i] = i
	}
	sorted := slices.Clone(orders[0])
	slices.SortStableFunc(sorted, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	if !slices.Equal(sorted, orders[0]) {
		orders = append(orders, sorted)
	}

	for _, order := range orders {
		var canon strings.Builder
		for _, i := range order {
			canon.WriteString(names[i] + ":" + values[i] + "\n")
		}
		sts := trailerAlgorithm + "\n" + c.signer.amzDate + "\n" + c.signer.scope + "\n" +
			hex.EncodeToString(c.prevSig) + "\n" + sha256Hex(canon.String())
		if hmac.Equal(hmacSHA256(c.signer.key, sts), sig) {
			return true
		}
	}
	return false
}

// readTail reads to the end of the body, which may hold only a few
// stray line endings.
func (c *chunkedReader) readTail() error {
	tail, err := io.ReadAll(io.LimitReader(c.src, maxTrailTail+1))
	if err != nil {
		return bodyError(err)
	}
	if len(tail) > maxTrailTail || len(bytes.Trim(tail, "\r\n")) > 0 {
		return errMalformed("data follows the end of the aws-chunked body")
	}
	return nil
}

// readLine reads one framing line without its LF or CRLF ending. It
// returns ErrIncompleteBody if the body ends first.
func (c *chunkedReader) readLine() ([]byte, error) {
	line, err := c.src.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull || len(line) > maxLine:
		return nil, errMalformed("a chunk framing line is longer than %d bytes", maxLine)
	case err == io.EOF:
		return nil, errTruncated()
	case err != nil:
		return nil, bodyError(err)
	}
	line = line[:len(line)-1]
	return bytes.TrimSuffix(line, []byte{'\r'}), nil
}

// atEOF reports whether the body has ended.
func (c *chunkedReader) atEOF() bool {
	_, err := c.src.Peek(1)
	return err == io.EOF
}

// readCRLF reads the line ending that closes a chunk's data.
func (c *chunkedReader) readCRLF() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	if len(line) != 0 {
		return errMalformed("a chunk is longer than its declared size")
	}
	return nil
}

func decodeSig(s string) ([]byte, error) {
	sig, err := hex.DecodeString(s)
	if err != nil || len(sig) != 32 {
		return nil, errMalformed("x-amz-trailer-signature is not 64 hexadecimal digits")
	}
	return sig, nil
}

func errTruncated() error {
	return errIncomplete("The aws-chunked body ended before it was complete")
}

// errMalformed reports aws-chunked framing that does not parse.
func errMalformed(format string, args ...any) error {
	return gatehouse.ErrInvalidRequest.With("malformed aws-chunked body: "+format, args...)
}

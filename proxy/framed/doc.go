// Package framed is rwarden's framed front end (Serve and Render: a thin
// adapter of the session core, proxy/core) and the wire codec of the framed
// protocol, the protocol of the original rpy2 evaluation server, kept
// byte-compatible with it.
//
// Threat-model layer 1 (transport). Everything this package reads comes from
// an unauthenticated peer ("attacker B" in DESIGN.md): every line is read with
// a byte bound, every length is checked before anything is allocated for it,
// and every malformed input becomes a *ProtocolError whose text can be sent
// back to the client. The caller owns deadlines: set them on the connection
// before calling ReadRequest.
//
// Client -> server, one request per connection:
//
//	[AUTH <base64(user:password)>\n]   optional rwarden extension
//	<encoding name>\n                   ASCII, at most 64 bytes
//	<N: 8 bytes, unsigned little-endian>
//	<N bytes of R code in that encoding>
//
// Server -> client: an 8-byte unsigned little-endian length M, then M bytes
// of answer text in the client's encoding; then the server closes.
//
// Streaming, opt-in: a request that begins with the line "STREAM\n" (before
// the AUTH line) is answered with frames while the code runs (see
// WriteStreamFrame): kind 'o' output, then one kind 'r' with the rest of the
// answer. Old clients never send the line and get the answer above.
package framed

// Package qap1 is rwarden's Rserve front end (Server, in the serve_*.go
// files: a thin adapter of the session core, proxy/core, that keeps its
// own RSA key for RSclient's secure login) and the wire codec of Rserve's
// QAP1 protocol ("quad attribute packets"), as Rserve 1.8 and its clients (RSclient, pyRserve,
// roger, the Java client) speak it: the 32-byte identification string,
// the 16-byte message header with its 64-bit length, the parameter list
// (DT_INT, DT_STRING, DT_BYTESTREAM, DT_SEXP, with the DT_LARGE form), and
// the SEXP encoding (XT_*, with XT_LARGE and XT_HAS_ATTR), mapped to and
// from proxy/rdata values.
//
// Threat-model layer 1 (transport). Every byte decoded here comes from an
// unauthenticated peer: header lengths are checked against the caller's
// limit before anything is read or allocated, parameter and item lengths
// against the bytes that are actually there, element counts inside
// XT_RAW and XT_ARRAY_BOOL against their item, and nesting is bounded.
// Malformed input is an error wrapping ErrProtocol, never a panic. The
// caller owns deadlines.
//
// All integers are little-endian. A message is
//
//	cmd int32 | len uint32 | msg_id int32 | len_hi uint32 | payload
//
// and the payload of an ordinary command is a sequence of parameters, each
// a 4-byte head (type in the low byte, length in the upper 24 bits; with
// DT_LARGE a second word holds the length's bits 24..55) and its data.
package qap1

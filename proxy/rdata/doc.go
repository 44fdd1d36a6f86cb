// Package rdata reads and writes R's serialization format (what
// serialize()/unserialize() speak) without R: a decoder for the XDR ("X\n")
// and native little-endian binary ("B\n") formats, versions 2 and 3, into a
// Go value model; an encoder of values back to version 2 XDR; a validator
// that tells plain data from code and references; and a deparser that turns
// language objects into R source text that parses back to the same object.
//
// Threat-model layers 1 and 3 (transport, static policy). The bytes this
// package decodes come from Rserve clients (CMD_serEval, CMD_serAssign) or
// from a sandboxed R worker, and neither is trusted: every length is checked
// against the bytes that remain before anything is allocated, nesting depth
// is bounded, ALTREP expansions draw on a fixed element budget, and nothing
// in the input can make the decoder panic. Nothing is ever evaluated here:
// language objects become R code through Deparse, and that code is what
// rwarden's policy checks and the worker runs, never the client's bytes.
//
// Deparse is exact or refuses: the text it returns parses (with R's grammar,
// as policy/rsyntax implements it) to an object equal to the input, which
// Deparse verifies before returning. Numbers that are not small integers
// are written as hexadecimal floating constants, names that are not
// syntactic are backtick-quoted, and what has no exact source form (for
// example a length-3 vector embedded in a call, or a negative constant)
// is an error rather than an approximation.
package rdata

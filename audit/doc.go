// Package audit is layer 6 of rwarden's threat model: the tamper-evident
// audit trail.
//
// Every authentication, evaluation (allowed, denied, failed, timed out,
// killed, crashed), session start and end, policy reload, refused protocol
// command and server start and stop becomes one JSON Lines record. Records
// are hash-chained: each carries the SHA-256 of its own canonical encoding and
// the hash of the record before it, so that an edited, deleted, inserted or
// reordered record is found by Verify (and `rwarden audit verify`). The chain
// continues across restarts and file rotation.
//
// The package keeps three concerns apart, after the model of Vault's audit
// package:
//
//   - the record and its canonical encoding (record.go, canonical.go,
//     parse.go), which define what is hashed;
//   - the writer (log.go, commit.go, file.go, recover.go, rotate.go,
//     syslog.go), which assigns sequence numbers and hashes, group-commits
//     records to the file with one write and one fsync per batch, fails
//     closed when the file cannot be written and recovers without a restart
//     when it can again;
//   - the readers (reader.go, verify.go, query.go, tail.go, stats.go,
//     format.go) behind the `rwarden audit` subcommands.
//
// The package imports none of rwarden's other packages: the proxy fills
// records with plain values.
package audit

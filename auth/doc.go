// Package auth decides who a client is. It is layer 2 of rwarden's threat
// model (authentication) and the first line of defence against attacker B,
// who can reach the port without credentials and guesses passwords.
//
// It provides:
//
//   - argon2id password hashes stored as PHC strings (HashPassword,
//     VerifyPHC) with parameter caps, so that a tampered users file cannot
//     make verification exhaust the server's memory or CPU;
//   - the users file (one "NAME:PHC" line per user, comments preserved),
//     loaded into a concurrency-safe, reloadable Store and edited only by
//     atomic replacement (AddUser, SetPassword, DeleteUser, ListUsers);
//   - Store.Verify, which costs the same for unknown users as for wrong
//     passwords and bounds concurrent argon2 computations;
//   - a failed-login Limiter keyed by user and by source address;
//   - identities from client certificates (UserFromCert) and from Unix
//     peer credentials (UserFromUID).
//
// A name produced by UserFromCert or UserFromUID is only a candidate: the
// caller must refuse the connection unless Store.Has reports that the name is
// an rwarden user. A certificate or uid without an rwarden user is never
// authenticated, because every identity needs a policy.
//
// The package imports none of rwarden's other packages; the proxy joins it
// with policy, sandbox and audit.
package auth

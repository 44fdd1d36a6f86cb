// Package sandbox runs R code in locked-down worker processes. It is layer 5
// of the threat model (the OS sandbox) and the security boundary of rwarden:
// whatever the R-level policy misses must still be held here.
//
// A worker is one R process serving exactly one session. It is started
// through a re-exec of the rwarden binary (InitCommand) that closes inherited
// descriptors, cleans the environment, sets rlimits, (as root) enters new
// network and mount namespaces and drops to an unprivileged uid, applies
// Landlock, sets no_new_privs, loads a seccomp filter and then execs
// $R_HOME/bin/exec/R directly. The R side is an embedded harness (harness.R)
// that speaks a small framed protocol over private pipes.
//
// The harness is also layer 4, the runtime restriction: a session bound to an
// Allowlist evaluates in an environment that holds only the allowed objects,
// and every allowed function named in Allowlist.Guards is wrapped, on every
// path that reaches it (its name, pkg::name, library(), values such as
// slot() or attr() of other objects), so that functions given by name,
// code, formulas, environments and unserialized data are checked at run time
// and resolved or evaluated only in the user's own environments.
// The Pool keeps workers warm, hands one to each session and destroys it
// afterwards; workers are never reused across sessions.
package sandbox

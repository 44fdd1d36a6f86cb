// Package store is rwarden's optional shared store in PostgreSQL, for
// several nodes serving one set of users, one policy and one audit
// (docs/scaling.md). It is part of the authentication, static policy and
// audit layers' plumbing, not of their logic: it holds versioned
// documents (the users file, the API tokens file, the policy files) that
// the node writes to a local directory and loads with the same code that
// loads them from files, and it receives a copy of each node's audit
// records.
//
// Why rwarden's own tables and not a Casbin adapter: the maintained Casbin
// adapters for PostgreSQL store only p and g rows. rwarden's policy is more
// than that: the model, role files, per-user files whose rules may only name
// their own user, file:line sources that violations name, and beside them
// the users and tokens files. One versioned document set per change keeps
// all of it consistent (a node loads one version whole, never half of a
// change) and gives the version number every audit record carries.
//
// Nothing here imports auth, policy or audit: the documents are validated
// by those packages when a node loads them (and by the CLI before it pushes
// them); this package validates only their names and sizes.
package store

// Package setup is rwarden's first run: the development PKI and the state
// directory of `rwarden serve` without a configuration (shipped policies, a
// demo user). It runs before the server starts and is no part of serving.
// It creates the demo user through auth's users-file functions, as the
// `rwarden user` commands do.
package setup

// Package e2e holds rwarden's black-box end-to-end tests: they build the
// real binary (cmd/rwarden), start it with a configuration file, and talk
// to it as clients do, with real R behind it. Nothing here reaches into
// the server's packages; white-box tests stay beside the code they test.
package e2e

// Package runtimetest holds cross-layer tests of the runtime restriction
// (layer 4): the policy engine's real allowlists bound to real sandboxed
// workers, with the static check skipped. It imports policy and sandbox,
// which never import each other; nothing but tests lives here.
package runtimetest

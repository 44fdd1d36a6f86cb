// Package policies holds rwarden's shipped Casbin model, roles and example
// per-user policies (static policy layer), embedded in the binary so that
// `rwarden serve` without a configuration can install them into its state
// directory.
package policies

import "embed"

// FS holds model.conf, roles/*.csv, users/*.csv and README.md.
//
//go:embed model.conf README.md roles/*.csv users/*.csv
var FS embed.FS

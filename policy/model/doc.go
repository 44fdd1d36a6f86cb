// Package model is rwarden's parameter model of R: for every function of
// the modelled packages of the installed R, the formal arguments that R
// uses as a function, as code, as a formula, as an environment or as data
// to unserialize. The model is generated from the installed R by gen.R
// (a walk of every closure, seeded by the reviewed table hand.tsv) into
// params.tsv, which is embedded here; `go generate ./policy/model`
// rebuilds it. The static check (policy/refs) requires literal arguments
// for such parameters, and policy.Allowlist hands them to the runtime
// harness as guards.
package model

//go:generate sh -c "Rscript gen.R > params.tsv.new && mv params.tsv.new params.tsv"

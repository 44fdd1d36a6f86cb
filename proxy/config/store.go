package config

import (
	"regexp"
)

// StoreConfig is the optional shared store in PostgreSQL (docs/scaling.md):
// users, password hashes, API tokens and policies held centrally, each
// change a new policy version; audit records shipped to it. Off unless a
// DSN source is given: the embedded default is files on one node.
type StoreConfig struct {
	// DSNFile is a file (mode 0600) holding the PostgreSQL connection
	// string; DSNEnv the name of an environment variable holding it. One of
	// the two turns the store on. The DSN is never logged.
	DSNFile string `yaml:"dsn_file"`
	DSNEnv  string `yaml:"dsn_env"`
}

// Enabled reports whether a store is configured.
func (s StoreConfig) Enabled() bool { return s.DSNFile != "" || s.DSNEnv != "" }

// DSNSpec is how the store package's ReadDSN finds the DSN: the file's
// path, or "env:NAME".
func (s StoreConfig) DSNSpec() string {
	if s.DSNEnv != "" {
		return "env:" + s.DSNEnv
	}
	return s.DSNFile
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

func (c *Config) validateStore(bad func(string, string, ...any)) {
	if c.Store.DSNFile != "" && c.Store.DSNEnv != "" {
		bad("store.dsn_env", "give the DSN either in store.dsn_file or in store.dsn_env, not both")
	}
	if c.Store.DSNEnv != "" && !envNameRE.MatchString(c.Store.DSNEnv) {
		bad("store.dsn_env", "%q is not an environment variable name", c.Store.DSNEnv)
	}
}

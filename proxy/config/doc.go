// Package config is rwarden's configuration file: its types, a strict YAML
// decoder that reports every problem with file, line and key path, and the
// checks that need nothing but the file. Checks that need the inner layers
// (audit settings, sandbox ranges, the policy's role and user names, the R
// installation) are the session core's (proxy/core) and run through Check.
package config

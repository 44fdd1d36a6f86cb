package config

import (
	"path/filepath"
	"strconv"
	"strings"
)

// DataConfig makes host directories visible to sessions: data directories
// per role and per user, and a persistent workspace per user. Nothing is
// mounted unless configured.
type DataConfig struct {
	// Roles maps a role (named without "role:") to the directories every
	// session of a user holding it sees.
	Roles map[string][]MountConfig `yaml:"roles,omitempty"`
	// Users maps a user to the directories only their sessions see.
	Users map[string][]MountConfig `yaml:"users,omitempty"`
	// Libraries maps a role to R library trees (a site library, an renv
	// project's library) its users' sessions load packages from, ahead of
	// R's own. Every configured tree is scanned into the exports index, so
	// that policies can name its functions.
	Libraries map[string][]string `yaml:"libraries,omitempty"`
	// Workspace is the persistent home directory of each user.
	Workspace WorkspaceConfig `yaml:"workspace"`
}

// MountConfig is one host directory and where a worker sees it.
type MountConfig struct {
	// Source is the host directory: absolute, existing, not a symlink.
	Source string `yaml:"source"`
	// Target is its path inside the worker, beneath /data or /home (as
	// root or rootless; a worker without a mount view sees Source).
	Target string `yaml:"target"`
	// Write allows writing beneath it; read-only by default.
	Write bool `yaml:"write"`
}

// WorkspaceConfig configures the per-user persistent workspaces.
type WorkspaceConfig struct {
	// Enabled gives every user a workspace; off by default.
	Enabled bool `yaml:"enabled"`
	// Dir holds one directory per user on the host ("" for
	// state_dir/workspaces). Only rwarden may reach it.
	Dir string `yaml:"dir"`
	// Quota bounds the bytes of one user's workspace (0 for
	// DefaultWorkspaceQuota).
	Quota Size `yaml:"quota"`
}

// Workspace defaults.
const (
	DefaultWorkspaceQuota = 1 << 30
	// WorkspaceTarget is where a worker with a mount view sees its user's
	// workspace; R's HOME (~) points there.
	WorkspaceTarget = "/home/rwarden"
)

// WorkspaceDir is the host directory holding the workspaces.
func (c *Config) WorkspaceDir() string {
	if c.Data.Workspace.Dir != "" {
		return c.Data.Workspace.Dir
	}
	return filepath.Join(c.StateDir, "workspaces")
}

// WorkspaceQuota is the quota of one workspace.
func (c *Config) WorkspaceQuota() int64 {
	if c.Data.Workspace.Quota > 0 {
		return int64(c.Data.Workspace.Quota)
	}
	return DefaultWorkspaceQuota
}

// LibraryPaths lists every configured library tree once, in the order
// of the roles' names.
func (c *Config) LibraryPaths() []string {
	var out []string
	seen := map[string]bool{}
	for _, name := range sortedKeys(c.Data.Libraries) {
		for _, l := range c.Data.Libraries[name] {
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	return out
}

// validateData checks the data section's form; the session core checks
// that sources exist and are no symlinks (sandbox.ValidateMounts).
func (c *Config) validateData(bad func(string, string, ...any)) {
	check := func(p string, ms []MountConfig) {
		for i, m := range ms {
			at := p + "[" + strconv.Itoa(i) + "]"
			for _, f := range []struct{ key, v string }{{"source", m.Source}, {"target", m.Target}} {
				if !filepath.IsAbs(f.v) || filepath.Clean(f.v) != f.v {
					bad(at+"."+f.key, "must be an absolute, clean path (no .., no trailing /), got %q", f.v)
				}
			}
			if !strings.HasPrefix(m.Target, "/data/") && !strings.HasPrefix(m.Target, "/home/") {
				bad(at+".target", "must be beneath /data or /home, got %q", m.Target)
			}
			if m.Target == WorkspaceTarget || strings.HasPrefix(m.Target, WorkspaceTarget+"/") {
				bad(at+".target", "%s is the workspace's place", WorkspaceTarget)
			}
		}
	}
	for _, name := range sortedKeys(c.Data.Roles) {
		check("data.roles."+name, c.Data.Roles[name])
	}
	for _, name := range sortedKeys(c.Data.Users) {
		if !userNameRE.MatchString(name) {
			bad("data.users."+name, "%q is not a valid user name", name)
		}
		check("data.users."+name, c.Data.Users[name])
	}
	for _, name := range sortedKeys(c.Data.Libraries) {
		for i, l := range c.Data.Libraries[name] {
			if !filepath.IsAbs(l) || filepath.Clean(l) != l || strings.ContainsAny(l, ":\n") {
				bad("data.libraries."+name+"["+strconv.Itoa(i)+"]", "must be an absolute, clean path without ':', got %q", l)
			}
		}
	}
	if d := c.Data.Workspace.Dir; d != "" && (!filepath.IsAbs(d) || filepath.Clean(d) != d) {
		bad("data.workspace.dir", "must be an absolute, clean path, got %q", d)
	}
	if q := c.Data.Workspace.Quota; q != 0 {
		sizeRange(bad, "data.workspace.quota", q, 1<<20, 1<<40)
	}
}

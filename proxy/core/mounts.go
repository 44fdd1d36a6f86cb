package core

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rwarden/rwarden/policy"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/sandbox"
)

// ResolveMounts lists the host directories a user's sessions see: the
// data directories of every role they hold (data.roles, roles named as in
// limits), their own (data.users), and, when workspaces are on, their
// workspace (WorkspaceSource) as R's home. Two roles naming the same target
// for different directories is a configuration error: fail closed.
func ResolveMounts(c *config.Config, user string, roles []string) ([]sandbox.Mount, error) {
	var out []sandbox.Mount
	byTarget := map[string]sandbox.Mount{}
	add := func(mc config.MountConfig, from string) error {
		m := sandbox.Mount{Source: mc.Source, Target: mc.Target, Write: mc.Write}
		if prev, ok := byTarget[m.Target]; ok {
			if prev.Source != m.Source {
				return fmt.Errorf("%s: %s is also mounted from %s", from, m.Target, prev.Source)
			}
			if m.Write && !prev.Write {
				// The same directory granted read-only by one role and
				// writable by another: writable, as granted.
				for i := range out {
					if out[i].Target == m.Target {
						out[i].Write = true
					}
				}
			}
			return nil
		}
		byTarget[m.Target] = m
		out = append(out, m)
		return nil
	}
	for _, r := range roles {
		name := strings.TrimPrefix(r, rolePrefix)
		for _, mc := range c.Data.Roles[name] {
			if err := add(mc, "data.roles."+name); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range roles {
		for _, lib := range c.Data.Libraries[strings.TrimPrefix(r, rolePrefix)] {
			if _, ok := byTarget[lib]; ok {
				continue
			}
			m := sandbox.Mount{Source: lib, Target: lib, Library: true}
			byTarget[lib] = m
			out = append(out, m)
		}
	}
	for _, mc := range c.Data.Users[user] {
		if err := add(mc, "data.users."+user); err != nil {
			return nil, err
		}
	}
	if c.Data.Workspace.Enabled {
		out = append(out, sandbox.Mount{Source: WorkspaceSource(c, user), Target: config.WorkspaceTarget,
			Write: true, Home: true, Quota: c.WorkspaceQuota()})
	}
	return out, nil
}

// WorkspaceSource is the host directory of user's workspace.
func WorkspaceSource(c *config.Config, user string) string {
	return filepath.Join(c.WorkspaceDir(), user)
}

// EnsureWorkspace creates user's workspace directory if it does not exist
// yet. The directory holding the workspaces is rwarden's alone (0700); as
// root, each workspace is open to every uid (0777) because each session
// of its user runs under another worker uid, and no one else can reach it.
func EnsureWorkspace(c *config.Config, user string) (string, error) {
	root := c.WorkspaceDir()
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", fmt.Errorf("creating workspace directory %s: %w", root, err)
	}
	if err := os.Chmod(root, 0o700); err != nil {
		return "", fmt.Errorf("workspace directory %s: %w", root, err)
	}
	dir := WorkspaceSource(c, user)
	mode := os.FileMode(0o700)
	if os.Geteuid() == 0 {
		mode = 0o777
	}
	if err := os.Mkdir(dir, mode); err != nil && !os.IsExist(err) {
		return "", fmt.Errorf("creating workspace %s: %w", dir, err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("workspace %s: %w", dir, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("workspace %s is not a directory", dir)
	}
	if err := os.Chmod(dir, mode); err != nil {
		return "", fmt.Errorf("workspace %s: %w", dir, err)
	}
	return dir, nil
}

// mountsFor resolves and prepares a user's mounts for a session.
func (c *Core) mountsFor(user string) ([]sandbox.Mount, error) {
	ms, err := ResolveMounts(c.cfg, user, c.policy.Roles(user))
	if err != nil {
		return nil, err
	}
	if c.cfg.Data.Workspace.Enabled {
		if _, err := EnsureWorkspace(c.cfg, user); err != nil {
			return nil, err
		}
	}
	return ms, nil
}

// checkData reports data.roles keys that are no role of the policy,
// data.users keys that are no user, and mounts whose source is missing,
// not a directory or reached through a symlink.
func checkData(c *config.Config, pol *policy.Engine, p *config.Problems) {
	roles := pol.RoleNames()
	for _, name := range sortedKeys(c.Data.Roles) {
		if !contains(roles, rolePrefix+name) {
			p.Addf("data.roles."+name, "no role %q in the policy (%s)", rolePrefix+name, c.PoliciesDir)
		}
		checkMountSet(p, "data.roles."+name, c.Data.Roles[name])
	}
	for _, name := range sortedKeys(c.Data.Libraries) {
		if !contains(roles, rolePrefix+name) {
			p.Addf("data.libraries."+name, "no role %q in the policy (%s)", rolePrefix+name, c.PoliciesDir)
		}
		var ms []sandbox.Mount
		for _, l := range c.Data.Libraries[name] {
			ms = append(ms, sandbox.Mount{Source: l, Target: l, Library: true})
		}
		if err := sandbox.ValidateMounts(ms); err != nil {
			p.Addf("data.libraries."+name, "%v", err)
		}
	}
	for _, name := range sortedKeys(c.Data.Users) {
		if !pol.HasUser(name) {
			p.Addf("data.users."+name, "no user %q in the policy (%s)", name, c.PoliciesDir)
		}
		checkMountSet(p, "data.users."+name, c.Data.Users[name])
	}
}

func checkMountSet(p *config.Problems, at string, ms []config.MountConfig) {
	sm := make([]sandbox.Mount, len(ms))
	for i, m := range ms {
		sm[i] = sandbox.Mount{Source: m.Source, Target: m.Target, Write: m.Write}
	}
	if err := sandbox.ValidateMounts(sm); err != nil {
		p.Addf(at, "%v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

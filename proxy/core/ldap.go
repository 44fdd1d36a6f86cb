package core

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/rwarden/rwarden/auth"
)

// openLDAP builds the directory authenticator of every listener that has
// one, keyed by listener address. Every mapped role must exist in the
// policy in force (fail at start rather than at the first login).
func (c *Core) openLDAP() error {
	roles := c.policy.RoleNames()
	for i, l := range c.cfg.Listeners {
		if l.LDAP == nil {
			continue
		}
		lc := l.LDAP
		for g, rs := range lc.GroupRoles {
			for _, r := range rs {
				if !slices.Contains(roles, r) {
					return fmt.Errorf("listeners[%d].ldap.group_roles.%s: the policy defines no %s", i, g, r)
				}
			}
		}
		var tc *tls.Config
		if lc.CA != "" {
			pem, err := os.ReadFile(lc.CA)
			if err != nil {
				return fmt.Errorf("listeners[%d].ldap.ca: %w", i, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("listeners[%d].ldap.ca: %s holds no PEM certificate", i, lc.CA)
			}
			tc = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		a, err := auth.NewLDAP(auth.LDAPConfig{URL: lc.URL, StartTLS: lc.StartTLS, TLS: tc, UserDN: lc.UserDN,
			GroupBase: lc.GroupBase, GroupFilter: lc.GroupFilter, GroupAttr: lc.GroupAttr, GroupRoles: lc.GroupRoles,
			CacheTTL: lc.CacheTTL.Std(), Timeout: lc.Timeout.Std()})
		if err != nil {
			return fmt.Errorf("listeners[%d].ldap: %w", i, err)
		}
		c.addDirectory(l.Address, directory{method: auth.MethodLDAP, check: a})
	}
	return c.openPAM()
}

func (c *Core) addDirectory(listener string, d directory) {
	if c.ldap == nil {
		c.ldap = map[string]directory{}
	}
	c.ldap[listener] = d
}

// openPAM sets up the PAM check of every listener with a pam section
// (fails when this binary was built without PAM).
func (c *Core) openPAM() error {
	roles := c.policy.RoleNames()
	for i, l := range c.cfg.Listeners {
		if l.PAM == nil {
			continue
		}
		if l.LDAP != nil {
			return fmt.Errorf("listeners[%d]: ldap and pam exclude each other", i)
		}
		for g, rs := range l.PAM.GroupRoles {
			for _, r := range rs {
				if !slices.Contains(roles, r) {
					return fmt.Errorf("listeners[%d].pam.group_roles.%s: the policy defines no %s", i, g, r)
				}
			}
		}
		p, err := auth.NewPAM(auth.PAMConfig{Service: l.PAM.Service, ConfDir: l.PAM.ConfDir, GroupRoles: l.PAM.GroupRoles})
		if err != nil {
			return fmt.Errorf("listeners[%d].pam: %w", i, err)
		}
		c.addDirectory(l.Address, directory{method: auth.MethodPAM, check: p})
	}
	return nil
}

// ldapIdentity checks a password against the listener's directory: the
// same login limits, answers and audit as a users-file password; the
// user's groups become their roles in the policy (a user with a policy
// file keeps it).
func (c *Core) directoryIdentity(ctx context.Context, l directory, creds *Credentials, peer Peer) (Identity, error) {
	id := Identity{User: creds.User, Method: l.method, Detail: peer.Remote}
	refused := &AuthError{Message: "authentication failed", Reason: "bad credentials"}
	at, lim := c.limiter.Begin(creds.User, peer.Remote)
	if lim != nil {
		c.metrics.loginsLimited.WithLabelValues(lim.Limit).Inc()
		return id, &AuthError{Message: loginLimitMessage(lim), Reason: "rate limited: " + lim.Error(), RateLimited: true}
	}
	roles, err := l.Authenticate(ctx, creds.User, creds.Password)
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		at.Failed()
		return id, refused
	case errors.Is(err, auth.ErrNoMappedGroup):
		at.Failed()
		refused.Reason = string(l.method) + ": " + err.Error()
		return id, refused
	case err != nil:
		// Not a guess: the directory did not answer. Fail closed.
		at.Abandon()
		c.log.Error("login directory unavailable", "method", l.method, "listener", peer.Listener, "err", err)
		return id, &AuthError{Message: "the login directory is unavailable; try again later", Reason: err.Error()}
	}
	before := c.policy.Roles(creds.User)
	_, err = c.policy.SetExternalRoles(creds.User, roles)
	if !slices.Equal(before, c.policy.Roles(creds.User)) {
		// The roles changed: a new policy snapshot, whose allowlists
		// replace the cached ones (as after a policy reload).
		c.allowlists.Clear()
	}
	if err != nil {
		at.Abandon()
		return id, &AuthError{Message: "authentication failed", Reason: string(l.method) + " roles: " + err.Error()}
	}
	if !c.policy.HasUser(creds.User) {
		at.Failed()
		refused.Reason = string(l.method) + " user has no policy"
		return id, refused
	}
	at.Succeeded()
	return id, nil
}

// directory is an external password check (LDAP, PAM) that gives roles.
type directory struct {
	method auth.Method
	check  interface {
		Authenticate(ctx context.Context, user string, password []byte) ([]string, error)
	}
}

// Authenticate checks the password and returns the roles.
func (d directory) Authenticate(ctx context.Context, user string, password []byte) ([]string, error) {
	return d.check.Authenticate(ctx, user, password)
}

// directoryFor is the directory of a listener (ok false: the users file).
func (c *Core) directoryFor(listener string) (directory, bool) {
	d, ok := c.ldap[listener]
	return d, ok
}

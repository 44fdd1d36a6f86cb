//go:build pam

package auth

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"slices"

	"github.com/msteinert/pam/v2"
)

// pamMaxConcurrent bounds PAM conversations at once: modules such as
// pam_unix sleep after a failure, and a flood must not pile up threads.
const pamMaxConcurrent = 4

// PAMAvailable reports whether this binary was built with PAM (-tags pam).
const PAMAvailable = true

// PAM checks passwords through a PAM service (pam_unix, SSSD, ...) and maps
// the user's Unix groups to roles. It needs cgo and libpam, hence the
// build tag.
type PAM struct {
	cfg PAMConfig
	sem chan struct{}
}

// NewPAM checks cfg and returns a PAM authenticator.
func NewPAM(cfg PAMConfig) (*PAM, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &PAM{cfg: cfg, sem: make(chan struct{}, pamMaxConcurrent)}, nil
}

// Authenticate runs the service's auth and account stacks for user with
// password, then maps the user's groups to roles. Errors as for LDAP:
// ErrBadCredentials for any refusal by PAM (wrong password, unknown or
// locked user), ErrNoMappedGroup, or another error.
func (p *PAM) Authenticate(ctx context.Context, name string, password []byte) ([]string, error) {
	if !ValidUserName(name) || len(password) == 0 || len(password) > 1024 {
		return nil, ErrBadCredentials
	}
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.sem }()
	answered := false
	conv := pam.ConversationFunc(func(s pam.Style, msg string) (string, error) {
		switch s {
		case pam.PromptEchoOff:
			if answered {
				return "", errors.New("pam: asked for a second secret")
			}
			answered = true
			return string(password), nil
		case pam.ErrorMsg, pam.TextInfo:
			return "", nil
		}
		return "", fmt.Errorf("pam: unsupported prompt %q", msg)
	})
	var t *pam.Transaction
	var err error
	if p.cfg.ConfDir != "" {
		t, err = pam.StartConfDir(p.cfg.Service, name, conv, p.cfg.ConfDir)
	} else {
		t, err = pam.Start(p.cfg.Service, name, conv)
	}
	if err != nil {
		return nil, fmt.Errorf("pam: starting service %s: %w", p.cfg.Service, err)
	}
	defer func() { _ = t.End() }()
	if err := t.Authenticate(pam.DisallowNullAuthtok); err != nil {
		return nil, ErrBadCredentials
	}
	if err := t.AcctMgmt(pam.DisallowNullAuthtok); err != nil {
		return nil, ErrBadCredentials
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("pam: looking up %s: %w", name, err)
	}
	gids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("pam: groups of %s: %w", name, err)
	}
	var roles []string
	for _, gid := range gids {
		if g, err := user.LookupGroupId(gid); err == nil {
			roles = append(roles, p.cfg.GroupRoles[g.Name]...)
		}
	}
	slices.Sort(roles)
	roles = slices.Compact(roles)
	if len(roles) == 0 {
		return nil, ErrNoMappedGroup
	}
	return roles, nil
}

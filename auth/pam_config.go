package auth

import "errors"

// MethodPAM is a password checked through PAM.
const MethodPAM Method = "pam"

// PAMConfig says which PAM service checks passwords and which roles the
// user's Unix groups give.
type PAMConfig struct {
	// Service is the PAM service name (/etc/pam.d/NAME).
	Service string
	// ConfDir, when set, is read instead of /etc/pam.d (tests).
	ConfDir string
	// GroupRoles maps a Unix group name to rwarden roles. A user in no
	// mapped group is refused.
	GroupRoles map[string][]string
}

func (c PAMConfig) check() error {
	if c.Service == "" {
		return errors.New("pam: a service name is required")
	}
	if len(c.GroupRoles) == 0 {
		return errors.New("pam: group_roles is required (groups decide the roles)")
	}
	return nil
}

package config

import (
	"net"
	"net/url"
	"strings"
	"time"
)

// LDAPConfig makes a listener check passwords against an LDAP or Active
// Directory server instead of the users file; the user's groups give the
// roles (see auth.LDAPConfig).
type LDAPConfig struct {
	URL      string `yaml:"url"`       // ldap://host:port or ldaps://host:port
	StartTLS bool   `yaml:"start_tls"` // upgrade ldap:// before the bind
	CA       string `yaml:"ca"`        // PEM bundle the server's certificate must chain to (default: system roots)
	UserDN   string `yaml:"user_dn"`   // "uid=%s,ou=people,dc=example,dc=org" or "%s@example.org"
	// GroupBase and GroupFilter ("(&(objectClass=groupOfNames)(member=%s))",
	// %s the bind DN) find the user's groups; GroupAttr names them (cn).
	GroupBase   string `yaml:"group_base"`
	GroupFilter string `yaml:"group_filter"`
	GroupAttr   string `yaml:"group_attr"`
	// GroupRoles maps a group name to rwarden roles ("role:analyst").
	GroupRoles map[string][]string `yaml:"group_roles"`
	// CacheTTL keeps a successful check this long (default 1m): a user
	// removed from the directory is refused at the latest after it.
	CacheTTL Duration `yaml:"cache_ttl"`
	Timeout  Duration `yaml:"timeout"` // each directory exchange (default 5s)
}

// Defaults of the LDAP settings.
const (
	DefaultLDAPCacheTTL = time.Minute
	DefaultLDAPTimeout  = 5 * time.Second
)

func (l *LDAPConfig) fillPaths(abs func(string) string) {
	l.CA = abs(l.CA)
	if l.CacheTTL == 0 {
		l.CacheTTL = Duration(DefaultLDAPCacheTTL)
	}
	if l.Timeout == 0 {
		l.Timeout = Duration(DefaultLDAPTimeout)
	}
	if l.GroupAttr == "" {
		l.GroupAttr = "cn"
	}
}

// validate checks one listener's LDAP settings; p is its key path.
func (l *LDAPConfig) validate(p string, bad func(string, string, ...any)) {
	u, err := url.Parse(l.URL)
	switch {
	case err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "":
		bad(p+".url", "must be ldap://host:port or ldaps://host:port, got %q", l.URL)
	case u.Scheme == "ldap" && !l.StartTLS && !loopbackHost(u.Hostname()):
		bad(p+".url", "%s would send passwords in the clear: use ldaps:// or start_tls: true (plain ldap:// only to a loopback server)", l.URL)
	}
	if strings.Count(l.UserDN, "%s") != 1 {
		bad(p+".user_dn", "must hold %%s (the user name) exactly once, got %q", l.UserDN)
	}
	if l.GroupBase == "" {
		bad(p+".group_base", "is required: groups decide the roles")
	}
	if strings.Count(l.GroupFilter, "%s") != 1 {
		bad(p+".group_filter", "must hold %%s (the user's DN) exactly once, got %q", l.GroupFilter)
	}
	if len(l.GroupRoles) == 0 {
		bad(p+".group_roles", "is required: map at least one group to roles")
	}
	for _, g := range sortedKeys(l.GroupRoles) {
		for _, r := range l.GroupRoles[g] {
			if !strings.HasPrefix(r, "role:") {
				bad(p+".group_roles."+g, "%q is not a role (role:NAME)", r)
			}
		}
	}
	durRange(bad, p+".cache_ttl", l.CacheTTL, time.Second, time.Hour)
	durRange(bad, p+".timeout", l.Timeout, 100*time.Millisecond, time.Minute)
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// PAMConfig makes a listener check passwords through a PAM service
// instead of the users file; the user's Unix groups give the roles. It
// needs a binary built with -tags pam.
type PAMConfig struct {
	Service string `yaml:"service"` // /etc/pam.d/NAME
	// ConfDir replaces /etc/pam.d (tests).
	ConfDir    string              `yaml:"conf_dir"`
	GroupRoles map[string][]string `yaml:"group_roles"`
}

func (p *PAMConfig) validate(path string, bad func(string, string, ...any)) {
	if p.Service == "" || strings.ContainsAny(p.Service, "/ ") {
		bad(path+".service", "must name a PAM service (a file in /etc/pam.d), got %q", p.Service)
	}
	if len(p.GroupRoles) == 0 {
		bad(path+".group_roles", "is required: map at least one Unix group to roles")
	}
	for _, g := range sortedKeys(p.GroupRoles) {
		for _, r := range p.GroupRoles[g] {
			if !strings.HasPrefix(r, "role:") {
				bad(path+".group_roles."+g, "%q is not a role (role:NAME)", r)
			}
		}
	}
}

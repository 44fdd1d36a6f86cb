package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// MethodLDAP is a password checked by an LDAP (or Active Directory) bind.
const MethodLDAP Method = "ldap"

// LDAPConfig says how to check a password against a directory and which
// rwarden roles the user's groups give.
type LDAPConfig struct {
	// URL is ldap://host:port or ldaps://host:port.
	URL string
	// StartTLS upgrades an ldap:// connection before the bind; TLS (nil:
	// the system's roots, verification on) applies to it and to ldaps://.
	StartTLS bool
	TLS      *tls.Config
	// UserDN is the DN a user binds as, with %s for the (DN-escaped) user
	// name: "uid=%s,ou=people,dc=example,dc=org", or for Active Directory
	// "%s@example.org" (a UPN, which AD accepts as a bind name).
	UserDN string
	// GroupBase and GroupFilter find the user's groups after the bind, as
	// the user; %s in the filter is the (filter-escaped) bind DN, e.g.
	// "(&(objectClass=groupOfNames)(member=%s))". GroupAttr names a group
	// (default cn).
	GroupBase, GroupFilter, GroupAttr string
	// GroupRoles maps a group name to the rwarden roles it gives
	// ("role:analyst"). A user in no mapped group is refused.
	GroupRoles map[string][]string
	// CacheTTL keeps a successful check (user, a keyed hash of the password,
	// roles) this long; a user removed from the directory or from a group
	// is refused or loses the role within it. 0: no cache.
	CacheTTL time.Duration
	// Timeout bounds each directory exchange (default 5s).
	Timeout time.Duration
}

// LDAP checks passwords against a directory (see LDAPConfig).
type LDAP struct {
	cfg LDAPConfig
	key []byte // keys the cached password hashes; random per process
	now func() time.Time

	mu    sync.Mutex
	cache *lru[*ldapEntry]
}

type ldapEntry struct {
	mac     []byte
	roles   []string
	expires time.Time
}

// ldapCacheEntries bounds the cache whatever the number of users.
const ldapCacheEntries = 10_000

// ErrNoMappedGroup: the password is right but none of the user's groups
// maps to a role.
var ErrNoMappedGroup = errors.New("the user is in no group that maps to an rwarden role")

// NewLDAP checks cfg and returns an LDAP authenticator.
func NewLDAP(cfg LDAPConfig) (*LDAP, error) {
	if !strings.HasPrefix(cfg.URL, "ldap://") && !strings.HasPrefix(cfg.URL, "ldaps://") {
		return nil, fmt.Errorf("ldap: url %q is neither ldap:// nor ldaps://", cfg.URL)
	}
	if strings.Count(cfg.UserDN, "%s") != 1 {
		return nil, fmt.Errorf("ldap: user_dn %q must hold %%s exactly once", cfg.UserDN)
	}
	if cfg.GroupFilter != "" && strings.Count(cfg.GroupFilter, "%s") != 1 {
		return nil, fmt.Errorf("ldap: group_filter %q must hold %%s exactly once", cfg.GroupFilter)
	}
	if len(cfg.GroupRoles) == 0 || cfg.GroupFilter == "" || cfg.GroupBase == "" {
		return nil, errors.New("ldap: group_base, group_filter and group_roles are required (groups decide the roles)")
	}
	if cfg.GroupAttr == "" {
		cfg.GroupAttr = "cn"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("ldap: cache key: %w", err)
	}
	return &LDAP{cfg: cfg, key: key, now: time.Now, cache: newLRU[*ldapEntry](ldapCacheEntries)}, nil
}

// Authenticate checks user's password by binding as the user, then reads
// the user's groups and returns the roles they map to (sorted, no
// duplicates). A wrong password, an unknown user, an invalid name and an
// empty password (which LDAP would take as an anonymous bind) are all
// ErrBadCredentials; a directory that cannot be reached is another error
// (fail closed: refused, not let in from the cache after it expired).
func (l *LDAP) Authenticate(ctx context.Context, user string, password []byte) ([]string, error) {
	if !ValidUserName(user) || len(password) == 0 || len(password) > 1024 {
		return nil, ErrBadCredentials
	}
	mac := l.mac(user, password)
	if roles, ok := l.cached(user, mac); ok {
		return roles, nil
	}
	roles, err := l.check(ctx, user, string(password))
	if err != nil {
		l.forget(user)
		return nil, err
	}
	if l.cfg.CacheTTL > 0 {
		l.mu.Lock()
		l.cache.put(user, &ldapEntry{mac: mac, roles: roles, expires: l.now().Add(l.cfg.CacheTTL)})
		l.mu.Unlock()
	}
	return roles, nil
}

func (l *LDAP) mac(user string, password []byte) []byte {
	h := hmac.New(sha256.New, l.key)
	h.Write([]byte(user))
	h.Write([]byte{0})
	h.Write(password)
	return h.Sum(nil)
}

func (l *LDAP) cached(user string, mac []byte) ([]string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.cache.get(user)
	if e == nil || !l.now().Before(e.expires) || !hmac.Equal(e.mac, mac) {
		return nil, false
	}
	return slices.Clone(e.roles), true
}

func (l *LDAP) forget(user string) {
	l.mu.Lock()
	l.cache.remove(user)
	l.mu.Unlock()
}

// check binds as the user and maps the user's groups to roles.
func (l *LDAP) check(ctx context.Context, user, password string) ([]string, error) {
	dialer := &net.Dialer{Timeout: l.cfg.Timeout}
	opts := []ldap.DialOpt{ldap.DialWithDialer(dialer)}
	if l.cfg.TLS != nil {
		opts = append(opts, ldap.DialWithTLSConfig(l.cfg.TLS))
	}
	conn, err := ldap.DialURL(l.cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("ldap: connecting to %s: %w", l.cfg.URL, err)
	}
	defer conn.Close()
	conn.SetTimeout(l.cfg.Timeout)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if l.cfg.StartTLS {
		tc := l.cfg.TLS
		if tc == nil {
			tc = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if err := conn.StartTLS(tc); err != nil {
			return nil, fmt.Errorf("ldap: StartTLS with %s: %w", l.cfg.URL, err)
		}
	}
	dn := fmt.Sprintf(l.cfg.UserDN, ldap.EscapeDN(user))
	if err := conn.Bind(dn, password); err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			return nil, ErrBadCredentials
		}
		return nil, fmt.Errorf("ldap: bind as %s: %w", dn, err)
	}
	res, err := conn.Search(ldap.NewSearchRequest(l.cfg.GroupBase, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		1000, int(l.cfg.Timeout.Seconds())+1, false, fmt.Sprintf(l.cfg.GroupFilter, ldap.EscapeFilter(dn)),
		[]string{l.cfg.GroupAttr}, nil))
	if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		return nil, fmt.Errorf("ldap: reading the groups of %s: %w", dn, err)
	}
	var roles []string
	if res == nil {
		return nil, ErrNoMappedGroup
	}
	for _, e := range res.Entries {
		for _, g := range e.GetAttributeValues(l.cfg.GroupAttr) {
			roles = append(roles, l.cfg.GroupRoles[g]...)
		}
	}
	slices.Sort(roles)
	roles = slices.Compact(roles)
	if len(roles) == 0 {
		return nil, ErrNoMappedGroup
	}
	return roles, nil
}

package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rwarden/rwarden/internal/units"
)

// userNameRE is what an rwarden user name (anonymous_user, limits.users keys)
// may look like: a letter or underscore, then letters, digits, '_', '.', '-';
// at most 64 bytes. Conservative on purpose: names end up in logs, audit
// records, file names and policy subjects.
var userNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`)

// systemUserRE is a POSIX-portable system login name (pool.user).
var systemUserRE = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)

// validate checks values and their combinations; decoding already checked
// the types.
func (c *Config) validate(d *strictDecoder) {
	bad := func(path, format string, args ...any) {
		d.addf(d.lineOf(path), path, format, args...)
	}
	if len(c.Listeners) == 0 {
		bad("listeners", "at least one listener is required")
	}
	seen := map[string]string{}
	for i := range c.Listeners {
		p := "listeners[" + strconv.Itoa(i) + "]"
		l := &c.Listeners[i]
		c.validateListener(l, p, bad)
		if prev, dup := seen[l.Address]; dup && l.Address != "" {
			bad(p+".address", "address %s is already used by %s", l.Address, prev)
		}
		seen[l.Address] = p
	}
	c.validateEgress(bad)
	c.validateCluster(bad)
	c.validateStore(bad)
	for i, o := range c.MCP.AllowedOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			bad("mcp.allowed_origins["+strconv.Itoa(i)+"]", "must be an origin such as https://host or https://host:port, got %q", o)
		}
	}
	if c.Pool.UserMemoryShare < 0 || c.Pool.UserMemoryShare > 100 {
		bad("pool.user_memory_share", "must be a percentage between 1 and 100 (0 for the default), got %d", c.Pool.UserMemoryShare)
	}
	if c.Pool.MemoryBudget != 0 && c.Pool.MemoryBudget < 256<<20 {
		bad("pool.memory_budget", "must be at least 256MiB (0 for the default), got %s", units.FormatBytes(int64(c.Pool.MemoryBudget)))
	}
	if c.Pool.MemoryBudget != 0 && c.Pool.MemoryReserve >= c.Pool.MemoryBudget {
		bad("pool.memory_reserve", "must be below pool.memory_budget")
	}
	if !filepath.IsAbs(c.Pool.RHome) {
		bad("pool.r_home", "must be an absolute path, got %q", c.Pool.RHome)
	}

	if c.Admin.Address != "" {
		if err := checkHostPort(c.Admin.Address); err != nil {
			bad("admin.address", "%v", err)
		} else if !IsLoopbackOrUnix(c.Admin.Address) && !c.Admin.AllowRemote {
			bad("admin.address", "%s is not a loopback address; the admin endpoint has no authentication, set admin.allow_remote: true to expose it anyway", c.Admin.Address)
		}
	}
	c.Admin.validate(bad)

	c.Limits.Default.validate("limits.default", bad)
	for _, name := range sortedKeys(c.Limits.Roles) {
		c.Limits.Roles[name].validate("limits.roles."+name, bad)
	}
	for _, name := range sortedKeys(c.Limits.Users) {
		if !userNameRE.MatchString(name) {
			bad("limits.users."+name, "%q is not a valid user name", name)
		}
		c.Limits.Users[name].validate("limits.users."+name, bad)
	}

	c.validateData(bad)

	inRange(bad, "connections.max", c.Connections.Max, 0, 10_000_000)
	inRange(bad, "connections.per_address", c.Connections.PerAddress, 1, 10_000_000)
	inRange(bad, "connections.reserve_fds", c.Connections.ReserveFDs, 0, 10_000_000)

	pool := c.Pool
	inRange(bad, "pool.max", pool.Max, 1, 10000)
	inRange(bad, "pool.warm", pool.Warm, 0, max(pool.Max, 0))
	durRange(bad, "pool.acquire_timeout", pool.AcquireTimeout, 100*time.Millisecond, 10*time.Minute)
	sizeRange(bad, "pool.scratch_bytes", pool.ScratchBytes, 1<<20, 1<<40)
	if pool.User != "" && !systemUserRE.MatchString(pool.User) {
		bad("pool.user", "%q is not a valid system user name", pool.User)
	}

	sizeRange(bad, "auth.argon2.memory", c.Auth.Argon2.Memory, 1<<20, 4<<30)
	inRange(bad, "auth.argon2.time", int(c.Auth.Argon2.Time), 1, 100)
	inRange(bad, "auth.argon2.threads", int(c.Auth.Argon2.Threads), 1, 255)
	inRange(bad, "auth.max_concurrent_hashes", c.Auth.MaxConcurrentHashes, 1, 1024)
	durRange(bad, "shutdown_grace", c.ShutdownGrace, 0, time.Hour)
	c.Throttle.validate(bad)
	c.Audit.validateWatermarks(bad)
}

func (c *Config) validateListener(l *ListenerConfig, p string, bad func(string, string, ...any)) {
	addrOK := false
	switch {
	case l.Address == "":
		bad(p+".address", "is required (host:port or unix:/path)")
	case IsUnixAddress(l.Address):
		switch path := UnixPath(l.Address); {
		case path == "":
			bad(p+".address", "unix: needs a socket path, such as unix:/run/rwarden/rwarden.sock")
		case len(path) > 107:
			bad(p+".address", "socket path is longer than the 107 bytes a unix socket address can hold")
		default:
			addrOK = true
		}
	default:
		if err := checkHostPort(l.Address); err != nil {
			bad(p+".address", "%v", err)
		} else {
			addrOK = true
		}
	}
	inRange(bad, p+".max_connections", l.MaxConnections, 0, 10_000_000)
	switch l.Protocol {
	case ProtocolFramed, ProtocolQAP1, ProtocolHTTP:
	default:
		bad(p+".protocol", "must be framed, qap1 or http, got %q", l.Protocol)
	}
	local := IsLoopbackOrUnix(l.Address)
	if l.Plaintext {
		if !local && addrOK {
			bad(p+".plaintext", "refused on %s: plaintext is only allowed on a loopback address (127.0.0.1, ::1, localhost) or a unix: socket; configure tls instead", l.Address)
		}
		if l.TLS.Enabled() {
			bad(p+".tls", "a listener cannot have both plaintext: true and tls")
		}
	} else {
		if l.TLS.Cert == "" {
			bad(p+".tls.cert", "a TLS certificate is required (or set plaintext: true on a loopback or unix: listener)")
		}
		if l.TLS.Key == "" {
			bad(p+".tls.key", "a TLS private key is required (or set plaintext: true on a loopback or unix: listener)")
		}
	}
	switch l.TLS.ClientAuth {
	case ClientAuthNone:
	case ClientAuthRequest, ClientAuthRequire:
		if l.TLS.ClientCA == "" {
			bad(p+".tls.client_ca", "client_auth: %s needs client_ca to verify client certificates against", l.TLS.ClientAuth)
		}
	default:
		bad(p+".tls.client_auth", "must be none, request or require, got %q", l.TLS.ClientAuth)
	}
	switch l.TLS.CertUser {
	case CertUserCN, CertUserSANEmail, CertUserSANDNS, CertUserSANURI:
	default:
		bad(p+".tls.cert_user", "must be cn, san_email, san_dns or san_uri, got %q", l.TLS.CertUser)
	}
	if l.AnonymousUser != "" {
		if !userNameRE.MatchString(l.AnonymousUser) {
			bad(p+".anonymous_user", "%q is not a valid user name (a letter or _, then letters, digits, _ . -; at most 64)", l.AnonymousUser)
		} else if !local && addrOK {
			bad(p+".anonymous_user", "anonymous access is only allowed on loopback or unix: listeners, not on %s", l.Address)
		}
	}
	if l.LDAP != nil {
		l.LDAP.validate(p+".ldap", bad)
	}
	if l.PAM != nil {
		l.PAM.validate(p+".pam", bad)
		if l.LDAP != nil {
			bad(p+".pam", "a listener checks passwords with ldap or pam, not both")
		}
	}
	sizeRange(bad, p+".max_code_bytes", l.MaxCodeBytes, 1, 256<<20)
	durRange(bad, p+".read_timeout", l.ReadTimeout, 100*time.Millisecond, time.Hour)
	if l.OIDC != nil {
		validateOIDC(l, p+".oidc", bad)
	}
	if l.OcpuApps != "" {
		if l.Protocol != ProtocolHTTP {
			bad(p+".ocpu_apps", "only http listeners serve OpenCPU apps")
		} else if fi, err := os.Stat(l.OcpuApps); err != nil || !fi.IsDir() {
			bad(p+".ocpu_apps", "must be an existing directory, got %q", l.OcpuApps)
		}
	}
}

func validateOIDC(l *ListenerConfig, p string, bad func(string, string, ...any)) {
	o := l.OIDC
	if l.Protocol != ProtocolHTTP {
		bad(p, "only http listeners accept bearer tokens")
	}
	if u, err := url.Parse(o.Issuer); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		bad(p+".issuer", "must be an https URL (the keys are fetched from it over TLS)")
	}
	if o.Audience == "" {
		bad(p+".audience", "is required (the client id the tokens are issued for)")
	}
	if o.UserClaim == "" {
		bad(p+".user_claim", "must name a claim")
	}
	if len(o.Roles) > 0 && o.RolesClaim == "" {
		bad(p+".roles_claim", "roles needs the claim that holds them")
	}
	for _, k := range sortedKeys(o.Roles) {
		if !userNameRE.MatchString(o.Roles[k]) {
			bad(p+".roles."+k, "%q is not a valid rwarden user name", o.Roles[k])
		}
	}
}

func (s LimitSet) validate(p string, bad func(string, string, ...any)) {
	if s.Wall != nil {
		durRange(bad, p+".wall", *s.Wall, 100*time.Millisecond, 24*time.Hour)
	}
	if s.CPU != nil {
		durRange(bad, p+".cpu", *s.CPU, 100*time.Millisecond, 24*time.Hour)
	}
	if s.Memory != nil {
		// R itself needs about 65 MB resident and more address space.
		sizeRange(bad, p+".memory", *s.Memory, 256<<20, 1<<40)
	}
	if s.Output != nil {
		sizeRange(bad, p+".output", *s.Output, 1<<10, 1<<30)
	}
	if s.Sessions != nil {
		inRange(bad, p+".sessions", *s.Sessions, 1, 10000)
	}
	if s.SessionWall != nil {
		durRange(bad, p+".session_wall", *s.SessionWall, time.Second, 30*24*time.Hour)
	}
	if s.SessionCPU != nil {
		durRange(bad, p+".session_cpu", *s.SessionCPU, time.Second, 30*24*time.Hour)
	}
	if s.Idle != nil {
		durRange(bad, p+".idle", *s.Idle, time.Second, 30*24*time.Hour)
	}
	if s.Data != nil {
		sizeRange(bad, p+".data", *s.Data, 1<<10, 1<<30)
	}
}

func inRange(bad func(string, string, ...any), path string, v, lo, hi int) {
	if v < lo || v > hi {
		bad(path, "must be between %d and %d, got %d", lo, hi, v)
	}
}

// DurationIn reports through p when the duration at path is outside [lo, hi].
func DurationIn(p *Problems, path string, v Duration, lo, hi time.Duration) {
	durRange(p.Addf, path, v, lo, hi)
}

func durRange(bad func(string, string, ...any), path string, v Duration, lo, hi time.Duration) {
	if v.Std() < lo || v.Std() > hi {
		bad(path, "must be between %s and %s, got %s", fmtDur(lo), fmtDur(hi), fmtDur(v.Std()))
	}
}

func sizeRange(bad func(string, string, ...any), path string, v Size, lo, hi Size) {
	if v < lo || v > hi {
		bad(path, "must be between %s and %s, got %s", lo, hi, v)
	}
}

// fmtDur prints durations the way they are written in the file ("10m", not
// "10m0s").
func fmtDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port or unix:/path", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q: port must be a number from 0 to 65535", addr)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic error lists
	return keys
}

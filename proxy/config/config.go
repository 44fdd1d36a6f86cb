package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is rwarden's configuration (rwarden serve --config FILE). Every key
// is optional except listeners; docs/rwarden.example.yaml documents them all.
// Paths are absolute after Load: relative paths in the file are taken
// relative to the file's directory.
type Config struct {
	StateDir      string            `yaml:"state_dir"`
	Listeners     []ListenerConfig  `yaml:"listeners"`
	UsersFile     string            `yaml:"users_file"`
	PoliciesDir   string            `yaml:"policies_dir"`
	Audit         AuditConfig       `yaml:"audit"`
	Admin         AdminConfig       `yaml:"admin"`
	Limits        LimitsConfig      `yaml:"limits"`
	Pool          PoolConfig        `yaml:"pool"`
	Data          DataConfig        `yaml:"data"`
	Auth          AuthConfig        `yaml:"auth"`
	Connections   ConnectionsConfig `yaml:"connections"`
	Throttle      ThrottleConfig    `yaml:"throttle"`
	ShutdownGrace Duration          `yaml:"shutdown_grace"`
	Egress        EgressConfig      `yaml:"egress"`
	MCP           MCPConfig         `yaml:"mcp"`
	Store         StoreConfig       `yaml:"store"`
	Cluster       ClusterConfig     `yaml:"cluster"`

	// File is the configuration file it was loaded from ("" for defaults).
	File string `yaml:"-"`
	// lines maps key paths to the line of their value, for problems found
	// after decoding (see Problems).
	lines map[string]int
}

// Listener protocols.
const (
	ProtocolFramed = "framed"
	ProtocolQAP1   = "qap1"
	ProtocolHTTP   = "http"
)

// ListenerConfig is one listening socket.
type ListenerConfig struct {
	// Address is host:port or unix:/path/to/socket.
	Address  string      `yaml:"address"`
	Protocol string      `yaml:"protocol"` // framed | qap1 | http
	TLS      ListenerTLS `yaml:"tls"`
	// Plaintext must be set to listen without TLS; it is refused unless the
	// address is loopback or a unix socket.
	Plaintext bool `yaml:"plaintext"`
	// AnonymousUser is the identity of connections that bring no credentials
	// (no AUTH line, client certificate or mapped peer uid). Empty: refuse them.
	AnonymousUser string   `yaml:"anonymous_user"`
	UnixMode      FileMode `yaml:"unix_mode"`      // socket file mode for unix: listeners
	MaxCodeBytes  Size     `yaml:"max_code_bytes"` // largest request accepted
	ReadTimeout   Duration `yaml:"read_timeout"`   // the whole request must arrive within this
	// MaxConnections bounds this listener's open connections; 0: only the
	// server-wide limits (connections.max, connections.per_address) apply.
	MaxConnections int `yaml:"max_connections"`
	// OIDC, on an http listener, accepts OIDC bearer tokens from one issuer.
	OIDC *OIDCConfig `yaml:"oidc,omitempty"`
	// LDAP, when set, checks this listener's passwords against a directory
	// instead of the users file.
	LDAP *LDAPConfig `yaml:"ldap,omitempty"`
	// PAM, when set, checks passwords through PAM (a -tags pam build).
	PAM *PAMConfig `yaml:"pam,omitempty"`
	// ProxyProtocol, when set, takes the client's address from a PROXY
	// protocol header sent by a configured load balancer.
	ProxyProtocol *ProxyProtocolConfig `yaml:"proxy_protocol,omitempty"`
	// OcpuApps, on an http listener, is a directory of OpenCPU-style web
	// apps: each subdirectory APP is served (to authenticated users) at
	// /ocpu/library/APP/www/, so that an app's pages and opencpu.js call
	// the API from the same origin. Empty: no apps are served.
	OcpuApps string `yaml:"ocpu_apps,omitempty"`
}

// ConnectionsConfig bounds open client connections across listeners, so
// that idle or slow clients cannot use up the descriptors that workers and
// the audit trail need (connections are refused before that reserve).
type ConnectionsConfig struct {
	// Max bounds all open connections together. 0: the descriptor limit
	// (RLIMIT_NOFILE, raised to its hard limit at start) less ReserveFDs.
	// A larger value is lowered to that at start, with a warning.
	Max int `yaml:"max"`
	// PerAddress bounds the open connections of one source address (an
	// IPv6 client's /64); unix-socket clients count only in the totals.
	PerAddress int `yaml:"per_address"`
	// ReserveFDs are descriptors connections may never use: for workers
	// (their pipes), the audit trail, listeners and reloads. 0: 64 plus 8
	// per pool.max worker.
	ReserveFDs int `yaml:"reserve_fds"`
}

// DefaultPerAddress is connections.per_address unless configured.
const DefaultPerAddress = 128

// ReserveFor is the descriptor reserve: ReserveFDs, or its default for a
// pool of poolMax workers.
func (c ConnectionsConfig) ReserveFor(poolMax int) int {
	if c.ReserveFDs > 0 {
		return c.ReserveFDs
	}
	return 64 + 8*poolMax
}

// OIDCConfig is how an http listener verifies OIDC bearer tokens (JWTs
// signed by the issuer, keys from its JWKS, fetched over TLS).
type OIDCConfig struct {
	Issuer   string `yaml:"issuer"`   // https URL; its /.well-known/openid-configuration is read
	Audience string `yaml:"audience"` // the aud the token must carry (the client id)
	// UserClaim names the rwarden user (default "sub"). The issuer must
	// control it: a claim users may edit themselves would let them pick.
	UserClaim string `yaml:"user_claim"`
	// RolesClaim (a string or list of strings) and Roles map the issuer's
	// roles or groups to rwarden users whose policy (and limits) apply
	// when the user claim names no rwarden user: the first value of the
	// claim with a mapping wins.
	RolesClaim string            `yaml:"roles_claim"`
	Roles      map[string]string `yaml:"roles"`
	CAFile     string            `yaml:"ca_file"` // PEM CAs for the issuer's TLS (default: the system's)
}

// Client certificate modes (ListenerTLS.ClientAuth).
const (
	ClientAuthNone    = "none"
	ClientAuthRequest = "request"
	ClientAuthRequire = "require"
)

// How a verified client certificate names its user (ListenerTLS.CertUser).
const (
	CertUserCN       = "cn"
	CertUserSANEmail = "san_email"
	CertUserSANDNS   = "san_dns"
	CertUserSANURI   = "san_uri"
)

// ListenerTLS is the TLS setup of a listener.
type ListenerTLS struct {
	Cert       string `yaml:"cert"`        // PEM certificate chain
	Key        string `yaml:"key"`         // PEM private key
	ClientCA   string `yaml:"client_ca"`   // PEM CA bundle that client certificates must chain to
	ClientAuth string `yaml:"client_auth"` // none | request | require
	CertUser   string `yaml:"cert_user"`   // cn | san_email | san_dns | san_uri
}

// Enabled reports whether any TLS key was given.
func (t ListenerTLS) Enabled() bool { return t.Cert != "" || t.Key != "" || t.ClientCA != "" }

// IsUnix reports whether the listener is a unix socket.
func (l ListenerConfig) IsUnix() bool { return IsUnixAddress(l.Address) }

// AuditConfig configures the audit trail. Fsync and Code are the audit
// package's settings; they are checked by the session core (proxy/core),
// the only package that talks to the audit trail. Empty means the audit
// package's default (interval, full).
type AuditConfig struct {
	File        string   `yaml:"file"`
	Fsync       string   `yaml:"fsync,omitempty"` // interval | always | batch | never
	RotateBytes Size     `yaml:"rotate_bytes"`    // 0: never by size
	RotateEvery Duration `yaml:"rotate_every"`    // 0: never by age
	Code        string   `yaml:"code,omitempty"`  // full | truncated:N | hash_only
	Syslog      bool     `yaml:"syslog"`          // also send records to syslog
	// FreeSpaceWarn and FreeSpaceCritical are watermarks of the free space
	// on the audit file's filesystem: below them /healthz says degraded
	// (warn) or unhealthy (critical) long before a full disk makes every
	// evaluation fail closed. 0: that watermark is off.
	FreeSpaceWarn     Size `yaml:"free_space_warn"`
	FreeSpaceCritical Size `yaml:"free_space_critical"`
}

// MCPConfig configures the MCP server at /mcp on the http listeners.
type MCPConfig struct {
	// AllowedOrigins are the browser origins (scheme://host[:port]) whose
	// requests are served; a request with any other Origin header is
	// refused. Clients that send no Origin (not browsers) are unaffected.
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// AdminConfig configures the admin listener: /metrics and /healthz (no
// authentication) and, with TLS, the admin API under /admin/v1/ (client
// certificates of users holding Role).
type AdminConfig struct {
	Address string `yaml:"address"` // host:port; empty: off
	// AllowRemote permits a non-loopback admin address. /metrics and
	// /healthz have no authentication, so this is an explicit decision.
	AllowRemote bool `yaml:"allow_remote"`
	// TLS serves the admin listener over TLS. The admin API (/admin/v1/)
	// exists only with TLS and a client_ca: it needs client certificates.
	TLS ListenerTLS `yaml:"tls"`
	// Role is the policy role a certificate's user must hold for the admin
	// API (default role:admin).
	Role string `yaml:"role"`
}

// DefaultAdminRole is admin.role unless configured.
const DefaultAdminRole = "role:admin"

// APIEnabled reports whether the admin API is served (TLS with client
// certificates verified against a CA).
func (a AdminConfig) APIEnabled() bool { return a.TLS.Cert != "" && a.TLS.ClientCA != "" }

// LimitSet is a partial set of limits as written in the configuration; nil
// fields are not set at that level.
type LimitSet struct {
	Wall        *Duration `yaml:"wall,omitempty"`
	CPU         *Duration `yaml:"cpu,omitempty"`
	Memory      *Size     `yaml:"memory,omitempty"`
	Output      *Size     `yaml:"output,omitempty"`
	Sessions    *int      `yaml:"sessions,omitempty"`
	SessionWall *Duration `yaml:"session_wall,omitempty"`
	SessionCPU  *Duration `yaml:"session_cpu,omitempty"`
	// Idle is how long a session (QAP1's, later HTTP's) may wait for its
	// client's next request before it is ended and its worker freed.
	Idle *Duration `yaml:"idle,omitempty"`
	// Data bounds one data transfer into a session (QAP1's assign commands,
	// a workspace upload): a larger one is refused with a clear error and
	// the session goes on.
	Data *Size `yaml:"data,omitempty"`
}

// LimitsConfig holds the limits at each level.
type LimitsConfig struct {
	Default LimitSet            `yaml:"default"`
	Roles   map[string]LimitSet `yaml:"roles,omitempty"`
	Users   map[string]LimitSet `yaml:"users,omitempty"`
}

// PoolConfig configures the worker pool.
type PoolConfig struct {
	Warm           int      `yaml:"warm"`            // workers kept started ahead of demand
	Max            int      `yaml:"max"`             // workers alive at most
	AcquireTimeout Duration `yaml:"acquire_timeout"` // wait for a free worker at most this long
	ScratchBytes   Size     `yaml:"scratch_bytes"`   // per-session scratch directory quota
	UIDRange       UIDRange `yaml:"uid_range"`       // uids the workers run as (when root)
	User           string   `yaml:"user"`            // run workers as this system user instead
	RHome          string   `yaml:"r_home"`          // R installation (R_HOME)
	// BusyPoll is how long the worker of a session sending requests back to
	// back polls for the next one, and rwarden for its answers, instead of
	// sleeping (0: never; unset: the sandbox's default).
	BusyPoll *Duration `yaml:"busy_poll,omitempty"`
	// MemoryBudget bounds the memory that users' sessions actually use
	// together (each worker's sampled proportional set size); 0: three
	// quarters of the host's memory.
	MemoryBudget Size `yaml:"memory_budget"`
	// MemoryReserve is kept free inside the budget: a session gets a
	// worker only while use + reserve fits. 0: 2GiB (at most a quarter of
	// the budget).
	MemoryReserve Size `yaml:"memory_reserve"`
	// UserMemoryShare is the percentage of the budget one user's sessions
	// (an anonymous user's from one address) may use. 0: 50.
	UserMemoryShare int `yaml:"user_memory_share"`
	// InsecureNoSandbox runs workers without Landlock/seccomp when the kernel
	// lacks them. Never for production; loudly logged.
	InsecureNoSandbox bool `yaml:"insecure_no_sandbox"`
}

// AuthConfig configures password checking.
type AuthConfig struct {
	Argon2 Argon2Config `yaml:"argon2"`
	// MaxConcurrentHashes bounds simultaneous argon2 computations, so that a
	// flood of login attempts cannot exhaust memory.
	MaxConcurrentHashes int `yaml:"max_concurrent_hashes"`
}

// Argon2Config are the argon2id parameters for new password hashes.
type Argon2Config struct {
	Memory  Size   `yaml:"memory,omitempty"`
	Time    uint32 `yaml:"time"`
	Threads uint8  `yaml:"threads"`
}

// MemoryKiB is Memory in the unit golang.org/x/crypto/argon2 takes.
func (a Argon2Config) MemoryKiB() uint32 { return uint32(a.Memory / 1024) }

// Defaults.
const (
	DefaultStateDir      = "/var/lib/rwarden"
	DefaultMaxCodeBytes  = 1 << 20
	DefaultReadTimeout   = 10 * time.Second
	DefaultUnixMode      = 0o660
	DefaultShutdownGrace = 30 * time.Second
	maxConfigBytes       = 1 << 20
)

func (l *ListenerConfig) setDefaults() {
	l.Protocol = ProtocolFramed
	l.UnixMode = DefaultUnixMode
	l.MaxCodeBytes = DefaultMaxCodeBytes
	l.ReadTimeout = Duration(DefaultReadTimeout)
}

func (t *ListenerTLS) fillDefaults() {
	if t.ClientAuth == "" {
		t.ClientAuth = ClientAuthNone
	}
	if t.CertUser == "" {
		t.CertUser = CertUserCN
	}
}

// Base holds every default that does not depend on the state directory or
// the listeners.
func Base() *Config {
	return &Config{
		Pool: PoolConfig{
			Warm:           2,
			Max:            16,
			AcquireTimeout: Duration(10 * time.Second),
			ScratchBytes:   64 << 20,
			UIDRange:       UIDRange{First: 61000, Last: 61999},
			RHome:          "/usr/lib/R",
		},
		Auth: AuthConfig{
			// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
			Argon2:              Argon2Config{Memory: 19 << 20, Time: 2, Threads: 1},
			MaxConcurrentHashes: 4,
		},
		Connections:   ConnectionsConfig{PerAddress: DefaultPerAddress},
		Audit:         AuditConfig{FreeSpaceWarn: DefaultFreeSpaceWarn, FreeSpaceCritical: DefaultFreeSpaceCritical},
		Throttle:      DefaultThrottle(),
		Egress:        EgressConfig{DialTimeout: DefaultEgressDialTimeout, MaxConnections: DefaultEgressMaxConnections},
		ShutdownGrace: Duration(DefaultShutdownGrace),
	}
}

// NewListener returns a listener on address with every default set.
func NewListener(address string) ListenerConfig {
	var l ListenerConfig
	l.setDefaults()
	l.Address = address
	return l
}

// Check is a validation that needs more than the configuration itself
// (the session core checks audit and sandbox settings with it). It reports
// every problem to p.
type Check func(c *Config, p *Problems)

// Load reads, strictly decodes and validates a configuration file, then runs
// checks. Every problem is reported, each with the file, line and key path,
// in a *Error: unknown keys, wrong types, bad values and unsafe settings
// (such as a plaintext listener on a non-loopback address).
func Load(path string, checks ...Check) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading configuration %s: %w", path, err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("reading configuration %s: larger than %d bytes", path, maxConfigBytes)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration %s: %w", path, err)
	}
	return Parse(data, path, filepath.Dir(abs), checks...)
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse decodes data like Load; name is used in messages and baseDir
// resolves relative paths.
func Parse(data []byte, name, baseDir string, checks ...Check) (*Config, error) {
	d := &strictDecoder{file: name, lines: map[string]int{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if m := yamlLineErr.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			d.addf(line, "", "YAML syntax: %s", m[2])
		} else {
			d.addf(0, "", "YAML syntax: %s", msg)
		}
		return nil, d.err()
	}
	cfg := Base()
	if len(doc.Content) == 0 {
		d.addf(0, "", "the file is empty; at least one listener is required")
		return nil, d.err()
	}
	d.decode(doc.Content[0], reflect.ValueOf(cfg).Elem(), "")
	if err := d.err(); err != nil {
		return nil, err
	}
	cfg.File = name
	cfg.lines = d.lines
	cfg.FillPaths(baseDir)
	cfg.validate(d)
	for _, check := range checks {
		check(cfg, &Problems{d: d})
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// FillPaths resolves relative paths against baseDir and derives unset ones
// from the state directory.
func (c *Config) FillPaths(baseDir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) || baseDir == "" {
			return p
		}
		return filepath.Join(baseDir, p)
	}
	if c.StateDir == "" {
		c.StateDir = DefaultStateDir
	}
	c.StateDir = abs(c.StateDir)
	orState := func(p, name string) string {
		if p == "" {
			return filepath.Join(c.StateDir, name)
		}
		return abs(p)
	}
	c.UsersFile = orState(c.UsersFile, "users.txt")
	c.PoliciesDir = orState(c.PoliciesDir, "policies")
	c.Audit.File = orState(c.Audit.File, "audit.jsonl")
	for i := range c.Listeners {
		l := &c.Listeners[i]
		if IsUnixAddress(l.Address) {
			l.Address = unixPrefix + abs(UnixPath(l.Address))
		}
		l.TLS.Cert, l.TLS.Key, l.TLS.ClientCA = abs(l.TLS.Cert), abs(l.TLS.Key), abs(l.TLS.ClientCA)
		l.OcpuApps = abs(l.OcpuApps)
		if l.OIDC != nil {
			l.OIDC.CAFile = abs(l.OIDC.CAFile)
			if l.OIDC.UserClaim == "" {
				l.OIDC.UserClaim = "sub"
			}
		}
		l.TLS.fillDefaults()
		if l.LDAP != nil {
			l.LDAP.fillPaths(abs)
		}
		if l.PAM != nil {
			l.PAM.ConfDir = abs(l.PAM.ConfDir)
		}
	}
	c.Admin.fillPaths(abs)
	c.Store.DSNFile = abs(c.Store.DSNFile)
}

package config

import (
	"net"
	"regexp"
	"strconv"
	"strings"
)

// EgressConfig names the network destinations sessions may reach. It is
// empty by default: no session reaches any network. A worker never gets a
// network of its own; rwarden forwards each granted destination through a
// Unix socket in the worker's scratch directory (see docs/sandbox.md,
// "Network egress").
type EgressConfig struct {
	// Destinations are the named destinations and the roles granted them.
	Destinations []EgressDestination `yaml:"destinations"`
	// DialTimeout bounds rwarden's connect to a destination. Default 10s.
	DialTimeout Duration `yaml:"dial_timeout"`
	// MaxConnections bounds the open forwarded connections of one session
	// to one destination. Default 8.
	MaxConnections int `yaml:"max_connections"`
}

// EgressDestination is one destination: a fixed host:port that rwarden
// connects to on a session's behalf.
type EgressDestination struct {
	// Name is the socket directory's name inside the worker
	// ($RWARDEN_EGRESS/<name>) and the destination's name in the audit.
	Name string `yaml:"name"`
	// To is host:port. rwarden connects only here; the worker never learns
	// or chooses an address.
	To string `yaml:"to"`
	// Kind is the socket's file name convention: "postgres" names it
	// .s.PGSQL.<port of to> so that libpq (RPostgreSQL, RPostgres) connects
	// with host = the directory and port = that port; "tcp" names it
	// "socket". Default postgres.
	Kind string `yaml:"kind"`
	// Roles are the roles (without the "role:" prefix) whose users get
	// this destination.
	Roles []string `yaml:"roles"`
}

// Egress kinds.
const (
	EgressPostgres = "postgres"
	EgressTCP      = "tcp"
)

// Egress defaults.
const (
	DefaultEgressDialTimeout    = Duration(10e9)
	DefaultEgressMaxConnections = 8
	maxEgressDestinations       = 64
)

var egressName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// SocketFile is the name of the destination's socket file inside its
// directory.
func (d EgressDestination) SocketFile() string {
	if d.Kind == EgressTCP {
		return "socket"
	}
	_, port, _ := net.SplitHostPort(d.To)
	return ".s.PGSQL." + port
}

// EgressFor returns the destinations granted to a user holding roles (with
// or without the "role:" prefix), in configuration order.
func (c *Config) EgressFor(roles []string) []EgressDestination {
	var out []EgressDestination
	for _, d := range c.Egress.Destinations {
		for _, want := range d.Roles {
			if hasRole(roles, want) {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

func hasRole(roles []string, want string) bool {
	for _, r := range roles {
		if strings.TrimPrefix(r, "role:") == want {
			return true
		}
	}
	return false
}

// validateEgress reports every bad destination; nothing is guessed.
func (c *Config) validateEgress(bad func(string, string, ...any)) {
	e := &c.Egress
	if e.DialTimeout == 0 {
		e.DialTimeout = DefaultEgressDialTimeout
	}
	if e.DialTimeout < 0 || e.DialTimeout.Std() > 5*60e9 {
		bad("egress.dial_timeout", "must be between 0 (default 10s) and 5m")
	}
	if e.MaxConnections == 0 {
		e.MaxConnections = DefaultEgressMaxConnections
	}
	if e.MaxConnections < 0 || e.MaxConnections > 1024 {
		bad("egress.max_connections", "must be between 1 and 1024 (0 for the default %d), got %d", DefaultEgressMaxConnections, e.MaxConnections)
	}
	if len(e.Destinations) > maxEgressDestinations {
		bad("egress.destinations", "at most %d destinations, got %d", maxEgressDestinations, len(e.Destinations))
	}
	seen := map[string]bool{}
	for i := range e.Destinations {
		d := &e.Destinations[i]
		p := "egress.destinations[" + strconv.Itoa(i) + "]"
		if !egressName.MatchString(d.Name) {
			bad(p+".name", "must match %s (it names a directory inside the worker), got %q", egressName, d.Name)
		} else if seen[d.Name] {
			bad(p+".name", "destination %q is named twice", d.Name)
		}
		seen[d.Name] = true
		if d.Kind == "" {
			d.Kind = EgressPostgres
		}
		if d.Kind != EgressPostgres && d.Kind != EgressTCP {
			bad(p+".kind", "must be %q or %q, got %q", EgressPostgres, EgressTCP, d.Kind)
		}
		host, port, err := net.SplitHostPort(d.To)
		if err != nil || host == "" {
			bad(p+".to", "must be host:port, got %q", d.To)
		} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			bad(p+".to", "port must be 1-65535, got %q", port)
		}
		if len(d.Roles) == 0 {
			bad(p+".roles", "name at least one role; a destination no role holds is unreachable")
		}
		for j, r := range d.Roles {
			if r == "" || strings.HasPrefix(r, "role:") || strings.ContainsAny(r, " \t\n,") {
				bad(p+".roles["+strconv.Itoa(j)+"]", "a role name without the \"role:\" prefix, got %q", r)
			}
		}
	}
}

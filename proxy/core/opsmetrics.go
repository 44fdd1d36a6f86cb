package core

import (
	"crypto/x509"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BuildInfo names the running build for rwarden_build_info. Empty fields
// are taken from the binary's embedded build information.
type BuildInfo struct {
	Version string
	Commit  string
}

// resolve fills what the caller left empty from runtime/debug (the module
// version, the VCS revision) and says "unknown" for what neither knows.
func (b BuildInfo) resolve() BuildInfo {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && bi.Main.Version != "" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if b.Commit == "" && s.Key == "vcs.revision" {
				b.Commit = s.Value
			}
		}
	}
	if b.Version == "" {
		b.Version = "unknown"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

// registerOpsMetrics adds what an operator watches beyond the request
// counters: the build, and open sessions per role.
func (c *Core) registerOpsMetrics(b BuildInfo) {
	b = b.resolve()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "rwarden_build_info",
		Help:        "Always 1; the labels name the running build (version, commit, Go toolchain).",
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.Commit, "go": runtime.Version()},
	})
	build.Set(1)
	// Reload counters exist from the start at 0, so that a rate or an
	// alert on them has a series before the first reload.
	for _, res := range []string{"ok", "rejected"} {
		c.metrics.reloads.WithLabelValues(res)
		for _, f := range []string{"users", "certificate"} {
			c.fileReloads.WithLabelValues(f, res)
		}
	}
	c.metrics.reg.MustRegister(build, &roleSessions{c: c})
}

// roleSessions exports rwarden_sessions_by_role: for every role of the
// policy in force, the open sessions of users holding it (directly or
// inherited; a session counts once under each of its user's roles).
type roleSessions struct{ c *Core }

var roleSessionsDesc = prometheus.NewDesc("rwarden_sessions_by_role",
	"Open sessions by role of their user (a session counts under each role its user holds, directly or inherited).",
	[]string{"role"}, nil)

func (r *roleSessions) Describe(ch chan<- *prometheus.Desc) { ch <- roleSessionsDesc }

func (r *roleSessions) Collect(ch chan<- prometheus.Metric) {
	counts := map[string]int{}
	for _, role := range r.c.policy.RoleNames() {
		counts[role] = 0
	}
	byUser := map[string]int{}
	r.c.live.Range(func(_, v any) bool {
		byUser[v.(*Session).id.User]++
		return true
	})
	for user, n := range byUser {
		for _, role := range r.c.policy.Roles(user) {
			counts[role] += n
		}
	}
	for role, n := range counts {
		ch <- prometheus.MustNewConstMetric(roleSessionsDesc, prometheus.GaugeValue, float64(n), role)
	}
}

// WatchCertificate exports rwarden_certificate_expiry_seconds for a
// listener: seconds until the notAfter of the certificate it serves now
// (cert is asked at every scrape, so a reloaded certificate shows at once;
// negative once expired).
func (c *Core) WatchCertificate(listener string, cert func() *x509.Certificate) {
	g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "rwarden_certificate_expiry_seconds",
		Help:        "Seconds until the certificate a listener serves expires (negative: expired).",
		ConstLabels: prometheus.Labels{"listener": listener},
	}, func() float64 {
		if x := cert(); x != nil {
			return time.Until(x.NotAfter).Seconds()
		}
		return 0
	})
	if err := c.metrics.reg.Register(g); err != nil {
		c.log.Warn("cannot export the certificate expiry", "listener", listener, "err", err)
	}
}

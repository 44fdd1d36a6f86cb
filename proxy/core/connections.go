package core

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rwarden/rwarden/proxy/transport"
)

// Connections refused by a limit (total, per address, per listener) are
// counted by listener and reason and logged at info, rate-limited like
// handshake failures: a flood of refusals must not flood the log.

func newRefusedCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rwarden_connections_refused_total",
		Help: "Connections refused at accept by a connection limit, by listener and limit (total, per_address, listener), or for their PROXY protocol header (proxy_header: from an address that is not a load balancer; proxy_invalid: a balancer's header missing or invalid).",
	}, []string{"listener", "reason"})
}

// ConnectionRefused records a connection refused by a limit.
func (c *Core) ConnectionRefused(listener string, r *transport.Refused) {
	c.metrics.refused.WithLabelValues(listener, r.Reason).Inc()
	ok, suppressed := c.refusedLog.allow(time.Now())
	if !ok {
		return
	}
	args := []any{"remote", r.Remote, "listener", listener, "limit", r.Reason, "max", r.Limit}
	if suppressed > 0 {
		args = append(args, "not_logged_since_last", suppressed)
	}
	c.log.Info("connection refused: "+r.Message(), args...)
}

// WatchConnections exports the open connections and their limit as gauges
// (rwarden_connections_open, rwarden_connections_limit).
func (c *Core) WatchConnections(open func() int, limit int) {
	lim := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "rwarden_connections_limit",
		Help: "The most client connections open at once (connections.max, or the descriptor limit less the reserve).",
	})
	lim.Set(float64(limit))
	c.metrics.reg.MustRegister(lim, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rwarden_connections_open",
		Help: "Client connections open, all listeners together.",
	}, func() float64 { return float64(open()) }))
}

package core

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/rwarden/rwarden/sandbox"
)

// metrics are rwarden's Prometheus metrics, on a registry of their own (not
// the global one), served by the admin listener.
type metrics struct {
	reg           *prometheus.Registry
	evals         *prometheus.CounterVec
	evalLatency   *prometheus.HistogramVec
	policyLatency prometheus.Histogram
	auth          *prometheus.CounterVec
	poolWait      prometheus.Histogram
	sessionsOpen  prometheus.Gauge
	auditFailures prometheus.Counter
	auditLatency  prometheus.Histogram
	reloads       *prometheus.CounterVec
	handshakes    *prometheus.CounterVec
	refused       *prometheus.CounterVec
	throttleMetrics
}

func newMetrics(pool func() sandbox.PoolStats) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		evals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rwarden_evaluations_total",
			Help: "Evaluation requests by decision (allowed, denied, error, timeout, killed, crashed) and worker status.",
		}, []string{"decision", "status"}),
		evalLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rwarden_evaluation_duration_seconds",
			Help:    "Time from receiving code to having its outcome (policy check, worker, audit), by decision.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 16),
		}, []string{"decision"}),
		policyLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rwarden_policy_check_duration_seconds",
			Help:    "Time to parse and check code against the user's policy.",
			Buckets: prometheus.ExponentialBuckets(0.00001, 2.5, 14),
		}),
		auth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rwarden_authentications_total",
			Help: "Authentication attempts by method and result (success, failure, rate_limited).",
		}, []string{"method", "result"}),
		poolWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rwarden_pool_wait_seconds",
			Help:    "Time a session waited for a sandboxed worker.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14),
		}),
		sessionsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rwarden_sessions_open",
			Help: "Sessions currently open.",
		}),
		auditFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rwarden_audit_write_failures_total",
			Help: "Evaluations refused because their audit record could not be written.",
		}),
		auditLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rwarden_audit_write_seconds",
			Help:    "Time to write one evaluation's audit record (durable per the fsync policy) before its answer.",
			Buckets: prometheus.ExponentialBuckets(0.00001, 2.5, 14),
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rwarden_policy_reloads_total",
			Help: "Policy reloads by result (ok, rejected).",
		}, []string{"result"}),
		handshakes: newHandshakeCounter(),
		refused:    newRefusedCounter(),
	}
	poolCounter := func(name, help string, get func(sandbox.PoolStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(get(pool())) })
	}
	workers := func(state string, get func(sandbox.PoolStats) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "rwarden_workers",
			Help:        "Sandboxed R workers by state.",
			ConstLabels: prometheus.Labels{"state": state},
		}, func() float64 { return float64(get(pool())) })
	}
	m.reg.MustRegister(m.evals, m.evalLatency, m.policyLatency, m.auth, m.poolWait, m.sessionsOpen,
		m.auditFailures, m.auditLatency, m.reloads, m.handshakes, m.refused,
		workers("idle", func(s sandbox.PoolStats) int { return s.Idle }),
		workers("busy", func(s sandbox.PoolStats) int { return s.Busy }),
		workers("starting", func(s sandbox.PoolStats) int { return s.Starting }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "rwarden_worker_start_failures_total",
			Help: "Workers that failed to start.",
		}, func() float64 { return float64(pool().Failed) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "rwarden_workers_started_total",
			Help: "Workers started.",
		}, func() float64 { return float64(pool().Started) }),
		poolCounter("rwarden_session_forks_total", "Session processes forked from the fork template.",
			func(s sandbox.PoolStats) uint64 { return s.Forks }),
		poolCounter("rwarden_session_fork_failures_total", "Forks that failed after the template answered.",
			func(s sandbox.PoolStats) uint64 { return s.ForkFailures }),
		poolCounter("rwarden_template_starts_total", "Fork template (re)starts.",
			func(s sandbox.PoolStats) uint64 { return s.TemplateStarts }),
		poolCounter("rwarden_worker_starts_abandoned_total", "Worker starts whose waiting session gave up; each finished and served a later session.",
			func(s sandbox.PoolStats) uint64 { return s.Abandoned }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "rwarden_templates",
			Help: "Running fork templates, one per allowlist in use (0 means sessions start cold).",
		}, func() float64 { return float64(pool().Templates) }),
	)
	m.registerThrottle()
	return m
}

// watchBudget exports the memory budget: its size and what sessions use.
func (m *metrics) watchBudget(b *memBudget) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "rwarden_memory_budget_bytes",
			Help: "Memory that users' sessions may use together (pool.memory_budget).",
		}, func() float64 { return float64(b.limit) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "rwarden_memory_in_use_bytes",
			Help: "Memory that users' sessions use now (sum of their workers' sampled proportional set sizes).",
		}, func() float64 { return float64(b.inUse()) }),
	)
}

func (m *metrics) observeEval(o *Outcome) {
	status := "none"
	switch {
	case o.Result != nil:
		status = o.Result.Status.String()
	case o.Syntax != nil:
		status = "syntax_error"
	case o.Refusal != "":
		status = "refused"
	case o.Decision == DecisionDenied:
		status = "denied"
	}
	m.evals.WithLabelValues(o.Decision, status).Inc()
	m.evalLatency.WithLabelValues(o.Decision).Observe(o.Elapsed.Seconds())
}

func (c *Core) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(c.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		var problems []error
		if err := c.pool.Healthy(); err != nil {
			problems = append(problems, err)
		}
		if err := c.audit.Healthy(); err != nil {
			problems = append(problems, fmt.Errorf("audit: %w", err))
		}
		_, level, diskProblem := c.disk.check()
		if level == diskCritical {
			problems = append(problems, diskProblem)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := errors.Join(problems...); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "unhealthy: %v\n", err)
			return
		}
		// Still serving: 200, but an operator's check sees the word.
		var degraded []error
		if err := c.storeProblem(); err != nil {
			// Serving with the last policy version loaded.
			degraded = append(degraded, err)
		}
		if level == diskWarn {
			degraded = append(degraded, diskProblem)
		}
		if len(degraded) > 0 {
			fmt.Fprintf(w, "degraded: %v\n", errors.Join(degraded...))
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

func histogramSum(h prometheus.Histogram) float64 {
	var m dto.Metric
	if err := h.Write(&m); err != nil || m.Histogram == nil {
		return 0
	}
	return m.Histogram.GetSampleSum()
}

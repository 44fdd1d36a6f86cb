package core

import "github.com/prometheus/client_golang/prometheus"

// throttleMetrics count what the login and request limits do.
type throttleMetrics struct {
	passwordChecks  *prometheus.CounterVec
	loginsLimited   *prometheus.CounterVec
	requestsLimited *prometheus.CounterVec
	floodSummaries  prometheus.Counter
}

func (m *metrics) registerThrottle() {
	m.passwordChecks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rwarden_password_checks_total",
		Help: "Passwords checked against the users file (argon2) by result (success, failure); attempts refused by the login limits are not checked.",
	}, []string{"result"})
	m.loginsLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rwarden_logins_rate_limited_total",
		Help: "Login attempts refused before any password check, by the limit hit (address, user and address, user, queue).",
	}, []string{"limit"})
	m.requestsLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rwarden_requests_rate_limited_total",
		Help: "Evaluation requests refused by the request limits, by the limit hit (evaluations, denials).",
	}, []string{"limit"})
	m.floodSummaries = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rwarden_audit_summaries_total",
		Help: "Summary records written for refusals that were counted instead of recorded one by one.",
	})
	m.reg.MustRegister(m.passwordChecks, m.loginsLimited, m.requestsLimited, m.floodSummaries)
}

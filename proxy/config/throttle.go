package config

import "time"

// ThrottleConfig bounds what one client can make rwarden do: password
// guesses (per source address, per user and address, and per user from
// addresses the user has not logged in from), evaluation requests and
// denials per user (per source address for anonymous users), and how many
// audit records a flood of refusals may write.
type ThrottleConfig struct {
	Login    LoginThrottle    `yaml:"login"`
	Requests RequestThrottle  `yaml:"requests"`
	Audit    AuditAggregation `yaml:"audit"`
}

// LoginThrottle tunes the failed-login limiter (auth.Limiter).
type LoginThrottle struct {
	// FailureDelay is the wait after one failed login, per source address
	// and per (user, address); each further failure doubles it up to
	// MaxFailureDelay.
	FailureDelay    Duration `yaml:"failure_delay"`
	MaxFailureDelay Duration `yaml:"max_failure_delay"`
	// ForgetEvery forgives one recorded failure per interval.
	ForgetEvery Duration `yaml:"forget_every"`
	// UserGuessesPerMinute and UserGuessBurst bound the password checks of
	// one user from addresses without a recent successful login as that
	// user, whatever their number: a token bucket per user.
	UserGuessesPerMinute int `yaml:"user_guesses_per_minute"`
	UserGuessBurst       int `yaml:"user_guess_burst"`
	// TrustFor is how long an address where a user logged in successfully
	// stays exempt from that user's guess bucket and from the address
	// limit (its own (user, address) failures still count).
	TrustFor Duration `yaml:"trust_for"`
}

// RequestThrottle limits evaluation requests per user (an anonymous user:
// per user and source address).
type RequestThrottle struct {
	EvaluationsPerMinute int `yaml:"evaluations_per_minute"`
	EvaluationBurst      int `yaml:"evaluation_burst"`
	// DenialsPerMinute and DenialBurst bound requests the policy denies
	// (or that do not parse); once exhausted, every request of that user
	// (or anonymous address) is refused until the bucket refills.
	DenialsPerMinute int `yaml:"denials_per_minute"`
	DenialBurst      int `yaml:"denial_burst"`
}

// AuditAggregation bounds the records a flood of refusals writes: per
// source address (logins) or per user or anonymous address (requests),
// the first FullRecords refusals in a Window are recorded in full, the
// rest counted into one summary record at the end of the window.
type AuditAggregation struct {
	FullRecords int      `yaml:"full_records"`
	Window      Duration `yaml:"window"`
}

// DefaultThrottle is the throttling without configuration: a guesser gets
// at most 10 checks of one user's password in any minute from addresses
// that user never logged in from; a user may send 600,000 evaluations a
// minute (bursts of 20,000: one QAP1 connection evaluating back to back
// made about 1,000 a second in the hostile-input test on a busy 2-core
// machine, so this only stops many runaway clients of one user) and have
// 30 denied (bursts of 20: what bounds a flood of denied code and its
// audit).
func DefaultThrottle() ThrottleConfig {
	return ThrottleConfig{
		Login: LoginThrottle{
			FailureDelay:         Duration(250 * time.Millisecond),
			MaxFailureDelay:      Duration(30 * time.Second),
			ForgetEvery:          Duration(time.Minute),
			UserGuessesPerMinute: 5,
			UserGuessBurst:       5,
			TrustFor:             Duration(30 * 24 * time.Hour),
		},
		Requests: RequestThrottle{
			EvaluationsPerMinute: 600_000,
			EvaluationBurst:      20_000,
			DenialsPerMinute:     30,
			DenialBurst:          20,
		},
		Audit: AuditAggregation{FullRecords: 5, Window: Duration(time.Minute)},
	}
}

// Default audit disk watermarks (audit.free_space_warn, _critical).
const (
	DefaultFreeSpaceWarn     = 1 << 30
	DefaultFreeSpaceCritical = 256 << 20
)

func (t ThrottleConfig) validate(bad func(string, string, ...any)) {
	l := t.Login
	durRange(bad, "throttle.login.failure_delay", l.FailureDelay, 10*time.Millisecond, time.Minute)
	durRange(bad, "throttle.login.max_failure_delay", l.MaxFailureDelay, l.FailureDelay.Std(), time.Hour)
	durRange(bad, "throttle.login.forget_every", l.ForgetEvery, time.Second, 24*time.Hour)
	inRange(bad, "throttle.login.user_guesses_per_minute", l.UserGuessesPerMinute, 1, 10000)
	inRange(bad, "throttle.login.user_guess_burst", l.UserGuessBurst, 1, 10000)
	durRange(bad, "throttle.login.trust_for", l.TrustFor, 0, 365*24*time.Hour)
	r := t.Requests
	inRange(bad, "throttle.requests.evaluations_per_minute", r.EvaluationsPerMinute, 1, 10_000_000)
	inRange(bad, "throttle.requests.evaluation_burst", r.EvaluationBurst, 1, 10_000_000)
	inRange(bad, "throttle.requests.denials_per_minute", r.DenialsPerMinute, 1, 10_000_000)
	inRange(bad, "throttle.requests.denial_burst", r.DenialBurst, 1, 10_000_000)
	inRange(bad, "throttle.audit.full_records", t.Audit.FullRecords, 1, 10000)
	durRange(bad, "throttle.audit.window", t.Audit.Window, time.Second, time.Hour)
}

func (a AuditConfig) validateWatermarks(bad func(string, string, ...any)) {
	sizeRange(bad, "audit.free_space_warn", a.FreeSpaceWarn, 0, 1<<50)
	sizeRange(bad, "audit.free_space_critical", a.FreeSpaceCritical, 0, 1<<50)
	if a.FreeSpaceCritical > a.FreeSpaceWarn && a.FreeSpaceWarn != 0 {
		bad("audit.free_space_critical", "must not be above audit.free_space_warn (%s)", a.FreeSpaceWarn)
	}
}

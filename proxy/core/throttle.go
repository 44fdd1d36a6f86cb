package core

import (
	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/proxy/config"
)

// newLoginLimiter builds the login limiter from throttle.login.
func newLoginLimiter(t config.LoginThrottle) *auth.Limiter {
	cfg := auth.DefaultLimiterConfig()
	cfg.BaseDelay = t.FailureDelay.Std()
	cfg.MaxDelay = t.MaxFailureDelay.Std()
	cfg.DecayInterval = t.ForgetEvery.Std()
	cfg.UserGuessesPerMinute = t.UserGuessesPerMinute
	cfg.UserGuessBurst = t.UserGuessBurst
	cfg.TrustFor = t.TrustFor.Std()
	return auth.NewLimiter(cfg)
}

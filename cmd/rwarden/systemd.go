package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/rwarden/rwarden/proxy"
)

// notifySystemd tells systemd (Type=notify units; NOTIFY_SOCKET set) that
// srv is ready once it serves, keeps the watchdog fed while it is alive, and
// says it is stopping when ctx ends, or at the latest when the returned
// function is called (on the way out of serve). Outside systemd every call
// is a no-op.
func notifySystemd(ctx context.Context, srv *proxy.Server, log *slog.Logger) (stopping func()) {
	srv.OnReady = func() {
		if ok, err := daemon.SdNotify(false, daemon.SdNotifyReady+"\nSTATUS=serving"); err != nil {
			log.Warn("sd_notify READY failed", "err", err)
		} else if ok {
			log.Info("told systemd the service is ready")
		}
		interval, err := daemon.SdWatchdogEnabled(false)
		if err != nil {
			log.Warn("systemd watchdog settings unreadable; not feeding it", "err", err)
		}
		if interval > 0 {
			go feedWatchdog(ctx, srv, interval/2, log)
		}
	}
	var once sync.Once
	stopping = func() { once.Do(func() { _, _ = daemon.SdNotify(false, daemon.SdNotifyStopping) }) }
	go func() {
		<-ctx.Done()
		stopping()
	}()
	return stopping
}

// feedWatchdog pings systemd's watchdog every period while the core answers
// its health check: a core that no longer answers (a deadlock in the pool or
// the audit trail) stops the pings, and systemd restarts the service. An
// unhealthy answer (no workers, audit not writable) still pings, since a
// restart does not mend it, and shows the problem in `systemctl status`.
func feedWatchdog(ctx context.Context, srv *proxy.Server, period time.Duration, log *slog.Logger) {
	health := srv.Core().AdminHandler()
	t := time.NewTicker(period)
	defer t.Stop()
	lastStatus := "serving"
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rec := httptest.NewRecorder()
		health.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		status := "serving"
		if rec.Code != http.StatusOK {
			status = strings.TrimSpace(rec.Body.String())
		}
		state := daemon.SdNotifyWatchdog
		if status != lastStatus {
			state += "\nSTATUS=" + status
			if status != "serving" {
				log.Warn("health check failed", "status", status)
			}
			lastStatus = status
		}
		if _, err := daemon.SdNotify(false, state); err != nil {
			log.Warn("sd_notify WATCHDOG failed", "err", err)
		}
	}
}

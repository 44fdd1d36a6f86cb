package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/proxy/core"
)

// Prefix is where the admin API is served.
const Prefix = "/admin/v1/"

// Protocol names the admin API in audit records.
const Protocol = "admin"

// maxReasonBytes bounds the reason an operator gives for ending a session.
const maxReasonBytes = 512

// Handler serves the admin API of c. With cfg.APIEnabled false (no TLS with
// client certificates) every request is answered 404 with the reason.
func Handler(c *core.Core, cfg config.AdminConfig) http.Handler {
	a := &api{c: c, cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"sessions", a.wrap("list_sessions", a.sessions))
	mux.HandleFunc("DELETE "+Prefix+"sessions/{id}", a.wrap("end_session", a.endSession))
	mux.HandleFunc("GET "+Prefix+"users", a.wrap("list_users", a.users))
	mux.HandleFunc("GET "+Prefix+"policy", a.wrap("policy_status", a.policy))
	mux.HandleFunc("GET "+Prefix+"audit/head", a.wrap("audit_head", a.auditHead))
	mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such admin API endpoint: "+r.Method+" "+r.URL.Path)
	})
	if !cfg.APIEnabled() {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, http.StatusNotFound, "the admin API is off: it needs admin.tls with a cert, key and client_ca")
		})
	}
	return mux
}

type api struct {
	c   *core.Core
	cfg config.AdminConfig
}

// request is an authorized admin request.
type request struct {
	id   core.Identity
	peer core.Peer
	r    *http.Request
}

// wrap authorizes a request (audited refusal: 401 without a certificate,
// 403 otherwise) before its handler runs. The handler audits what it does.
func (a *api) wrap(action string, h func(ctx context.Context, w http.ResponseWriter, rq request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
		defer cancel()
		peer := core.Peer{Remote: r.RemoteAddr, Listener: a.cfg.Address, Protocol: Protocol, TLS: r.TLS, CertUser: a.cfg.TLS.CertUser}
		id, err := a.c.AuthorizeAdmin(ctx, core.AdminCredentials{Peer: peer, Token: bearer(r)}, action)
		if err != nil {
			status := http.StatusForbidden
			if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
				status = http.StatusUnauthorized
			}
			var af *core.AuthError
			msg := "not authorized"
			if errors.As(err, &af) {
				msg = af.Message
			}
			writeError(w, status, msg)
			return
		}
		h(ctx, w, request{id: id, peer: peer, r: r})
	}
}

// bearer is an Authorization: Bearer token, the seam for API tokens.
func bearer(r *http.Request) string {
	const p = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) > len(p) && h[:len(p)] == p {
		return h[len(p):]
	}
	return ""
}

// record audits a read-only action; a failed record refuses the answer
// (fail closed).
func (a *api) record(ctx context.Context, w http.ResponseWriter, rq request, action string) bool {
	if err := a.c.RecordAdmin(ctx, rq.id, rq.peer, action, nil); err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return false
	}
	return true
}

func (a *api) sessions(ctx context.Context, w http.ResponseWriter, rq request) {
	if a.record(ctx, w, rq, "list_sessions") {
		writeJSON(w, http.StatusOK, a.c.Sessions())
	}
}

func (a *api) endSession(ctx context.Context, w http.ResponseWriter, rq request) {
	reason := rq.r.URL.Query().Get("reason")
	if len(reason) > maxReasonBytes {
		writeError(w, http.StatusBadRequest, "reason is longer than 512 bytes")
		return
	}
	id := rq.r.PathValue("id")
	err := a.c.EndSession(ctx, rq.id, rq.peer, id, reason)
	switch {
	case errors.Is(err, core.ErrNoSession):
		writeError(w, http.StatusNotFound, err.Error())
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, err.Error())
	default:
		writeJSON(w, http.StatusOK, map[string]string{"ended": id})
	}
}

func (a *api) users(ctx context.Context, w http.ResponseWriter, rq request) {
	if a.record(ctx, w, rq, "list_users") {
		writeJSON(w, http.StatusOK, a.c.Users())
	}
}

func (a *api) policy(ctx context.Context, w http.ResponseWriter, rq request) {
	if a.record(ctx, w, rq, "policy_status") {
		writeJSON(w, http.StatusOK, a.c.PolicyStatus())
	}
}

func (a *api) auditHead(ctx context.Context, w http.ResponseWriter, rq request) {
	if a.record(ctx, w, rq, "audit_head") {
		// The head after this request's own record: what the trail holds.
		writeJSON(w, http.StatusOK, a.c.AuditHead())
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

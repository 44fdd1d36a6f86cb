package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
)

// auditResponse is GET /v1/audit's answer: the newest matching records
// (newest first) and the state of the whole trail's hash chain.
type auditResponse struct {
	Records []*core.AuditRecord `json:"records"`
	Chain   chainState          `json:"chain"`
}

type chainState struct {
	OK      bool   `json:"ok"`
	Checked int    `json:"checked"`
	Break   string `json:"break,omitempty"`
}

// getAudit serves GET /v1/audit?user=&decision=&since=&limit= for users
// with the admin role (the console's audit view). Anyone else is refused
// with 403, and the refusal is audited.
func (s *Server) getAudit(w http.ResponseWriter, r *http.Request) {
	id, ci, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if !s.core.IsAdmin(id.User) {
		_ = s.core.Refuse(r.Context(), core.Refusal{Peer: ci.peer, Identity: &id, What: "audit view", Reason: "not an admin"})
		writeError(w, http.StatusForbidden, "forbidden", "the audit view is for users with the "+core.AdminRole+" role", nil)
		return
	}
	q := r.URL.Query()
	aq := core.AuditQuery{User: q.Get("user"), Decision: q.Get("decision"), Limit: 100}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, "bad_request", "limit is 1-1000", nil)
			return
		}
		aq.Limit = n
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "since is an RFC 3339 time", nil)
			return
		}
		aq.Since = t
	}
	page, err := s.core.AuditPage(aq)
	if err != nil {
		s.log.Error("reading the audit trail for the audit view failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the audit trail could not be read", nil)
		return
	}
	if page.Records == nil {
		page.Records = []*core.AuditRecord{}
	}
	writeJSON(w, http.StatusOK, auditResponse{Records: page.Records,
		Chain: chainState{OK: page.ChainOK, Checked: page.Checked, Break: page.ChainBreak}})
}

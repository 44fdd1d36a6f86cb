package httpapi

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"

	"github.com/rwarden/rwarden/proxy/core"
)

// authenticate decides who sent r, through the core (which audits and
// rate-limits it as for every front end): HTTP Basic credentials when the
// request carries them, otherwise the connection's transport identity (a
// verified client certificate, or the listener's anonymous user). It
// answers the request itself when it fails (401, 429 or 503) and returns
// ok=false. Later parts (API tokens, OIDC bearer tokens) hook in here:
// every handler gets its identity from this one function.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (core.Identity, *connInfo, bool) {
	ci := infoOf(r)
	if ci == nil {
		writeError(w, http.StatusInternalServerError, "internal", "no connection information", nil)
		return core.Identity{}, nil, false
	}
	var creds *core.Credentials
	if user, pass, has := r.BasicAuth(); has {
		creds = &core.Credentials{User: user, Password: []byte(pass)}
	} else if r.Header.Get("Authorization") != "" {
		challenge(w)
		writeError(w, http.StatusUnauthorized, "unauthorized", "unsupported Authorization scheme: use Basic", nil)
		return core.Identity{}, nil, false
	} else if !core.HasTransportIdentity(ci.peer) {
		challenge(w)
		writeError(w, http.StatusUnauthorized, "unauthorized", "authentication required: HTTP Basic credentials or a client certificate", nil)
		return core.Identity{}, nil, false
	}
	id, err := s.core.Authenticate(r.Context(), ci.peer, creds)
	if creds != nil {
		clear(creds.Password)
	}
	if err == nil {
		return id, ci, true
	}
	var af *core.AuthError
	switch {
	case errors.As(err, &af) && af.RateLimited:
		w.Header().Set("Retry-After", retryAfter(af.Message))
		writeError(w, http.StatusTooManyRequests, "rate_limited", af.Message, nil)
	case errors.As(err, &af) && af.Reason == "audit unavailable":
		writeError(w, http.StatusServiceUnavailable, "unavailable", af.Message, nil)
	case errors.As(err, &af):
		challenge(w)
		writeError(w, http.StatusUnauthorized, "unauthorized", af.Message, nil)
	default:
		s.log.Error("authentication failed", "remote", ci.peer.Remote, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "authentication failed", nil)
	}
	return core.Identity{}, nil, false
}

func challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="rwarden", charset="UTF-8"`)
}

var waitRE = regexp.MustCompile(`in ([0-9.]+)s`)

// retryAfter is the Retry-After header (whole seconds, at least 1) for the
// limiter's "try again in N.Ns" message.
func retryAfter(msg string) string {
	if m := waitRE.FindStringSubmatch(msg); m != nil {
		if f, err := strconv.ParseFloat(m[1], 64); err == nil && f > 0 && f < 1e6 {
			return fmt.Sprint(int(math.Ceil(f)))
		}
	}
	return "1"
}

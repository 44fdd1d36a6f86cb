package httpapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
)

// authenticate decides who sent r, through the core (which audits and
// rate-limits it as for every front end): HTTP Basic credentials when the
// request carries them, otherwise the connection's transport identity (a
// verified client certificate, or the listener's anonymous user). It
// answers the request itself when it fails (401, 429 or 503) and returns
// ok=false. `Authorization: Bearer` carries an rwarden API token or, on a
// listener configured for it, an OIDC token; the core tells them apart.
// Every handler gets its identity from this one function.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (core.Identity, *connInfo, bool) {
	ci := infoOf(r)
	if ci == nil {
		writeError(w, http.StatusInternalServerError, "internal", "no connection information", nil)
		return core.Identity{}, nil, false
	}
	var creds *core.Credentials
	var mac []byte
	if user, pass, has := r.BasicAuth(); has {
		mac = ci.auth.mac(user, pass)
		if id, ok := ci.auth.lookup(mac); ok {
			return id, ci, true
		}
		creds = &core.Credentials{User: user, Password: []byte(pass)}
	} else if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := bearerToken(h)
		if !ok {
			challenge(w)
			writeError(w, http.StatusUnauthorized, "unauthorized", "unsupported or malformed Authorization: use Basic or Bearer", nil)
			return core.Identity{}, nil, false
		}
		creds = &core.Credentials{Bearer: tok}
	} else if !core.HasTransportIdentity(ci.peer) {
		challenge(w)
		writeError(w, http.StatusUnauthorized, "unauthorized", "authentication required: HTTP Basic credentials, a bearer token or a client certificate", nil)
		return core.Identity{}, nil, false
	}
	id, err := s.core.Authenticate(r.Context(), ci.peer, creds)
	if creds != nil {
		clear(creds.Password)
	}
	if err == nil {
		if mac != nil {
			ci.auth.store(mac, id)
		}
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

// challenge offers both schemes (RFC 9110 allows several challenges).
func challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="rwarden", charset="UTF-8"`)
	w.Header().Add("WWW-Authenticate", `Bearer realm="rwarden"`)
}

// maxBearerLen bounds a bearer token before any work on it: API tokens are
// 64 bytes; OIDC JWTs with many claims stay well under this.
const maxBearerLen = 16 << 10

// bearerToken extracts the token of "Bearer TOKEN" (scheme case-insensitive,
// RFC 6750's token68 characters only).
func bearerToken(h string) (string, bool) {
	const scheme = "bearer "
	if len(h) <= len(scheme) || len(h) > len(scheme)+maxBearerLen || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	tok := strings.TrimLeft(h[len(scheme):], " ")
	if tok == "" {
		return "", false
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/=", c) >= 0) {
			return "", false
		}
	}
	return tok, true
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

// connAuth remembers the last password login that succeeded on one
// connection, so that the requests a client sends over a keep-alive
// connection with the same credentials do not each pay for (and queue
// behind) an argon2id verification. What is kept is an HMAC of user and
// password under a key of the connection's own, never the password; a
// different password, a failed login, a new connection or maxAuthAge
// means a full authentication (audited and rate-limited by the core).
type connAuth struct {
	key []byte

	mu  sync.Mutex
	sum []byte
	id  core.Identity
	at  time.Time
}

// maxAuthAge bounds how long one connection reuses a login: a password
// changed or a user removed in the meantime takes effect by then.
const maxAuthAge = 5 * time.Minute

func newConnAuth() *connAuth {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return &connAuth{key: k}
}

func (a *connAuth) mac(user, pass string) []byte {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(user))
	m.Write([]byte{0})
	m.Write([]byte(pass))
	return m.Sum(nil)
}

func (a *connAuth) lookup(sum []byte) (core.Identity, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sum == nil || time.Since(a.at) > maxAuthAge || !hmac.Equal(a.sum, sum) {
		return core.Identity{}, false
	}
	return a.id, true
}

func (a *connAuth) store(sum []byte, id core.Identity) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sum, a.id, a.at = sum, id, time.Now()
}

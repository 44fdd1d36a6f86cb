package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/auth"
)

// bearerIdentity authenticates an Authorization: Bearer token: an rwarden
// API token (recognized by its prefix) against the tokens file, anything
// else as an OIDC token when the peer's listener is configured for OIDC.
// Failures count against the login limiter like wrong passwords, keyed by
// the source address and, once the token's id is known, by the id. Never
// by a key every token shares: garbage from one address must not lock out
// every token holder.
func (c *Core) bearerIdentity(ctx context.Context, tok string, peer Peer) (Identity, error) {
	if !auth.LooksLikeAPIToken(tok) {
		return c.oidcIdentity(ctx, tok, peer)
	}
	id := Identity{Method: auth.MethodToken}
	refused := &AuthError{Message: "the API token was not accepted"}
	at, lim := c.limiter.Begin("", peer.Remote)
	if lim != nil {
		return id, c.bearerLimited(lim)
	}
	// The token and the policy are read within one store version.
	var info auth.TokenInfo
	var err error
	var hasPolicy bool
	if !c.consistentDecision(func() {
		info, err = c.tokens.Verify(tok, time.Now())
		hasPolicy = err == nil && c.policy.HasUser(info.User)
	}) {
		at.Abandon()
		return id, &AuthError{Message: "the policy is changing; try again", Reason: "store versions changed during the login"}
	}
	if info.ID != "" {
		id.Detail = "token " + info.ID
		id.User = info.User
		// From here the token's id is the key as well as the address.
		at.Abandon()
		if at, lim = c.limiter.Begin("token:"+info.ID, peer.Remote); lim != nil {
			return id, c.bearerLimited(lim)
		}
	}
	if err != nil {
		if errors.Is(err, auth.ErrTokensFile) {
			// The server's fault, not the client's: no limiter failure.
			at.Abandon()
			refused.Reason = "tokens file unusable"
			return id, refused
		}
		at.Failed()
		refused.Reason = err.Error()
		return id, refused
	}
	if !hasPolicy {
		at.Abandon()
		refused.Reason = "token user has no policy"
		return id, refused
	}
	at.Succeeded()
	return id, nil
}

// tokensPoll is how often the server looks at the tokens file between
// logins, so that `rwarden token create|revoke` reaches the audit trail
// within about this long even when no token is used.
const tokensPoll = time.Second

// watchTokens polls the tokens file (a stat) until ctx ends.
func (c *Core) watchTokens(ctx context.Context) {
	tk := time.NewTicker(tokensPoll)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			_ = c.tokens.Refresh() // failures are logged and audited by onTokensReload
		}
	}
}

// bearerLimited is the refusal of a bearer token the login limits stop,
// counted like a limited password login.
func (c *Core) bearerLimited(lim *auth.Refusal) *AuthError {
	c.metrics.loginsLimited.WithLabelValues(lim.Limit).Inc()
	return &AuthError{Message: loginLimitMessage(lim), Reason: "rate limited: " + lim.Error(), RateLimited: true}
}

// onTokensReload records a change of the tokens file. The CLI that edits
// the file cannot append to the server's hash-chained trail (only the
// server holds it), so the server records what it sees: the tokens that
// appeared, were revoked or were removed, or that the file became
// unusable (every token refused until it is fixed).
func (c *Core) onTokensReload(r auth.TokenReload) {
	rec := &audit.Record{Event: audit.EventTokensReload, Status: audit.StatusOK, Detail: map[string]string{}}
	if r.Err != nil {
		rec.Status = audit.StatusRejected
		rec.Error = r.Err.Error()
	}
	list := func(key string, ts []auth.TokenInfo) {
		if len(ts) == 0 {
			return
		}
		lines := make([]string, len(ts))
		for i, t := range ts {
			lines[i] = fmt.Sprintf("%s user=%s expires=%s", t.ID, t.User, t.Expires.UTC().Format(time.RFC3339))
		}
		rec.Detail[key] = strings.Join(lines, "\n")
	}
	list("added", r.Added)
	list("revoked", r.Revoked)
	list("removed", r.Removed)
	c.log.Info("tokens file reloaded", "added", len(r.Added), "revoked", len(r.Revoked), "removed", len(r.Removed), "err", r.Err)
	if err := c.audit.Write(context.Background(), rec); err != nil {
		c.log.Error("AUDIT WRITE FAILED: tokens file change not recorded", "err", err)
	}
}

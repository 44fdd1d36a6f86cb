package qap1

import (
	"context"
	"fmt"
	"io"

	"github.com/rwarden/rwarden/proxy/core"
)

// Large data in: the assignment commands carry values, whose size is
// bounded per user by limits.*.data (default 256MiB) rather than by the
// listener's max_code_bytes, which bounds code. An assignment over the
// user's limit is read and discarded (never held), answered with
// ERR_data_overflow and a geterrmessage() saying why, and the session goes
// on: Rserve would drop the connection and with it every object of the
// session.

// isDataCmd reports whether cmd carries data: assigns a value or writes
// a workspace file.
func isDataCmd(cmd int32) bool {
	return cmd == CmdSerAssign || cmd == CmdSetSEXP || cmd == CmdAssignSEXP || cmd == CmdWriteFile
}

// maxDrain bounds what rwarden reads and discards of an assignment over
// the user's limit to keep the session; a larger one ends the connection.
const maxDrain = 16 << 30

// payloadLimit is the largest payload accepted for a message: the
// listener's max_code_bytes, or for an assignment by an authenticated
// user the larger of that and the user's data limit (capped to what a
// worker accepts). ok is false when the connection was refused.
func (c *qapConn) payloadLimit(ctx context.Context, h Header) (limit int64, ok bool) {
	limit = int64(c.l.Config.MaxCodeBytes)
	if !isDataCmd(h.Cmd) || h.Len <= limit {
		return limit, true
	}
	if c.id == nil && (c.loginRequired || c.switchTLS) {
		return limit, true // not logged in: max_code_bytes, then dispatch refuses
	}
	if !c.authenticated(ctx) {
		return limit, false
	}
	return max(limit, min(c.core.LimitsFor(c.id.User).Data, core.MaxData)), true
}

// refuseOversizedData answers an assignment over the user's limit, keeping
// the connection when its payload can be drained. false ends it.
func (c *qapConn) refuseOversizedData(ctx context.Context, h Header, limit int64) bool {
	reason := fmt.Sprintf("a transfer of %d bytes exceeds the data limit of %d bytes (limits.*.data)", h.Len, limit)
	c.srv.log.Info("QAP1 assignment over the data limit", "remote", c.peer.Remote, "user", c.id.User, "bytes", h.Len, "limit", limit)
	if h.Len > maxDrain {
		c.answerErr(ErrDataOverflow)
		return false
	}
	// Discarded as it arrives (io.Discard's small pooled buffers), under
	// the read deadline serveOne set for a payload of this size.
	if _, err := io.CopyN(io.Discard, c.conn, h.Len); err != nil {
		c.readFailed(err, "payload")
		return false
	}
	c.auditDenied(ctx, "CMD_"+qapCommandNames[h.Cmd], reason)
	if c.ensureSession(ctx) {
		c.setErrorMessage(ctx, "Error: rwarden refused "+reason+"; the session goes on\n")
	} else {
		return false
	}
	return c.answerErr(ErrDataOverflow)
}

package qap1

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/rdata"
)

// CMD_serAssign (RSclient's RS.assign) is not read whole: its payload, the
// client's serialization of list(name, value), is checked as it arrives
// (rdata.AssignStream: structure, plain data only, bounded state) and
// passed on to the session's worker in the same pieces, so that a 50 MB
// data frame never sits in rwarden's memory, let alone decoded and
// serialized again. Refused part way (not data, malformed), the worker
// assigns nothing and the session goes on; the rest of the message is read
// and discarded.

// streamSerAssign answers a CMD_serAssign whose header was read and whose
// size is within the limit; false ends the connection.
func (c *qapConn) streamSerAssign(ctx context.Context, h Header) bool {
	if !c.authenticated(ctx) {
		return false
	}
	if c.sess != nil {
		if err := c.sess.Lost(); err != nil {
			c.srv.log.Info("QAP1 connection closed: the session's R state was lost", "remote", c.peer.Remote, "session", c.sess.ID(), "err", err)
			return c.refuse(ErrConnBroken)
		}
	}
	payload := io.LimitReader(c.conn, h.Len)
	as := rdata.NewAssignStream(payload, h.Len)
	name, err := as.Name()
	if err != nil {
		return c.assignStreamFailed(ctx, payload, "", err)
	}
	if !c.ensureSession(ctx) {
		return false
	}
	// Acquiring the worker may have waited; the payload still has its time.
	_ = c.conn.SetReadDeadline(time.Now().Add(c.l.Config.ReadTimeout.Std() * time.Duration(1+h.Len>>24)))
	err = c.sess.AssignStream(ctx, name, h.Len, as.Rest)
	if err != nil {
		return c.assignStreamFailed(ctx, payload, name, err)
	}
	_ = c.conn.SetReadDeadline(time.Time{})
	return c.answerOK(nil)
}

// assignStreamFailed answers a streamed assignment that failed: after
// reading the rest of its message, as the other assignments do.
func (c *qapConn) assignStreamFailed(ctx context.Context, rest io.Reader, name string, err error) bool {
	if clientGone(err) {
		c.readFailed(unwrapRead(err), "payload")
		return false
	}
	// The rest of the message, discarded as it arrives.
	if _, derr := io.Copy(io.Discard, rest); derr != nil {
		c.readFailed(derr, "payload")
		return false
	}
	_ = c.conn.SetReadDeadline(time.Time{})
	switch {
	case errors.Is(err, rdata.ErrNotData):
		c.auditDenied(ctx, "assign", "assignment of \""+name+"\" refused: "+err.Error())
		c.setErrorMessage(ctx, "Error: rwarden assigns only data (vectors, lists, attributes, NULL): "+err.Error()+"\n")
		return c.answerErr(ErrAccessDenied)
	case errors.Is(err, rdata.ErrFormat):
		c.srv.log.Info("malformed QAP1 serAssign", "remote", c.peer.Remote, "err", err)
		return c.answerErr(ErrInvPar)
	case errors.Is(err, core.ErrAuditUnavailable):
		return c.refuse(ErrAccessDenied)
	}
	sid := ""
	if c.sess != nil {
		sid = c.sess.ID()
	}
	c.srv.log.Info("QAP1 assignment failed", "session", sid, "err", err)
	return c.answerErr(StatusRError)
}

// clientGone reports whether reading the client's message failed.
func clientGone(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed) || isNetErr(err)
}

func isNetErr(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne)
}

// unwrapRead is the read error inside err, for readFailed's logging.
func unwrapRead(err error) error {
	for _, target := range []error{os.ErrDeadlineExceeded, net.ErrClosed, io.EOF} {
		if errors.Is(err, target) {
			return target
		}
	}
	return err
}

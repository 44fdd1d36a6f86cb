package qap1

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rwarden/rwarden/proxy/core"
	"github.com/rwarden/rwarden/proxy/rdata"
)

// Evaluation on QAP1. Whatever form code arrives in, rwarden turns it into
// R source itself (DT_STRING is source already; DT_SEXP and serialized
// language objects are decoded and deparsed), checks that source with the
// user's policy and sends the worker that source, never the client's
// bytes. Results come back from the worker as R serialization, are
// decoded here and re-encoded (QAP SEXP, or serialization written by
// rwarden), never passed through.

// Limits of values decoded from clients and workers.
var (
	qapClientLimits = rdata.Limits{MaxDepth: rdata.DefaultMaxDepth, MaxExpand: rdata.DefaultMaxExpand}
	qapResultLimits = rdata.Limits{MaxDepth: 4 * rdata.DefaultMaxDepth, MaxExpand: 1}
)

// ensureSession opens the connection's session (one per connection) the
// first time it is needed; on failure it answers the client.
func (c *qapConn) ensureSession(ctx context.Context) bool {
	if c.sess != nil {
		return true
	}
	s, err := c.core.OpenSession(ctx, *c.id, c.peer)
	if err != nil {
		c.srv.log.Warn("QAP1 session refused", "remote", c.peer.Remote, "user", c.id.User, "err", err)
		c.answerErr(ErrAccessDenied)
		return false
	}
	c.sess = s
	return true
}

// text converts a client string to UTF-8 (CMD_setEncoding "latin1").
func (c *qapConn) text(s string) string {
	if c.encoding != EncodingLatin1 || utf8.ValidString(s) && isASCIIString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// evaluated reports whether R's eval() (the C function Rserve calls)
// evaluates a value rather than returning it: calls and symbols do,
// everything else (vectors, lists, expression vectors) is itself.
func evaluated(v *rdata.Value) bool {
	return v.Type == rdata.LANGSXP || (v.Type == rdata.SYMSXP && !v.IsMissingArg())
}

// sourceOf deparses a language object for evaluation; it answers the
// client (ERR_inv_par) when the object has no exact R source.
func (c *qapConn) sourceOf(ctx context.Context, v *rdata.Value) (string, bool) {
	src, err := rdata.Deparse(v)
	if err != nil {
		c.srv.log.Info("QAP1 language object refused", "remote", c.peer.Remote, "err", err)
		if c.sess != nil {
			c.setErrorMessage(ctx, "Error: rwarden cannot evaluate this language object exactly: "+err.Error()+"\n")
		}
		return "", false
	}
	return src, true
}

// setErrorMessage makes geterrmessage() return msg in the session, best
// effort (a refusal must still be answered when no worker can be had).
func (c *qapConn) setErrorMessage(ctx context.Context, msg string) {
	if c.sess == nil {
		return
	}
	if err := c.sess.SetErrorMessage(ctx, msg); err != nil {
		c.srv.log.Debug("setting geterrmessage() failed", "session", c.sess.ID(), "err", err)
	}
}

// cmdEval is CMD_eval and CMD_voidEval with a DT_STRING (R source) or a
// DT_SEXP (a QAP-encoded object, evaluated if it is a call or symbol).
func (c *qapConn) cmdEval(ctx context.Context, cmd int32, params []Param) bool {
	if len(params) < 1 {
		return c.answerErr(ErrInvPar)
	}
	want := cmd == CmdEval
	// What the client sent is decoded and checked before a session (and
	// its worker) is spent on it.
	var code string
	switch params[0].Type {
	case DtString:
		code = c.text(params[0].String())
	case DtSexp:
		v, err := DecodeSEXP(params[0].Data, DecodeOptions{Encoding: c.encoding})
		if err != nil {
			c.srv.log.Info("malformed QAP1 SEXP", "remote", c.peer.Remote, "err", err)
			return c.answerErr(ErrInvPar)
		}
		if !evaluated(v) {
			if !want {
				return c.answerOK(nil)
			}
			return c.answerQAPValue(ctx, v, StatusRError)
		}
		if !c.ensureSession(ctx) {
			return false
		}
		src, ok := c.sourceOf(ctx, v)
		if !ok {
			return c.answerErr(ErrInvPar)
		}
		code = src
	default:
		return c.answerErr(ErrInvPar)
	}
	if !c.ensureSession(ctx) {
		return false
	}
	out := c.sess.Evaluate(ctx, []byte(code), core.EvalOptions{WantValue: want, Quiet: true})
	if status, ok := c.failed(ctx, out, StatusRError, want); !ok {
		return c.answerErr(status)
	}
	if !want {
		return c.answerOK(nil)
	}
	v, err := rdata.Unserialize(out.Result.Value, qapResultLimits)
	if err != nil {
		return c.valueFailed(ctx, err, StatusRError)
	}
	return c.answerQAPValue(ctx, v, StatusRError)
}

func (c *qapConn) answerQAPValue(ctx context.Context, v *rdata.Value, status int) bool {
	p, err := SEXPParam(v)
	if err != nil {
		return c.valueFailed(ctx, err, status)
	}
	return c.answerOK(p)
}

// valueFailed answers a result rwarden could not decode or re-encode.
func (c *qapConn) valueFailed(ctx context.Context, err error, status int) bool {
	c.srv.log.Warn("QAP1 result not handed on", "remote", c.peer.Remote, "err", err)
	c.setErrorMessage(ctx, "Error: rwarden cannot return this value: "+err.Error()+"\n")
	return c.answerErr(status)
}

// failed maps an unsuccessful outcome to Rserve's answer status (after
// making its message what geterrmessage() returns): a syntax error is R's
// parse status, everything else an R error. ok is true when the code ran
// to the end and, if a value was asked for, produced one.
func (c *qapConn) failed(ctx context.Context, out *core.Outcome, rError int, want bool) (status int, ok bool) {
	switch {
	case out.Syntax != nil:
		if strings.Contains(out.Syntax.Msg, "end of input") {
			return StatusParseIncomplete, false
		}
		return StatusParseError, false
	case out.OK():
		if want && out.Result.Value == nil {
			c.setErrorMessage(ctx, "Error: the value could not be serialized\n")
			return rError, false
		}
		return 0, true
	case out.Result != nil && out.Result.Status == core.StatusSyntaxError:
		return StatusParseError, false
	case out.Result != nil && out.Result.Status == core.StatusError:
		return rError, false // the harness has set geterrmessage()
	}
	// Denied by policy, refused by rwarden, or the worker was stopped by a
	// limit: an R error whose message the session can read.
	c.setErrorMessage(ctx, out.ErrorMessage())
	return rError, false
}

// cmdSerEval is CMD_serEval (RSclient's RS.eval) and CMD_serEEval: the
// payload is an R serialization of the object to evaluate; the answer is
// the serialization of the result, written by rwarden. serEEval
// evaluates the result once more.
func (c *qapConn) cmdSerEval(ctx context.Context, cmd int32, payload []byte) bool {
	const rErr = 1 // Rserve answers R errors of these commands with R_tryEval's 1
	v, err := rdata.Unserialize(payload, qapClientLimits)
	if err != nil {
		c.srv.log.Info("malformed serialized QAP1 payload", "remote", c.peer.Remote, "err", err)
		return c.answerErr(ErrInvPar)
	}
	rounds := 1
	if cmd == CmdSerEEval {
		rounds = 2
	}
	for range rounds {
		if !evaluated(v) {
			break
		}
		if !c.ensureSession(ctx) {
			return false
		}
		src, ok := c.sourceOf(ctx, v)
		if !ok {
			return c.answerErr(rErr)
		}
		out := c.sess.Evaluate(ctx, []byte(src), core.EvalOptions{WantValue: true, Quiet: true})
		if status, ok := c.failed(ctx, out, rErr, true); !ok {
			return c.answerErr(status)
		}
		if v, err = rdata.Unserialize(out.Result.Value, qapResultLimits); err != nil {
			return c.valueFailed(ctx, err, rErr)
		}
	}
	globalizeFormulaEnvs(v, 0)
	if err := rdata.CheckTransferable(v); err != nil {
		return c.valueFailed(ctx, err, rErr)
	}
	b, err := rdata.Serialize(v)
	if err != nil {
		return c.valueFailed(ctx, err, rErr)
	}
	return c.answerOK(b)
}

// cmdSetSEXP is CMD_setSEXP and CMD_assignSEXP: a name (DT_STRING) and a
// value (DT_SEXP, or DT_STRING for a single string).
func (c *qapConn) cmdSetSEXP(ctx context.Context, params []Param) bool {
	if len(params) < 2 || params[0].Type != DtString {
		return c.answerErr(ErrInvPar)
	}
	name := c.text(params[0].String())
	var v *rdata.Value
	switch params[1].Type {
	case DtString:
		v = &rdata.Value{Type: rdata.STRSXP, Strings: []rdata.String{rdata.Str(c.text(params[1].String()))}}
	case DtSexp:
		var err error
		if v, err = DecodeSEXP(params[1].Data, DecodeOptions{Encoding: c.encoding}); err != nil {
			c.srv.log.Info("malformed QAP1 SEXP", "remote", c.peer.Remote, "err", err)
			return c.answerErr(ErrInvPar)
		}
	default:
		return c.answerErr(ErrInvPar)
	}
	return c.assignSized(ctx, name, v, len(params[1].Data))
}

// assignSized binds name to v in the session, if v is plain data: rwarden
// checks it, serializes it itself and hands the worker those bytes.
//
// sizeHint is the size of the client's encoding of v, the likely size of
// rwarden's serialization of it.
func (c *qapConn) assignSized(ctx context.Context, name string, v *rdata.Value, sizeHint int) bool {
	if name == "" || !utf8.ValidString(name) || strings.IndexByte(name, 0) >= 0 {
		return c.answerErr(ErrInvPar)
	}
	if err := rdata.CheckData(v); err != nil {
		reason := fmt.Sprintf("assignment of %q refused: %v", name, err)
		c.auditDenied(ctx, "assign", reason)
		c.setErrorMessage(ctx, "Error: rwarden assigns only data (vectors, lists, attributes, NULL): "+err.Error()+"\n")
		return c.answerErr(ErrAccessDenied)
	}
	b, err := rdata.SerializeSized(v, sizeHint)
	if err != nil {
		return c.answerErr(ErrInvPar)
	}
	if !c.ensureSession(ctx) {
		return false
	}
	if err := c.sess.Assign(ctx, name, b); err != nil {
		c.srv.log.Info("QAP1 assignment failed", "session", c.sess.ID(), "err", err)
		if errors.Is(err, core.ErrAuditUnavailable) {
			return c.refuse(ErrAccessDenied)
		}
		return c.answerErr(StatusRError)
	}
	return c.answerOK(nil)
}

// cmdSetEncoding is CMD_setEncoding: how the client's strings are encoded.
func (c *qapConn) cmdSetEncoding(params []Param) bool {
	if len(params) < 1 || params[0].Type != DtString {
		return c.answerErr(ErrInvPar)
	}
	switch params[0].String() {
	case "utf8", "native":
		c.encoding = EncodingUTF8
	case "latin1":
		c.encoding = EncodingLatin1
	default:
		return c.answerErr(ErrInvPar)
	}
	return c.answerOK(nil)
}

// globalizeFormulaEnvs replaces the environments of formulas and terms
// (their ".Environment" attribute) with the global environment marker.
// In Rserve those are R's global environment, which a client unserializes
// as its own; in rwarden they are the session's environment, which is
// never handed out (it would carry every variable of the session). Other
// environments (of closures, say) still make a value untransferable.
func globalizeFormulaEnvs(v *rdata.Value, depth int) {
	if v == nil || depth > 4*rdata.DefaultMaxDepth {
		return
	}
	for i, a := range v.Attr {
		if a.Name == ".Environment" && a.Value.Type == rdata.ENVSXP && a.Value.Env == rdata.EnvPlain {
			v.Attr[i].Value = &rdata.Value{Type: rdata.ENVSXP, Env: rdata.EnvGlobal}
			continue
		}
		globalizeFormulaEnvs(a.Value, depth+1)
	}
	for _, e := range v.Elems {
		globalizeFormulaEnvs(e, depth+1)
	}
	for _, p := range v.Pairs {
		globalizeFormulaEnvs(p.Value, depth+1)
	}
}

package e2e

import (
	"testing"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/rwarden/rwarden/proxy/rdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The protocol end to end with a client written against the codec: login,
// evaluation with state kept, R errors, policy denials, parse errors,
// assignment of data (and refusal of code), refused and unknown commands.
func TestQAP1Session(t *testing.T) {
	e := startQAP(t, qapOptions{})
	q := dialQAP(t, "tcp", e.login, nil)
	assert.Equal(t, "Rsrv0103QAP1\r\n\r\nARpt----------\r\n", string(q.id[:]), "login listener advertises ARpt")
	require.Equal(t, int32(qap1.RespOK), q.login("alice", alicePassword))

	v := q.mustEval("1+1")
	assert.Equal(t, []float64{2}, v.Reals)

	cmd, _ := q.call(qap1.CmdVoidEval, qap1.StringParam("x <- c(a = 5L, b = NA)"))
	require.Equal(t, int32(qap1.RespOK), cmd)
	v = q.mustEval("x * 2L")
	assert.Equal(t, []int32{10, rdata.NAInteger}, v.Ints)
	assert.Equal(t, []string{"a", "b"}, []string{v.GetAttr("names").Strings[0].S, v.GetAttr("names").Strings[1].S})

	_, cmd = q.eval(`stop("my failure")`)
	assert.Equal(t, qap1.StatusRError, qap1.Status(cmd))
	assert.Contains(t, q.errMessage(), "my failure")

	_, cmd = q.eval(`system("id")`)
	assert.Equal(t, qap1.StatusRError, qap1.Status(cmd), "a denial is an R error")
	rec := e.lastEval(t)
	assert.Equal(t, audit.DecisionDenied, rec.Decision)
	assert.Equal(t, qap1.Protocol, rec.Protocol)
	msg := q.errMessage()
	assert.Contains(t, msg, "base::system")
	assert.Contains(t, msg, "1:1")

	_, cmd = q.eval("1 +")
	assert.Equal(t, qap1.StatusParseIncomplete, qap1.Status(cmd))
	_, cmd = q.eval("1 + )")
	assert.Equal(t, qap1.StatusParseError, qap1.Status(cmd))

	// A QAP-encoded call is deparsed, checked and evaluated.
	call, err := qap1.SEXPParam(rdata.Call(rdata.Sym("sum"), rdata.Ints(1, 2, 3)))
	require.NoError(t, err)
	cmd, _ = q.call(qap1.CmdEval, call)
	assert.Equal(t, qap1.ErrInvPar, qap1.Status(cmd), "sum(<1:3 as a constant>) has no exact source: refused")
	assert.Contains(t, q.errMessage(), "no exact R source")
	call, err = qap1.SEXPParam(rdata.Call(rdata.Sym("sum"), rdata.Ints(1), rdata.Reals(2.5)))
	require.NoError(t, err)
	cmd, p := q.call(qap1.CmdEval, call)
	require.Equal(t, int32(qap1.RespOK), cmd)
	ps, err := qap1.ParseParams(p)
	require.NoError(t, err)
	v, err = qap1.DecodeSEXP(ps[0].Data, qap1.DecodeOptions{})
	require.NoError(t, err)
	assert.Equal(t, []float64{3.5}, v.Reals)
	call, err = qap1.SEXPParam(rdata.Call(rdata.Sym("system"), rdata.Strings("id")))
	require.NoError(t, err)
	cmd, _ = q.call(qap1.CmdEval, call)
	assert.Equal(t, qap1.StatusRError, qap1.Status(cmd))
	assert.Contains(t, q.errMessage(), "base::system")

	// Data can be assigned; code cannot.
	val, err := qap1.SEXPParam(rdata.List(rdata.Strings("u", "v"), rdata.Reals(1.5)))
	require.NoError(t, err)
	cmd, _ = q.call(qap1.CmdSetSEXP, qap1.StringParam("y"), val)
	require.Equal(t, int32(qap1.RespOK), cmd)
	v = q.mustEval("length(y[[1]])")
	assert.Equal(t, []int32{2}, v.Ints)
	code, err := qap1.SEXPParam(rdata.Call(rdata.Sym("system"), rdata.Strings("id")))
	require.NoError(t, err)
	cmd, _ = q.call(qap1.CmdSetSEXP, qap1.StringParam("z"), code)
	assert.Equal(t, qap1.ErrAccessDenied, qap1.Status(cmd))

	cmd, _ = q.call(qap1.CmdShutdown)
	assert.Equal(t, qap1.ErrAccessDenied, qap1.Status(cmd))
	cmd, _ = q.call(qap1.CmdOpenFile, qap1.StringParam("/etc/passwd"))
	assert.Equal(t, qap1.ErrAccessDenied, qap1.Status(cmd))
	cmd, _ = q.call(qap1.CmdCtrlEval, qap1.StringParam("1"))
	assert.Equal(t, qap1.ErrAccessDenied, qap1.Status(cmd))
	cmd, _ = q.call(0x7777)
	assert.Equal(t, qap1.ErrInvCmd, qap1.Status(cmd))

	// The session survived all of that.
	v = q.mustEval("x[['a']]")
	assert.Equal(t, []int32{5}, v.Ints)

	var denied []string
	_, err = audit.Query([]string{e.audit}, audit.Filter{Event: audit.EventAccessDenied}, func(r *audit.Record) error {
		denied = append(denied, r.Detail["command"])
		return nil
	})
	require.NoError(t, err)
	assert.Contains(t, denied, "CMD_shutdown")
	assert.Contains(t, denied, "CMD_openFile")
	assert.Contains(t, denied, "CMD_ctrlEval")
	assert.Contains(t, denied, "assign")
}

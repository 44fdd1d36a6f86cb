package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/sandbox"
)

// TestStreamedDataIsAudited: a streamed assignment and a CSV upload each
// write an assignment record (op=assign, the name, the SHA-256 and size
// of the bytes passed on), an accepted one "ok" and a refused one "error"
// with the reason; the data limit bounds the upload; the session goes on.
func TestStreamedDataIsAudited(t *testing.T) {
	needR(t)
	cfg := testConfig(t)
	c := openCore(t, cfg)
	ctx := context.Background()
	s, err := c.OpenSession(ctx, identity("alice"), Peer{Protocol: "test"})
	require.NoError(t, err)
	defer s.Close()
	out := s.Evaluate(ctx, []byte(`cat(paste(as.character(serialize(list("v", c(a = 1.5, b = 2)), NULL)), collapse = " "))`), EvalOptions{})
	require.True(t, out.OK(), out.ErrorMessage())
	var ser []byte
	for _, h := range strings.Fields(string(out.Result.Output)) {
		b, err := hex.DecodeString(h)
		require.NoError(t, err)
		ser = append(ser, b...)
	}
	copyAll := func(b []byte) func(io.Writer) error {
		return func(w io.Writer) error { _, err := w.Write(b); return err }
	}
	require.NoError(t, s.AssignStream(ctx, "v", int64(len(ser)), copyAll(ser)))
	refused := errors.New("not plain data: a closure")
	err = s.AssignStream(ctx, "w", int64(len(ser)), func(w io.Writer) error {
		_, _ = w.Write(ser[:10])
		return refused
	})
	require.ErrorIs(t, err, refused)
	require.ErrorIs(t, err, sandbox.ErrAssignRefused)

	csv := "x,y\n1,a\n2,b\n"
	info, err := s.LoadCSV(ctx, "t", strings.NewReader(csv))
	require.NoError(t, err)
	assert.Equal(t, 2, info.Rows)
	s.limits.Data = 8 // the user's limits.*.data
	_, err = s.LoadCSV(ctx, "u", strings.NewReader(csv))
	require.ErrorIs(t, err, ErrDataTooLarge)
	out = s.Evaluate(ctx, []byte(`cat(sum(v), nrow(t), "\n")`), EvalOptions{})
	require.True(t, out.OK(), out.ErrorMessage())
	assert.Equal(t, "3.5 2 \n", string(out.Result.Output))

	var recs []*audit.Record
	_, err = audit.Query([]string{cfg.Audit.File}, audit.Filter{Event: audit.EventEval, User: "alice"}, func(r *audit.Record) error {
		if r.Detail["op"] == "assign" {
			recs = append(recs, r)
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, recs, 4)
	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	want := []struct {
		name, status, format, hash string
		bytes                      int64
	}{
		{"v", "ok", "", sum(ser), int64(len(ser))},
		{"w", "error", "", sum(ser[:10]), 10},
		{"t", "ok", "csv", sum([]byte(csv)), int64(len(csv))},
		{"u", "error", "csv", sum([]byte(csv)), int64(len(csv))},
	}
	for i, w := range want {
		r := recs[i]
		assert.Equal(t, w.name, r.Detail["name"])
		assert.Equal(t, w.status, r.Status, r.Error)
		assert.Equal(t, w.format, r.Detail["format"])
		assert.Equal(t, w.hash, r.CodeSHA256, w.name)
		assert.Equal(t, w.bytes, r.CodeBytes, w.name)
		assert.Empty(t, r.Code, "the data itself is not in the trail")
	}
}

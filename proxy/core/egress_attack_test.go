package core

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/internal/pgtest"
	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/egress"
)

// TestEgressConnectLoopDoesNotFloodAudit: alice holds her one allowed
// connection and then tries 200 more from R in a loop: every attempt
// fails, and the trail holds a handful of refused records whose
// aggregated counts add up to the 200 (not a record per attempt).
func TestEgressConnectLoopDoesNotFloodAudit(t *testing.T) {
	needR(t)
	if os.Geteuid() != 0 {
		t.Skip("network egress needs root (a private filesystem view per worker); run the tests as root")
	}
	testutil.NeedRPackage(t, "DBI")
	testutil.NeedRPackage(t, "RPostgreSQL")
	pg := pgtest.Start(t)
	cfg := testConfig(t)
	_, loaded, err := writeConfig(t, cfg, fmt.Sprintf("egress:\n  max_connections: 1\n  destinations:\n    - {name: pg, to: %q, roles: [analyst]}\n", pg.Addr()))
	require.NoError(t, err)
	c := openCore(t, loaded)
	ctx := context.Background()
	s, err := c.OpenSession(ctx, identity("alice"), Peer{Protocol: "test"})
	require.NoError(t, err)
	connect := fmt.Sprintf(`dbConnect(PostgreSQL(), host = "/run/rwarden/egress/pg", port = %d, user = %q, dbname = "postgres")`, pg.Port, pg.User)
	code := `library(DBI)
library(RPostgreSQL)
held <- ` + connect + `
n <- 0
for (i in 1:200) n <- n + inherits(tryCatch(` + connect + `, error = function(e) e), "error")
cat("REFUSED:", n, "\n")
dbDisconnect(held)`
	out := s.Evaluate(ctx, []byte(code), EvalOptions{})
	require.True(t, out.OK(), "%s\n%s", out.ErrorMessage(), out.Result.Output)
	assert.Contains(t, string(out.Result.Output), "REFUSED: 200")
	s.Close()

	var refusedRecords, refused int
	for _, r := range egressRecords(t, loaded.Audit.File, "alice") {
		if r.Status != audit.EgressRefused {
			continue
		}
		refusedRecords++
		n := 1
		if a, ok := r.Detail["aggregated"]; ok {
			n, err = strconv.Atoi(a)
			require.NoError(t, err)
		}
		refused += n
	}
	t.Logf("%d refused records for %d refusals", refusedRecords, refused)
	assert.Equal(t, 200, refused, "every refusal is counted")
	assert.Less(t, refusedRecords, 20)
}

// TestEgressConnectLoopIsSummarised: alice connects and disconnects in a
// loop for 10 s. Every connection is forwarded, and every one is in the
// trail, but the trail grows by a bounded number of records: the first
// connections of the minute with a connect and a close record each, the
// rest counted (with their bytes) in summary records written at most every
// 10 s. Before this, each connection wrote two records (~150 KB/s of audit).
func TestEgressConnectLoopIsSummarised(t *testing.T) {
	c, pg, auditFile := egressCore(t)
	ctx := context.Background()
	before, err := os.Stat(auditFile)
	require.NoError(t, err)
	s, err := c.OpenSession(ctx, identity("alice"), Peer{Protocol: "test"})
	require.NoError(t, err)
	code := fmt.Sprintf(`library(DBI)
library(RPostgreSQL)
drv <- PostgreSQL()
n <- 0
t0 <- proc.time()[["elapsed"]]
while (proc.time()[["elapsed"]] - t0 < 10) {
  con <- dbConnect(drv, host = "/run/rwarden/egress/pg", port = %d, user = %q, dbname = "postgres")
  dbDisconnect(con)
  n <- n + 1
}
cat("CONNECTED:", n, "\n")`, pg.Port, pg.User)
	out := s.Evaluate(ctx, []byte(code), EvalOptions{})
	require.True(t, out.OK(), "%s\n%s", out.ErrorMessage(), out.Result.Output)
	var connected int
	_, err = fmt.Sscanf(string(out.Result.Output), "CONNECTED: %d", &connected)
	require.NoError(t, err, string(out.Result.Output))
	s.Close()
	after, err := os.Stat(auditFile)
	require.NoError(t, err)

	counts := map[string]int{}
	var accounted int
	var sent int64
	for _, r := range egressRecords(t, auditFile, "alice") {
		counts[r.Status]++
		switch r.Status {
		case audit.EgressClose:
			accounted++
		case egress.EventSummary:
			n, err := strconv.Atoi(r.Detail["connections"])
			require.NoError(t, err)
			accounted += n
			b, err := strconv.ParseInt(r.Detail["sent"], 10, 64)
			require.NoError(t, err)
			sent += b
			assert.Equal(t, "0", r.Detail["failed"])
		}
	}
	grew := after.Size() - before.Size()
	t.Logf("%d connections in 10 s: records %v, audit grew %d bytes", connected, counts, grew)
	require.Greater(t, connected, 30, "the loop went past the detailed connections")
	assert.Equal(t, connected, accounted, "every connection is in a close or a summary record")
	assert.Equal(t, 30, counts[audit.EgressConnect], "the detailed connections of the minute")
	assert.Equal(t, 30, counts[audit.EgressClose])
	assert.LessOrEqual(t, counts[egress.EventSummary], 3, "a summary at most every 10 s, and a last one")
	assert.Greater(t, sent, int64(connected-30)*50, "each summarised connection sent its startup message")
	assert.Less(t, grew, int64(100<<10), "the session's records, whatever the loop's speed")
}

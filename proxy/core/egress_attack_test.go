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

package e2e

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/internal/pgtest"
	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 17, acceptance 4, as an operator runs it: the real binary with an
// egress destination in its configuration file, alice over TLS with her
// password queries a real PostgreSQL on loopback through DBI, and the
// trail (which verifies) shows the connection with its bytes.
func TestE2EEgressPostgres(t *testing.T) {
	needR(t)
	if os.Geteuid() != 0 {
		t.Skip("network egress needs root (a private filesystem view per worker); run the tests as root")
	}
	testutil.NeedRPackage(t, "DBI")
	testutil.NeedRPackage(t, "RPostgreSQL")
	pg := pgtest.Start(t)
	pg.SQL(t, "CREATE TABLE visits (day int, n int); INSERT INTO visits SELECT d, d * 11 FROM generate_series(1, 5) d")
	e := startAudit(t, "", fmt.Sprintf("egress:\n  destinations:\n    - {name: warehouse, to: %q, roles: [analyst]}\n", pg.Addr()))
	code := fmt.Sprintf(`library(DBI); library(RPostgreSQL)
con <- dbConnect(PostgreSQL(), host = "/run/rwarden/egress/warehouse", port = %d, user = %q, dbname = "postgres")
v <- dbGetQuery(con, "SELECT day, n FROM visits WHERE day >= 4 ORDER BY day")
dbDisconnect(con)
cat("rows", nrow(v), "sum", sum(v$n), "\n")`, pg.Port, pg.User)
	pw := &framed.Credentials{User: "alice", Password: []byte(alicePassword)}
	ans := e.evalTLS(t, e.tlsConfig(t, "", ""), pw, code)
	assert.Contains(t, ans, "rows 2 sum 99", ans)

	var egress []*audit.Record
	for _, r := range e.records(t) {
		if r.Event == audit.EventEgress {
			egress = append(egress, r)
		}
	}
	require.Len(t, egress, 2, "connect and close")
	assert.Equal(t, audit.EgressConnect, egress[0].Status)
	assert.Equal(t, audit.EgressClose, egress[1].Status)
	for _, r := range egress {
		assert.Equal(t, "alice", r.User)
		assert.Equal(t, "warehouse", r.Detail["destination"])
		assert.Equal(t, pg.Addr(), r.Detail["address"])
	}
	for _, k := range []string{"sent", "received"} {
		n, err := strconv.Atoi(egress[1].Detail[k])
		require.NoError(t, err, k)
		assert.Positive(t, n, k)
	}
	rep, err := audit.Verify([]string{e.audit})
	require.NoError(t, err)
	assert.True(t, rep.OK(), "%+v", rep)
}

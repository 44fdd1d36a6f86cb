package core

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/internal/pgtest"
	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/sandbox"
)

// egressCore starts a real PostgreSQL on loopback and a core whose
// configuration grants it to role:analyst (alice) as "pg".
func egressCore(t *testing.T) (*Core, *pgtest.Cluster, string) {
	t.Helper()
	needR(t)
	if os.Geteuid() != 0 {
		t.Skip("network egress needs root (a private filesystem view per worker); run the tests as root")
	}
	testutil.NeedRPackage(t, "DBI")
	testutil.NeedRPackage(t, "RPostgreSQL")
	pg := pgtest.Start(t)
	pg.SQL(t, "CREATE TABLE sales (region text, amount int); INSERT INTO sales VALUES ('north', 10), ('south', 32), ('east', 7)")
	cfg := testConfig(t)
	_, loaded, err := writeConfig(t, cfg, fmt.Sprintf("egress:\n  destinations:\n    - {name: pg, to: %q, roles: [analyst]}\n", pg.Addr()))
	require.NoError(t, err)
	return openCore(t, loaded), pg, loaded.Audit.File
}

// dbCode connects through host (a socket directory or a TCP host) and
// prints the table.
func dbCode(pg *pgtest.Cluster, host string) string {
	return fmt.Sprintf(`library(DBI)
library(RPostgreSQL)
con <- dbConnect(PostgreSQL(), host = %q, port = %d, user = %q, dbname = "postgres")
print(dbGetQuery(con, "SELECT region, amount FROM sales ORDER BY amount DESC"))
dbDisconnect(con)`, host, pg.Port, pg.User)
}

func egressRecords(t *testing.T, file, user string) []*audit.Record {
	t.Helper()
	var recs []*audit.Record
	_, err := audit.Query([]string{file}, audit.Filter{Event: audit.EventEgress, User: user}, func(r *audit.Record) error {
		recs = append(recs, r)
		return nil
	})
	require.NoError(t, err)
	return recs
}

// Issue 17, acceptance 4: alice queries a loopback PostgreSQL through DBI;
// the audit shows the connection with its destination and bytes.
func TestEgressAliceQueriesPostgres(t *testing.T) {
	c, pg, auditFile := egressCore(t)
	ctx := context.Background()
	s, err := c.OpenSession(ctx, identity("alice"), Peer{Protocol: "test"})
	require.NoError(t, err)
	// The socket and its directory are rwarden's: the worker can neither
	// remove the socket nor put its own beside it.
	tamper := fmt.Sprintf(`sock <- "/run/rwarden/egress/pg/.s.PGSQL.%d"
cat("EXISTS:", file.exists(sock), "\n")
cat("REMOVED:", suppressWarnings(file.remove(sock)), "\n")
cat("CREATED:", suppressWarnings(file.create("/run/rwarden/egress/pg/other")), "\n")`, pg.Port)
	out := s.Evaluate(ctx, []byte(tamper), EvalOptions{})
	require.True(t, out.OK(), out.ErrorMessage())
	assert.Contains(t, string(out.Result.Output), "EXISTS: TRUE")
	assert.Contains(t, string(out.Result.Output), "REMOVED: FALSE")
	assert.Contains(t, string(out.Result.Output), "CREATED: FALSE")
	out = s.Evaluate(ctx, []byte(dbCode(pg, "/run/rwarden/egress/pg")), EvalOptions{})
	require.True(t, out.OK(), "%s\n%s", out.ErrorMessage(), out.Result.Output)
	text := string(out.Result.Output)
	assert.Contains(t, text, "south     32")
	assert.Contains(t, text, "north     10")
	assert.Contains(t, text, "east      7")
	s.Close()

	recs := egressRecords(t, auditFile, "alice")
	require.Len(t, recs, 2, "one connect and one close")
	assert.Equal(t, audit.EgressConnect, recs[0].Status)
	cl := recs[1]
	assert.Equal(t, audit.EgressClose, cl.Status)
	for _, r := range recs {
		assert.Equal(t, "pg", r.Detail["destination"])
		assert.Equal(t, pg.Addr(), r.Detail["address"])
		assert.Equal(t, s.ID(), r.Session)
	}
	sent, err := strconv.Atoi(cl.Detail["sent"])
	require.NoError(t, err)
	received, err := strconv.Atoi(cl.Detail["received"])
	require.NoError(t, err)
	assert.Greater(t, sent, 50, "startup message and query")
	assert.Greater(t, received, 100, "authentication, parameters and three rows")
}

// Issue 17, acceptance 4: guest cannot: the policy denies DBI, and with the
// static and runtime checks out of the way her worker has no socket at all.
func TestEgressGuestCannot(t *testing.T) {
	c, pg, auditFile := egressCore(t)
	ctx := context.Background()
	s, err := c.OpenSession(ctx, identity("guest"), Peer{Protocol: "test"})
	require.NoError(t, err)
	defer s.Close()
	out := s.Evaluate(ctx, []byte(dbCode(pg, "/run/rwarden/egress/pg")), EvalOptions{})
	require.False(t, out.OK())
	assert.Equal(t, DecisionDenied, out.Decision, out.ErrorMessage())

	// Bypass both R-level layers: guest's own binding without its
	// allowlist. Only the OS sandbox is left, and it holds.
	assert.Empty(t, c.egressFor("guest"))
	b, err := c.binding("guest", c.LimitsFor("guest"))
	require.NoError(t, err)
	b.Allowlist = nil
	require.False(t, b.UnixSockets)
	w, err := c.pool.Acquire(ctx, b)
	require.NoError(t, err)
	defer w.Close()
	res, err := w.Eval(ctx, `r <- tryCatch({`+dbCode(pg, "/run/rwarden/egress/pg")+`; "CONNECTED"}, error = function(e) conditionMessage(e))
cat("RESULT:", r, "\n")
cat("EGRESS:", file.exists("/run/rwarden/egress"), "\n")`, sandbox.EvalOptions{}, nil)
	require.NoError(t, err)
	text := string(res.Output)
	assert.NotContains(t, text, "CONNECTED")
	// RPostgreSQL's own spelling.
	assert.Contains(t, text, "RESULT: RPosgreSQL error: could not connect")
	assert.Contains(t, text, "could not create socket: Operation not permitted", "seccomp: no socket of any family")
	assert.Contains(t, text, "EGRESS: FALSE")
	assert.Empty(t, egressRecords(t, auditFile, "guest"))
}

// Issue 17, acceptance 4: from alice's session nothing but the granted
// destination is reachable: the same PostgreSQL over TCP, the cluster's own
// Unix socket on the host, another port.
func TestEgressOnlyTheNamedDestination(t *testing.T) {
	c, pg, auditFile := egressCore(t)
	ctx := context.Background()
	s, err := c.OpenSession(ctx, identity("alice"), Peer{Protocol: "test"})
	require.NoError(t, err)
	defer s.Close()
	noFile := "failed: No such file or directory"
	for _, tc := range []struct{ host, why string }{
		// The destination itself over TCP: the worker may not make an
		// AF_INET socket (seccomp), and has no network anyway.
		{"127.0.0.1", "could not create socket: Operation not permitted"},
		// By name: there is no resolver in the worker's view.
		{"localhost", "could not translate host name"},
		// The cluster's own Unix socket on the host is outside the view.
		{pg.SocketDir(), noFile},
		{"/run/postgresql", noFile},
		{"/run/rwarden/egress", noFile},
	} {
		host := tc.host
		t.Run(host, func(t *testing.T) {
			code := `r <- tryCatch({` + dbCode(pg, host) + `; "CONNECTED"}, error = function(e) conditionMessage(e))
cat("RESULT:", r, "\n")`
			out := s.Evaluate(ctx, []byte(code), EvalOptions{})
			require.True(t, out.OK(), out.ErrorMessage())
			text := string(out.Result.Output)
			assert.NotContains(t, text, "CONNECTED")
			assert.Contains(t, text, "RESULT: RPosgreSQL error: could not connect")
			assert.Contains(t, text, tc.why)
		})
	}
	// Another port through the granted socket name is still the granted
	// destination: the worker never chooses where rwarden connects.
	other := `r <- tryCatch({con <- dbConnect(PostgreSQL(), host = "/run/rwarden/egress/pg", port = 22, user = "x"); "CONNECTED"},
  error = function(e) conditionMessage(e))
cat("RESULT:", r, "\n")`
	out := s.Evaluate(ctx, []byte(other), EvalOptions{})
	require.True(t, out.OK(), out.ErrorMessage())
	assert.Contains(t, string(out.Result.Output), "RESULT: RPosgreSQL error: could not connect")
	assert.Contains(t, string(out.Result.Output), noFile, "only .s.PGSQL.<granted port> exists")
	assert.Empty(t, egressRecords(t, auditFile, "alice"), "no forwarded connection was made")
}

// Destinations that workers could not be given refuse the start, with the
// reason, instead of failing every granted user's first evaluation.
func TestEgressNeedsPrivateViewAtStart(t *testing.T) {
	needR(t)
	cfg := testConfig(t)
	_, loaded, err := writeConfig(t, cfg, "egress:\n  destinations:\n    - {name: pg, to: \"127.0.0.1:5432\", roles: [analyst]}\n")
	require.NoError(t, err)
	loaded.Pool.InsecureNoSandbox = true // no private view: egress is unavailable
	_, err = Open(context.Background(), loaded, Options{PolicyCacheDir: sharedPolicyCache(t), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "egress.destinations is configured")
	assert.ErrorIs(t, err, sandbox.ErrEgressUnavailable)
}

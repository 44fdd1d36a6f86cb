package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/internal/testutil"
)

// peakRSS is a process's peak resident set (VmHWM) in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// Issue 17 acceptance 2 (RS.assign): a 50 MB data frame assigned with
// RSclient's RS.assign arrives intact within alice's data limit (her
// role's, 100MiB here); an assignment over the limit gets a clear error
// and the session, with its objects, goes on. rwarden's peak RSS (the
// server process alone: workers are other processes) grows by less than
// the payload.
func TestQAP1LargeAssign(t *testing.T) {
	needR(t)
	testutil.NeedRPackage(t, "RSclient")
	state, st := prepareState(t)
	require.NoError(t, auth.AddUser(st.Config.UsersFile, "alice", []byte(alicePassword), cheapArgon))
	port := freePort(t)
	srv := serveWith(t, state, fmt.Sprintf(`  - address: "127.0.0.1:%d"
    protocol: qap1
    plaintext: true
`, port), "pool: {warm: 1, max: 4, acquire_timeout: 2m}\nlimits: {roles: {analyst: {data: 100MiB, memory: 3GiB}}}\n")
	script := fmt.Sprintf(`
suppressMessages(library(RSclient))
report <- function(ok, what) cat(if (isTRUE(ok)) "OK" else "FAIL", what, "\n")
c <- RS.connect("127.0.0.1", %d)
RS.login(c, "alice", %q, authkey = RS.authkey(c))
report(identical(RS.eval(c, 1 + 1), 2), "warm up")
cat("READY\n")
set.seed(1)
n <- 3.2e6
df <- data.frame(a = rnorm(n), b = rnorm(n), c = seq_len(n))
cat("bytes", length(serialize(df, NULL)), "\n")
RS.assign(c, "df", df)
report(identical(RS.eval(c, dim(df)), dim(df)), "50 MB data frame arrived")
report(isTRUE(all.equal(RS.eval(c, sum(df$a)), sum(df$a))), "its values are intact")
big <- raw(110e6)
r <- tryCatch({ RS.assign(c, "big", big); "no error" }, error = function(e) conditionMessage(e))
report(!identical(r, "no error"), paste("over the limit refused:", r))
msg <- RS.eval(c, geterrmessage())
report(grepl("exceeds the data limit of 104857600 bytes", msg, fixed = TRUE), paste("geterrmessage says why:", msg))
report(identical(RS.eval(c, nrow(df)), as.integer(n)), "session alive with its objects")
gone <- tryCatch({ RS.eval(c, length(big)); "assigned" }, error = function(e) "not assigned")
report(identical(gone, "not assigned"), "nothing assigned")
RS.close(c)
`, port, alicePassword)
	before := peakRSS(t, srv.cmd.Process.Pid)
	out := testutil.RunRWithin(t, t.TempDir(), script, 4*time.Minute)
	after := peakRSS(t, srv.cmd.Process.Pid)
	var ok int
	var payload int64
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		switch {
		case strings.HasPrefix(line, "bytes "):
			payload, _ = strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, "bytes ")), 10, 64)
		case strings.HasPrefix(line, "OK "):
			ok++
		case strings.HasPrefix(line, "FAIL "):
			t.Errorf("RSclient: %s", line)
		}
	}
	assert.Equal(t, 7, ok, "output:\n%s", out)
	t.Logf("rwarden peak RSS %d MB before, %d MB after (growth %d MB) for %d bytes; %s", before>>20, after>>20, (after-before)>>20, payload, out)
	require.Greater(t, payload, int64(50e6), "the data frame's serialization")
	// The assignment streams through rwarden (checked and passed on in
	// 64 KiB pieces): its peak grows by less than the payload. It grew by
	// about 4.5 times the payload when the value was decoded and
	// serialized again.
	assert.Less(t, after-before, payload, "rwarden's peak RSS grows by less than the payload")
}

package proxy

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/internal/testutil"
)

// fiveSecondLoop prints once a second for five seconds.
const fiveSecondLoop = `for (i in 1:5) { cat("tick", i, "\n"); Sys.sleep(1) }`

// linesAsTheyCome runs cmd and stamps each line of its standard output
// with its arrival time since the start.
func linesAsTheyCome(t *testing.T, cmd *exec.Cmd) ([]string, []time.Duration) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	require.NoError(t, cmd.Start())
	var lines []string
	var at []time.Duration
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		at = append(at, time.Since(start))
	}
	require.NoError(t, cmd.Wait(), "stderr: %s", stderr.String())
	return lines, at
}

// assertSpread checks that five tick lines arrived about a second apart,
// the first long before the loop ended.
func assertSpread(t *testing.T, lines []string, at []time.Duration) {
	t.Helper()
	require.Len(t, lines, 5, "%q", lines)
	for i, l := range lines {
		assert.Equal(t, "tick "+string(rune('1'+i))+" ", l)
	}
	assert.Less(t, at[0], at[4]-3*time.Second, "first line at %v, last at %v", at[0], at[4])
	for i := 1; i < 5; i++ {
		assert.Greater(t, at[i]-at[i-1], 600*time.Millisecond, "gap before line %d", i+1)
	}
}

// Acceptance (issue 15, item 2): the five-second loop streams through
// `rwarden eval --stream` and the Python client's --stream over the framed
// protocol's STREAM extension, with real R.
func TestE2EFramedStreamFiveSecondLoop(t *testing.T) {
	e := startE2E(t, nil)
	bin := testutil.BuildRwarden(t)
	host, port, _ := strings.Cut(e.plain, ":")

	t.Run("rwarden eval --stream", func(t *testing.T) {
		lines, at := linesAsTheyCome(t, exec.Command(bin, "eval", "--stream", "--addr", e.plain, "-e", fiveSecondLoop))
		assertSpread(t, lines, at)
	})
	t.Run("python --stream", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("python3 not installed")
		}
		cmd := exec.Command(py, filepath.Join("..", "clients", "python", "rwarden_client.py"),
			"--stream", "--hostname", host, "--port", port)
		cmd.Stdin = strings.NewReader(fiveSecondLoop)
		cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8")
		lines, at := linesAsTheyCome(t, cmd)
		assertSpread(t, lines, at)
	})
	t.Run("R client stream = TRUE", func(t *testing.T) {
		rs, err := exec.LookPath("Rscript")
		if err != nil {
			t.Skip("Rscript not installed")
		}
		expr := fmt.Sprintf(`source(%q); rest <- rwarden_eval(%q, host = %q, port = %s, stream = TRUE); cat(rest)`,
			filepath.Join("..", "clients", "R", "rwarden.R"), fiveSecondLoop, host, port)
		lines, at := linesAsTheyCome(t, exec.Command(rs, "--vanilla", "-e", expr))
		assertSpread(t, lines, at)
	})
	t.Run("errors come after the output", func(t *testing.T) {
		out, err := exec.Command(bin, "eval", "--stream", "--addr", e.plain, "-e", `cat("first\n"); stop("boom")`).Output()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, 1, ee.ExitCode())
		assert.Equal(t, "first\nError: boom\n", string(out))
	})
	t.Run("old clients get the one-piece answer", func(t *testing.T) {
		assert.Equal(t, "[1] 2\n", e.evalPlain(t, "1+1"))
	})
}

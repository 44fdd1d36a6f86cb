package audit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// quietLogger keeps the loud failure logs of fail-closed tests out of the
// test output; set RWARDEN_TEST_LOG=1 to see them.
func quietLogger() *slog.Logger {
	if os.Getenv("RWARDEN_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func openLog(t testing.TB, cfg Config) *Log {
	t.Helper()
	if cfg.File == "" {
		cfg.File = filepath.Join(t.TempDir(), "audit.jsonl")
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	l, err := Open(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// sample returns a varied, realistic record; i selects the variant.
func sample(i int) *Record {
	users := []string{"alice", "bob", "carol"}
	r := &Record{
		Session:  fmt.Sprintf("s-%04d", i/3),
		User:     users[i%len(users)],
		Remote:   fmt.Sprintf("192.0.2.%d:%d", i%250+1, 40000+i),
		Listener: "tls:127.0.0.1:6311",
		Protocol: "framed",
	}
	switch i % 5 {
	case 0:
		r.Event, r.AuthMethod, r.Status = EventAuth, "password", StatusSuccess
	case 1:
		r.Event, r.Decision, r.Status = EventEval, DecisionAllowed, "ok"
		r.SetCode([]byte(fmt.Sprintf("x <- %d; mean(c(x, 1))", i)), CodeFull)
		r.Limits = &Limits{Wall: 30 * time.Second, CPU: 10 * time.Second, Memory: 512 << 20, Output: 1 << 20}
		r.Duration, r.OutputBytes, r.Worker = time.Duration(1000+i)*time.Microsecond, int64(10+i), "w-7"
	case 2:
		r.Event, r.Decision = EventEval, DecisionDenied
		r.SetCode([]byte("system('id')"), CodeFull)
		r.Violations = []Violation{{Object: "base::system", Act: "call", Line: 1, Col: 1, Rule: "no rule matched"}}
	case 3:
		r.Event, r.Decision, r.Error = EventEval, DecisionError, "Error in stop(\"boom\"): boom"
		r.SetCode([]byte(`stop("boom")`), CodeFull)
	case 4:
		r.Event, r.AuthMethod, r.Status = EventAuth, "password", StatusFailure
		r.Detail = map[string]string{"reason": "bad password"}
	}
	return r
}

func writeN(t testing.TB, l *Log, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		require.NoError(t, l.Write(context.Background(), sample(i)))
	}
}

// allFiles returns the rotated files of live and live itself.
func allFiles(t testing.TB, live string) []string {
	t.Helper()
	rot, err := RotatedFiles(live)
	require.NoError(t, err)
	return append(rot, live)
}

func readLines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func writeLines(t testing.TB, path string, lines []string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
}

func requireIntact(t testing.TB, files ...string) *VerifyReport {
	t.Helper()
	rep, err := Verify(files)
	require.NoError(t, err)
	require.Nil(t, rep.Break, "chain should be intact")
	return rep
}

package rtest

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordsRoundTrip(t *testing.T) {
	in := []string{"", "x <- 1", "multi\nline\x00with nul", strings.Repeat("é", 1000)}
	path := filepath.Join(t.TempDir(), "r.bin")
	require.NoError(t, WriteRecords(path, in))
	out, err := ReadRecords(path)
	require.NoError(t, err)
	assert.Equal(t, in, out)
}

func TestUnquote(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`"abc"`, "abc", true},
		{`"a\x22b\x5c"`, `a"b\`, true},
		{`"\xc3\xa9"`, "é", true},
		{`abc`, "", false},
		{`"\x4"`, "", false},
		{`"\q00"`, "", false},
	}
	for _, tt := range tests {
		got, err := Unquote(tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got)
	}
}

func TestReadCompare(t *testing.T) {
	out, err := readCompare(strings.NewReader("@ 0\nsame\n@ 1\ndiff\nR: a\nGo: b\n"), 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"", "diff\nR: a\nGo: b\n"}, out)
	_, err = readCompare(strings.NewReader("@ 0\nsame\n"), 2)
	assert.Error(t, err)
}

// TestParseSurvivesRHang runs two inputs after which R 4.2.2 loops forever
// in the same process (found by TestDifferentialRandom): the second parse
// never returns unless Parse restarts R.
func TestParseSurvivesRHang(t *testing.T) {
	if _, err := Rscript(); err != nil {
		t.Skipf("R is not installed: %v", err)
	}
	inputs, err := ReadRecords("testdata/hang.bin")
	require.NoError(t, err)
	require.Len(t, inputs, 2)
	// 1 s of CPU time: R's hang spins, while a healthy R uses about 0.15 s
	// for its start and both parses, however loaded the machine is.
	setStallTimeout(t, time.Second)
	// The context only ends a Parse that never returns; how long the
	// spinning R takes to use its second of CPU depends on the machine's
	// load (about a minute at a load of 30 on 2 cores), which is not the
	// point of this test.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := Parse(ctx, inputs)
	require.NoError(t, err)
	require.Len(t, res, 2)
	require.NotNil(t, res[0].Err)
	assert.Contains(t, res[0].Err.Msg, "sequences not supported inside backticks")
	assert.Nil(t, res[1].Err)
	assert.Equal(t, 1, res[1].Exprs)
}

func setStallTimeout(t *testing.T, d time.Duration) {
	t.Helper()
	old := stallTimeout
	stallTimeout = d
	t.Cleanup(func() { stallTimeout = old })
}

// TestParseWaitsForDescheduledR stops R (SIGSTOP) for well over the stall
// allowance before it has written anything, as a loaded machine that does
// not schedule it would: R is not stuck, only waiting for a CPU, so Parse
// must not kill and restart it. (With a wall-clock allowance it restarted
// R here, and when the fresh R waited as long as well, Parse failed with
// "stuck even in a fresh process": TestParseSurvivesRHang under load.)
func TestParseWaitsForDescheduledR(t *testing.T) {
	if _, err := Rscript(); err != nil {
		t.Skipf("R is not installed: %v", err)
	}
	setStallTimeout(t, time.Second)
	var (
		mu     sync.Mutex
		starts int
		wg     sync.WaitGroup
	)
	startedHook = func(pid int) {
		mu.Lock()
		defer mu.Unlock()
		starts++
		if starts > 1 {
			return
		}
		// Stopped right after its start, before it writes a record.
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Errorf("stopping R: %v", err)
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(3 * time.Second)
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}()
	}
	t.Cleanup(func() { startedHook = nil })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Parse(ctx, []string{"f(1)", "x <-"})
	wg.Wait()
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Nil(t, res[0].Err)
	assert.Equal(t, 1, res[0].Exprs)
	assert.NotNil(t, res[1].Err)
	assert.Equal(t, 1, starts, "R was restarted while it only waited")
}

func TestCPUTime(t *testing.T) {
	self, err := cpuTime(syscall.Getpid())
	require.NoError(t, err)
	// Spin until the kernel has counted at least 100 ms more.
	deadline := time.Now().Add(time.Minute)
	var now time.Duration
	for now < self+100*time.Millisecond && time.Now().Before(deadline) {
		for i := 0; i < 1e6; i++ {
			_ = i * i
		}
		now, err = cpuTime(syscall.Getpid())
		require.NoError(t, err)
	}
	assert.GreaterOrEqual(t, now, self+100*time.Millisecond)
	_, err = cpuTime(-1)
	assert.Error(t, err)
}

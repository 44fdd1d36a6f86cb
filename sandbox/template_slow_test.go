package sandbox

import (
	"context"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestTemplateAnswerWaitsWhileWorking reads a fork answer that comes
// late, from a "template" that is a real process: one that works (spins,
// so always running or waiting for a CPU, however loaded the host) is
// waited for past the answer timeout; one that sits still (sleeps) is given
// up on after it, as is a working one at the hard deadline. (With a flat
// answer timeout every new template on a loaded host was replaced before
// its first answer, which follows its one-time preparation: no session was
// forked and TestE2EConcurrentClients's pool did not settle.)
func TestTemplateAnswerWaitsWhileWorking(t *testing.T) {
	old := forkAnswerTimeout
	forkAnswerTimeout = 100 * time.Millisecond
	t.Cleanup(func() { forkAnswerTimeout = old })
	tests := []struct {
		name    string
		process string        // what the template process does
		answer  time.Duration // when the answer comes
		hard    time.Duration
		ok      bool
	}{
		{"working, late answer", "while :; do :; done", time.Second, 20 * time.Second, true},
		{"still, late answer", "exec sleep 60", 5 * time.Second, 20 * time.Second, false},
		{"still, prompt answer", "exec sleep 60", 0, 20 * time.Second, true},
		{"working, past the hard deadline", "while :; do :; done", 3 * time.Second, 500 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("sh", "-c", tt.process)
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			cpu, err := openCPUReader(cmd.Process.Pid)
			require.NoError(t, err)
			t.Cleanup(cpu.close)
			pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
			require.NoError(t, err)
			ours, theirs := os.NewFile(uintptr(pair[0]), "ours"), os.NewFile(uintptr(pair[1]), "theirs")
			defer theirs.Close()
			conn, err := net.FileConn(ours)
			ours.Close()
			require.NoError(t, err)
			defer conn.Close()
			tmpl := &template{w: &worker{cpu: cpu}, ctl: conn.(*net.UnixConn)}
			timer := time.AfterFunc(tt.answer, func() { _, _ = theirs.Write([]byte("answer")) })
			defer timer.Stop()
			begun := time.Now()
			buf := make([]byte, 16)
			n, err := tmpl.readAnswer(buf, begun.Add(tt.hard))
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, "answer", string(buf[:n]))
				return
			}
			require.ErrorIs(t, err, os.ErrDeadlineExceeded)
			assert.Less(t, time.Since(begun), tt.answer, "gave up only after the answer was sent")
		})
	}
}

// TestStillTemplateIsReplaced stops a template outright (SIGSTOP): it
// neither runs nor waits to run, so after the answer timeout it is taken
// for broken and replaced, and the session is served all the same.
func TestStillTemplateIsReplaced(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.Warm = 0 })
	require.NotNil(t, p.l.fork, "forks are off")
	old := forkAnswerTimeout
	forkAnswerTimeout = 300 * time.Millisecond
	t.Cleanup(func() { forkAnswerTimeout = old })

	tmpl, err := p.l.fork.get(context.Background(), bindProfile{})
	require.NoError(t, err)
	// Let it finish its preparation and wait for requests, then stop it.
	s := forkedSession(t, p, testLimits())
	s.Close()
	require.NoError(t, syscall.Kill(tmpl.w.pid, syscall.SIGSTOP))
	t.Cleanup(func() { _ = syscall.Kill(tmpl.w.pid, syscall.SIGCONT) })
	s2 := acquire(t, p, testLimits())
	<-tmpl.w.done // destroyed: replaced at the next fork
	p.l.fork.mu.Lock()
	assert.NotSame(t, tmpl, p.l.fork.ts[""], "the still template is still in use")
	p.l.fork.mu.Unlock()
	assert.Equal(t, "[1] 2\n", string(eval(t, s2, "1+1").Output))
}

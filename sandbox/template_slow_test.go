package sandbox

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSlowTemplateIsNotReplaced runs a new template as a host loaded some
// 30 runnable processes deep would: it gets a CPU a fifth of the time
// (SIGSTOP and SIGCONT in turn), so its first answer, which comes after its
// one-time preparation at the fork point, takes many times the answer
// timeout. It is working, not broken: the session must be forked from it,
// and it must not be replaced. (With a flat answer timeout every new
// template was replaced before its first answer and no session was
// forked: TestE2EConcurrentClients's pool did not settle under load.)
func TestSlowTemplateIsNotReplaced(t *testing.T) {
	p := newTestPool(t, func(c *Config) { c.Warm = 0 })
	require.NotNil(t, p.l.fork, "forks are off")
	old := forkAnswerTimeout
	forkAnswerTimeout = 100 * time.Millisecond
	t.Cleanup(func() { forkAnswerTimeout = old })

	// The template is slowed from its start on (the only child this pool
	// starts: Warm is 0), so that its preparation before the first answer
	// is slowed too.
	before := map[int]bool{}
	for _, c := range testutil.ChildrenOf(os.Getpid()) {
		before[c] = true
	}
	type got struct {
		tmpl *template
		err  error
	}
	started := make(chan got, 1)
	go func() {
		tmpl, err := p.l.fork.get(context.Background(), bindProfile{})
		started <- got{tmpl, err}
	}()
	pid := 0
	for pid == 0 {
		for _, c := range testutil.ChildrenOf(os.Getpid()) {
			if !before[c] {
				pid = c
			}
		}
		time.Sleep(time.Millisecond)
	}
	stop := make(chan struct{})
	slowed := make(chan struct{})
	go func() {
		defer close(slowed)
		defer func() { _ = syscall.Kill(pid, syscall.SIGCONT) }()
		for {
			if syscall.Kill(pid, syscall.SIGSTOP) != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(40 * time.Millisecond):
			}
			if syscall.Kill(pid, syscall.SIGCONT) != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	g := <-started
	require.NoError(t, g.err)
	require.Equal(t, pid, g.tmpl.w.pid)
	s := acquire(t, p, testLimits())
	close(stop)
	<-slowed
	assert.True(t, s.w.forked, "the session was started cold: the slow template was taken for broken")
	assert.Equal(t, uint64(1), p.l.fork.templateStarts.Load(), "the template was replaced")
	assert.Equal(t, pid, templateOf(t, p).w.pid)
	assert.Equal(t, "[1] 2\n", string(eval(t, s, "1+1").Output))
}

// TestStillTemplateIsReplaced stops a template outright (SIGSTOP): it
// neither runs nor waits to run, so after the answer timeout it is taken
// for broken and replaced, without holding the start for the whole start
// timeout.
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
	begun := time.Now()
	s2 := acquire(t, p, testLimits())
	assert.Less(t, time.Since(begun), p.cfg.StartTimeout, "the still template held the start for the start timeout")
	<-tmpl.w.done // destroyed: replaced at the next fork
	p.l.fork.mu.Lock()
	assert.NotSame(t, tmpl, p.l.fork.ts[""], "the still template is still in use")
	p.l.fork.mu.Unlock()
	assert.Equal(t, "[1] 2\n", string(eval(t, s2, "1+1").Output))
}

package core

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rwarden/rwarden/auth"
	"github.com/rwarden/rwarden/internal/units"
	"github.com/rwarden/rwarden/proxy/config"
	"github.com/rwarden/rwarden/sandbox"
)

// Defaults of the memory budget (issue 12): sessions together may use
// three quarters of the host's memory, minus a reserve kept free so that
// admitted sessions can grow between two samples; one user (one source
// address for an anonymous user) at most half of it.
const (
	defaultBudgetShare   = 75 // percent of MemTotal
	defaultReserve       = 2 << 30
	defaultUserShare     = 50 // percent of the budget
	budgetSampleInterval = 500 * time.Millisecond
)

// memBudget admits a session's worker only while the memory that sessions
// actually use (each worker's sampled Pss, see sandbox.Session.MemoryUsage)
// plus the reserve fits in the budget, and while the user's own sessions
// use less than their share of it. Refusals say which limit was hit.
type memBudget struct {
	limit, reserve, userLimit int64

	mu   sync.Mutex
	held map[*Session]*budgetEntry
}

type budgetEntry struct {
	key string // whose share the session counts against
	w   *sandbox.Session
	use int64 // last sample
}

// newMemBudget resolves the configured budget (0s are the defaults).
func newMemBudget(pc config.PoolConfig) (*memBudget, error) {
	limit := int64(pc.MemoryBudget)
	if limit == 0 {
		total, err := memTotal()
		if err != nil {
			return nil, fmt.Errorf("sizing the memory budget: %w", err)
		}
		limit = total / 100 * defaultBudgetShare
	}
	reserve := int64(pc.MemoryReserve)
	if reserve == 0 {
		reserve = min(int64(defaultReserve), limit/4)
	}
	if reserve >= limit {
		return nil, fmt.Errorf("pool.memory_reserve (%s) must be below the memory budget (%s)", units.FormatBytes(reserve), units.FormatBytes(limit))
	}
	share := int64(pc.UserMemoryShare)
	if share == 0 {
		share = defaultUserShare
	}
	return &memBudget{limit: limit, reserve: reserve, userLimit: limit / 100 * share, held: map[*Session]*budgetEntry{}}, nil
}

// shareKey is whose share a session counts against: its user, or for the
// anonymous user of a listener the client's address (so that one address
// cannot take every anonymous session's memory).
func shareKey(id Identity, peer Peer) string {
	if id.Method != auth.MethodAnonymous {
		return "user " + id.User
	}
	host := peer.Remote
	if uid, ok := strings.CutPrefix(host, "unix:"); ok {
		// "unix:uid=N,pid=M": the local user, whatever process.
		host, _, _ = strings.Cut(uid, ",")
		host = "unix:" + host
	} else if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return "anonymous user " + id.User + " from " + host
}

// admit decides whether s may take a worker now.
func (b *memBudget) admit(s *Session) error {
	key := shareKey(s.id, s.peer)
	b.mu.Lock()
	defer b.mu.Unlock()
	var total, mine int64
	for _, e := range b.held {
		total += e.use
		if e.key == key {
			mine += e.use
		}
	}
	if total+b.reserve > b.limit {
		return fmt.Errorf("memory budget: sessions use %s of %s and %s is kept in reserve; try again when sessions end",
			units.FormatBytes(total), units.FormatBytes(b.limit), units.FormatBytes(b.reserve))
	}
	if mine >= b.userLimit {
		return fmt.Errorf("memory budget: the sessions of %s use %s, their share is %s of %s; end a session first",
			key, units.FormatBytes(mine), units.FormatBytes(b.userLimit), units.FormatBytes(b.limit))
	}
	return nil
}

// hold counts s's worker from now on; release stops counting it.
func (b *memBudget) hold(s *Session, w *sandbox.Session) {
	use, _ := w.MemoryUsage()
	b.mu.Lock()
	b.held[s] = &budgetEntry{key: shareKey(s.id, s.peer), w: w, use: use}
	b.mu.Unlock()
}

func (b *memBudget) release(s *Session) {
	b.mu.Lock()
	delete(b.held, s)
	b.mu.Unlock()
}

// inUse is the sum of the last samples (metrics).
func (b *memBudget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var total int64
	for _, e := range b.held {
		total += e.use
	}
	return total
}

// sample re-reads every held worker's use. The reads happen outside the
// lock; a worker released meanwhile is not put back.
func (b *memBudget) sample() {
	b.mu.Lock()
	entries := make(map[*Session]*sandbox.Session, len(b.held))
	for s, e := range b.held {
		entries[s] = e.w
	}
	b.mu.Unlock()
	uses := make(map[*Session]int64, len(entries))
	for s, w := range entries {
		if use, err := w.MemoryUsage(); err == nil {
			uses[s] = use
		}
	}
	b.mu.Lock()
	for s, use := range uses {
		if e, ok := b.held[s]; ok && e.w == entries[s] {
			e.use = use
		}
	}
	b.mu.Unlock()
}

// run samples until ctx ends.
func (b *memBudget) run(ctx context.Context) {
	t := time.NewTicker(budgetSampleInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			b.sample()
		}
	}
}

// memTotal is the host's MemTotal from /proc/meminfo, in bytes.
func memTotal() (int64, error) {
	raw, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("MemTotal:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 2 && string(f[1]) == "kB" {
			if kb, err := strconv.ParseInt(string(f[0]), 10, 64); err == nil && kb > 0 {
				return kb << 10, nil
			}
		}
		break
	}
	return 0, fmt.Errorf("no MemTotal in /proc/meminfo")
}

// workerOf is the worker s holds and its last memory sample (nil: none).
func (b *memBudget) workerOf(s *Session) (*sandbox.Session, int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e, ok := b.held[s]; ok {
		return e.w, e.use
	}
	return nil, 0
}

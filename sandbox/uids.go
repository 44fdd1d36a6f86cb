package sandbox

import (
	"errors"
	"sync"
)

// uidPool hands out worker uids from a range, one per live worker, so that
// workers cannot signal, trace or read each other even where Landlock would
// not stop it.
type uidPool struct {
	mu          sync.Mutex
	first, last int
	inUse       map[int]bool
	next        int
}

var errNoUID = errors.New("no free worker uid in the configured range")

func newUIDPool(first, last int) *uidPool {
	return &uidPool{first: first, last: last, inUse: map[int]bool{}, next: first}
}

func (p *uidPool) get() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.last - p.first + 1
	for i := 0; i < n; i++ {
		uid := p.next
		p.next++
		if p.next > p.last {
			p.next = p.first
		}
		if !p.inUse[uid] {
			p.inUse[uid] = true
			return uid, nil
		}
	}
	return 0, errNoUID
}

func (p *uidPool) put(uid int) {
	p.mu.Lock()
	delete(p.inUse, uid)
	p.mu.Unlock()
}

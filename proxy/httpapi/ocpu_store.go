package httpapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"sync"
	"time"

	"github.com/rwarden/rwarden/proxy/core"
)

// The results of OpenCPU calls ("tmp sessions" in OpenCPU's words): what
// a call printed, its value and its plots, kept under a random key for
// the user who made the call, until they expire or the user's quota
// pushes them out (oldest first). They hold no R process: every call runs
// in a fresh session that is closed when the call ends.

// ocpuTTL is how long a call's results stay readable.
const ocpuTTL = time.Hour

// maxOcpuResults and maxOcpuBytes bound what one user keeps.
const (
	maxOcpuResults = 64
	maxOcpuBytes   = 64 << 20
)

// ocpuResult is one call's results.
type ocpuResult struct {
	key     string
	user    string
	expires time.Time
	fun     string // the function called, for the path list
	console string // the call as typed and what it printed
	stdout  string // what it printed
	value   []byte // serialize(value, NULL, version = 2); nil when invisible or none
	plots   []core.Plot
}

func (r *ocpuResult) size() int64 {
	n := int64(len(r.console) + len(r.stdout) + len(r.value))
	for _, p := range r.plots {
		n += int64(len(p.PNG) + len(p.SVG))
	}
	return n
}

// ocpuStore holds the kept results of every user.
type ocpuStore struct {
	mu     sync.Mutex
	byKey  map[string]*ocpuResult
	byUser map[string][]*ocpuResult // oldest first
	now    func() time.Time
}

func newOcpuStore() *ocpuStore {
	return &ocpuStore{byKey: map[string]*ocpuResult{}, byUser: map[string][]*ocpuResult{}, now: time.Now}
}

// newOcpuKey is an OpenCPU-style key ("x" and hex digits; clients such as
// opencpu.js take it from the X-ocpu-session header) of 128 random bits.
func newOcpuKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "x" + hex.EncodeToString(b)
}

// add keeps res for its user under a new key and returns the key.
func (s *ocpuStore) add(res *ocpuResult) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep()
	res.key = newOcpuKey()
	res.expires = s.now().Add(ocpuTTL)
	s.byKey[res.key] = res
	list := append(s.byUser[res.user], res)
	var total int64
	for _, r := range list {
		total += r.size()
	}
	for len(list) > 1 && (len(list) > maxOcpuResults || total > maxOcpuBytes) {
		total -= list[0].size()
		delete(s.byKey, list[0].key)
		list = list[1:]
	}
	s.byUser[res.user] = list
	return res.key
}

// get returns the results key names for user; another user's results are
// as absent as unknown ones.
func (s *ocpuStore) get(key, user string) *ocpuResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.byKey[key]
	if r == nil || subtle.ConstantTimeCompare([]byte(r.user), []byte(user)) != 1 || !s.now().Before(r.expires) {
		return nil
	}
	return r
}

// sweep drops expired results (the caller holds mu).
func (s *ocpuStore) sweep() {
	now := s.now()
	for user, list := range s.byUser {
		i := 0
		for i < len(list) && !now.Before(list[i].expires) {
			delete(s.byKey, list[i].key)
			i++
		}
		if i == len(list) {
			delete(s.byUser, user)
		} else if i > 0 {
			s.byUser[user] = list[i:]
		}
	}
}

package refs

// nameCounts maps names to counts, for scope: an open-addressing table
// with linear probing, hashed from a name's length and three of its bytes
// (names that collide only probe further; every key is compared whole).
// A scope binds and looks up a few names over and over, and a Go map
// hashed every byte of each and was a large part of the visit. Entries
// are never deleted: a count that falls to zero stays, as the scope's
// log bounds how many names there are until the next reset.
type nameCounts struct {
	keys []string // "" for a free slot (no name is empty)
	vals []int32
	n    int // slots in use
}

// nameCountsMin is the smallest table: a power of two.
const nameCountsMin = 64

// slot returns the slot of name: where it is, or the free slot where it
// would go.
func (t *nameCounts) slot(name string) int {
	n := len(name)
	x := uint32(n)*0x9E3779B1 ^ uint32(name[0])<<16 ^ uint32(name[n/2])<<8 ^ uint32(name[n-1])
	x *= 0x85EBCA6B
	mask := len(t.keys) - 1
	i := int(x>>16) & mask
	for {
		if k := t.keys[i]; k == "" || k == name {
			return i
		}
		i = (i + 1) & mask
	}
}

// get returns the count of name (0 when absent).
func (t *nameCounts) get(name string) int32 {
	if t.n == 0 || name == "" {
		return 0
	}
	return t.vals[t.slot(name)]
}

// add adds d to the count of name and returns the new count. The empty
// name, which no binding can have, is never counted (its count stays 0:
// not bound, the safe answer).
func (t *nameCounts) add(name string, d int32) int32 {
	if name == "" {
		return 0
	}
	if 2*(t.n+1) > len(t.keys) {
		t.grow()
	}
	i := t.slot(name)
	if t.keys[i] == "" {
		t.keys[i] = name
		t.n++
	}
	t.vals[i] += d
	return t.vals[i]
}

// grow doubles the table (or makes the first one).
func (t *nameCounts) grow() {
	keys, vals := t.keys, t.vals
	size := max(2*len(keys), nameCountsMin)
	t.keys, t.vals, t.n = make([]string, size), make([]int32, size), 0
	for i, k := range keys {
		if k != "" {
			j := t.slot(k)
			t.keys[j], t.vals[j] = k, vals[i]
			t.n++
		}
	}
}

// reset empties the table, keeping its memory.
func (t *nameCounts) reset() {
	if t.n > 0 {
		clear(t.keys)
		clear(t.vals)
		t.n = 0
	}
}

// len is the number of names the table holds (with a zero count too).
func (t *nameCounts) len() int { return t.n }

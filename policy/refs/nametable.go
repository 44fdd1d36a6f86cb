package refs

// nameTable maps names to values: an open-addressing table with linear
// probing, hashed from a name's length and three of its bytes (names that
// collide only probe further; every key is compared whole). The analysis
// looks up and binds a few names over and over, and a Go map hashed every
// byte of each and was a large part of the visit. Entries are never
// deleted (scope keeps a count that falls to zero); reset empties the
// table.
type nameTable[V any] struct {
	keys []string // "" for a free slot
	vals []V
	n    int // slots in use
	// The empty name (assign("", v) binds it) is kept apart, since ""
	// marks a free slot.
	empty    V
	hasEmpty bool
}

// nameTableMin is the smallest table: a power of two.
const nameTableMin = 64

// slot returns the slot of a non-empty name: where it is, or the free
// slot where it would go. The table must have slots.
func (t *nameTable[V]) slot(name string) int {
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

// lookup returns the value of name and whether the table has it.
func (t *nameTable[V]) lookup(name string) (V, bool) {
	if name == "" {
		return t.empty, t.hasEmpty
	}
	if t.n > 0 {
		if i := t.slot(name); t.keys[i] != "" {
			return t.vals[i], true
		}
	}
	var zero V
	return zero, false
}

// ref returns the value of name, adding it (zero) if the table does not
// have it. The pointer is valid until the next ref.
func (t *nameTable[V]) ref(name string) *V {
	if name == "" {
		t.hasEmpty = true
		return &t.empty
	}
	if 2*(t.n+1) > len(t.keys) {
		t.grow()
	}
	i := t.slot(name)
	if t.keys[i] == "" {
		t.keys[i] = name
		t.n++
	}
	return &t.vals[i]
}

// grow doubles the table (or makes the first one).
func (t *nameTable[V]) grow() {
	keys, vals := t.keys, t.vals
	size := max(2*len(keys), nameTableMin)
	t.keys, t.vals, t.n = make([]string, size), make([]V, size), 0
	for i, k := range keys {
		if k != "" {
			j := t.slot(k)
			t.keys[j], t.vals[j] = k, vals[i]
			t.n++
		}
	}
}

// reset empties the table, keeping its memory.
func (t *nameTable[V]) reset() {
	if t.n > 0 {
		clear(t.keys)
		clear(t.vals)
		t.n = 0
	}
	var zero V
	t.empty, t.hasEmpty = zero, false
}

// len is the number of names the table holds.
func (t *nameTable[V]) len() int {
	if t.hasEmpty {
		return t.n + 1
	}
	return t.n
}

// all calls fn for every name and value (in no particular order).
func (t *nameTable[V]) all(fn func(string, V)) {
	if t.hasEmpty {
		fn("", t.empty)
	}
	for i, k := range t.keys {
		if k != "" {
			fn(k, t.vals[i])
		}
	}
}

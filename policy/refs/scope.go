package refs

// scope tracks the names a script has provably bound, at the point the
// visit has reached, in the environment R would look them up in: R's
// lexical scoping resolves a name to the innermost environment that has a
// binding for it, so a use of a name reaches the package function of that
// name unless the name is certainly bound locally by then.
//
// A name counts as bound only when every path to the use binds it first:
// a formal argument of an enclosing function (always bound in the call's
// frame), or an assignment with <- or = earlier on the straight-line path
// of the same function (or of the top level). Not bound: a name assigned
// with <<- (it binds in another environment), inside a call's argument
// (arguments are promises that the callee may never force), in only one
// branch of an if, on the right of && or ||, in a loop body (the loop may
// not run), or after the use. A function body does not see the top
// level's assignments: a later request may remove them (rm) before the
// function is called. A script that names rm or remove anywhere binds
// nothing provably, since either can undo any binding.
type scope struct {
	count nameTable[int32]
	log   []string
	off   bool
	// maybe has a bit set for every name bound since reset (see
	// nameBit): most names a script reads were never bound in the
	// scope, and the bit tells so without a map lookup. Bits are not
	// cleared by restore; a stale bit only costs the lookup.
	maybe [4]uint64
}

// nameBit picks a name's bit in scope.maybe from its length and its
// first and last bytes.
func nameBit(name string) uint32 {
	n := len(name)
	if n == 0 {
		return 0
	}
	x := uint32(n)*0x9E3779B1 ^ uint32(name[0])<<8 ^ uint32(name[n-1])
	x *= 0x85EBCA6B
	return x >> 24
}

func (s *scope) reset() {
	s.count.reset()
	s.log = s.log[:0]
	s.off = false
	s.maybe = [4]uint64{}
}

// mark returns the state to restore to.
func (s *scope) mark() int { return len(s.log) }

// bind records that name is bound from here on.
func (s *scope) bind(name string) {
	b := nameBit(name)
	s.maybe[b>>6] |= 1 << (b & 63)
	*s.count.ref(name)++
	s.log = append(s.log, name)
}

// restore forgets the bindings made since mark m.
func (s *scope) restore(m int) {
	for len(s.log) > m {
		name := s.log[len(s.log)-1]
		s.log = s.log[:len(s.log)-1]
		*s.count.ref(name)--
	}
}

// since returns the names bound after mark m (a copy).
func (s *scope) since(m int) []string {
	if len(s.log) == m {
		return nil
	}
	return append([]string(nil), s.log[m:]...)
}

// isBound reports whether name is provably bound at this point.
func (s *scope) isBound(name string) bool {
	if s.off {
		return false
	}
	if b := nameBit(name); s.maybe[b>>6]&(1<<(b&63)) == 0 {
		return false
	}
	c, _ := s.count.lookup(name)
	return c > 0
}

// removers are the functions that remove a binding; a script that names
// one proves no binding.
func isRemover(name string) bool { return name == "rm" || name == "remove" }

package rsyntax

// slab hands out nodes from chunks: one allocation per 128 nodes instead
// of one per node, which is most of the parser's allocation cost.
type slab[T any] struct{ free []T }

func (s *slab[T]) alloc(v T) *T {
	if len(s.free) == 0 {
		s.free = make([]T, 128)
	}
	x := &s.free[0]
	s.free = s.free[1:]
	*x = v
	return x
}

// slabs holds one slab per frequent node type.
type slabs struct {
	bins   slab[Binary]
	syms   slab[Symbol]
	strs   slab[String]
	calls  slab[Call]
	nums   slab[Num]
	consts slab[Const]
}

// newBinary and the functions below allocate nodes from the slabs.
func (p *parser) newBinary(v Binary) *Binary { return p.slabs.bins.alloc(v) }

func (p *parser) newSymbol(v Symbol) *Symbol { return p.slabs.syms.alloc(v) }

func (p *parser) newString(v String) *String { return p.slabs.strs.alloc(v) }

func (p *parser) newCall(v Call) *Call { return p.slabs.calls.alloc(v) }

func (p *parser) newNum(v Num) *Num { return p.slabs.nums.alloc(v) }

func (p *parser) newConst(v Const) *Const { return p.slabs.consts.alloc(v) }

// argSlice copies args into a slice carved from a shared chunk, capped so
// that appending to it cannot overwrite its neighbours.
func (p *parser) argSlice(args []Arg) []Arg {
	n := len(args)
	if n > 32 {
		return append([]Arg(nil), args...)
	}
	if len(p.argFree) < n {
		p.argFree = make([]Arg, 256)
	}
	out := p.argFree[:n:n]
	copy(out, args)
	p.argFree = p.argFree[n:]
	return out
}

package rsyntax

// slab hands out values from chunks: one allocation per chunk instead of
// one per node, which is most of the parser's allocation cost. Chunks grow
// from minChunk to maxChunk elements, so that a one-line script does not
// pay for a thousand nodes. A Parser keeps its chunks from one parse to the
// next (reset rewinds them), so that a server checking script after script
// allocates almost nothing; every value handed out is overwritten whole.
type slab[T any] struct {
	chunks [][]T // every chunk, in order of use
	next   int   // chunks[next:] have not been used since the last reset
	free   []T   // the unused rest of chunks[next-1]
}

const (
	minChunk = 16
	maxChunk = 256
	// maxKeptChunks bounds what a reused slab keeps between parses: the
	// nodes of a script of a few thousand lines, not those of the largest
	// input ever parsed.
	maxKeptChunks = 32
)

func (s *slab[T]) alloc(v T) *T {
	if len(s.free) == 0 {
		s.grow(1)
	}
	x := &s.free[0]
	s.free = s.free[1:]
	*x = v
	return x
}

// take returns n consecutive elements (n <= maxChunk), capped so that
// appending to the result cannot overwrite its neighbours. The caller
// overwrites all of them.
func (s *slab[T]) take(n int) []T {
	if len(s.free) < n {
		s.grow(n)
	}
	out := s.free[:n:n]
	s.free = s.free[n:]
	return out
}

// grow moves to the next chunk, reusing one from an earlier parse when it
// holds at least n elements.
func (s *slab[T]) grow(n int) {
	for s.next < len(s.chunks) {
		c := s.chunks[s.next]
		s.next++
		if len(c) >= n {
			s.free = c
			return
		}
	}
	size := minChunk
	if k := len(s.chunks); k > 0 {
		size = min(2*len(s.chunks[k-1]), maxChunk)
	}
	size = max(size, n)
	c := make([]T, size)
	s.chunks = append(s.chunks, c)
	s.next = len(s.chunks)
	s.free = c
}

// reset makes every chunk available again, keeping at most maxKeptChunks.
func (s *slab[T]) reset() {
	if len(s.chunks) > maxKeptChunks {
		clear(s.chunks[maxKeptChunks:])
		s.chunks = s.chunks[:maxKeptChunks]
	}
	s.next, s.free = 0, nil
}

// slabs holds one slab per node type, and the slices nodes refer to.
type slabs struct {
	bins    slab[Binary]
	syms    slab[Symbol]
	strs    slab[String]
	calls   slab[Call]
	nums    slab[Num]
	consts  slab[Const]
	indexes slab[Index]
	unaries slab[Unary]
	parens  slab[Paren]
	blocks  slab[Block]
	ifs     slab[If]
	fors    slab[For]
	whiles  slab[While]
	repeats slab[Repeat]
	breaks  slab[Break]
	nexts   slab[Next]
	funcs   slab[Function]
	params  slab[Param]
	holders slab[Placeholder]
	args    slab[Arg]
	nodes   slab[Node]
	paramPs slab[*Param]
}

func (s *slabs) reset() {
	s.bins.reset()
	s.syms.reset()
	s.strs.reset()
	s.calls.reset()
	s.nums.reset()
	s.consts.reset()
	s.indexes.reset()
	s.unaries.reset()
	s.parens.reset()
	s.blocks.reset()
	s.ifs.reset()
	s.fors.reset()
	s.whiles.reset()
	s.repeats.reset()
	s.breaks.reset()
	s.nexts.reset()
	s.funcs.reset()
	s.params.reset()
	s.holders.reset()
	s.args.reset()
	s.nodes.reset()
	s.paramPs.reset()
}

// newBinary and the functions below allocate nodes from the slabs.
func (p *parser) newBinary(v Binary) *Binary { return p.slabs.bins.alloc(v) }

func (p *parser) newSymbol(v Symbol) *Symbol { return p.slabs.syms.alloc(v) }

func (p *parser) newString(v String) *String { return p.slabs.strs.alloc(v) }

func (p *parser) newCall(v Call) *Call { return p.slabs.calls.alloc(v) }

// newAssign is newBinary for an assignment operator, which it notes in
// File.Binders.
func (p *parser) newAssign(v Binary) *Binary {
	b := p.slabs.bins.alloc(v)
	p.binders.Nodes = append(p.binders.Nodes, b)
	return b
}

// newFor and newFunction allocate nodes and note them in File.Binders.
func (p *parser) newFor(v For) *For {
	f := p.slabs.fors.alloc(v)
	p.binders.Nodes = append(p.binders.Nodes, f)
	return f
}

func (p *parser) newFunction(v Function) *Function {
	f := p.slabs.funcs.alloc(v)
	p.binders.Nodes = append(p.binders.Nodes, f)
	return f
}

// isUnbinder reports the names of the functions that remove bindings.
func isUnbinder(name string) bool { return name == "rm" || name == "remove" }

// isBindingFunction reports the functions that bind a name given as a
// string.
func isBindingFunction(name string) bool {
	return name == "assign" || name == "delayedAssign" || name == "makeActiveBinding"
}

func (p *parser) newNum(v Num) *Num { return p.slabs.nums.alloc(v) }

func (p *parser) newConst(v Const) *Const { return p.slabs.consts.alloc(v) }

// argSlice copies args into a slice carved from a shared chunk.
func (p *parser) argSlice(args []Arg) []Arg {
	if len(args) > maxChunk {
		return append([]Arg(nil), args...)
	}
	out := p.slabs.args.take(len(args))
	copy(out, args)
	return out
}

// nodeSlice copies nodes into a slice carved from a shared chunk.
func (p *parser) nodeSlice(nodes []Node) []Node {
	if len(nodes) == 0 {
		return nil
	}
	if len(nodes) > maxChunk {
		return append([]Node(nil), nodes...)
	}
	out := p.slabs.nodes.take(len(nodes))
	copy(out, nodes)
	return out
}

// paramSlice copies params into a slice carved from a shared chunk.
func (p *parser) paramSlice(params []*Param) []*Param {
	if len(params) == 0 {
		return nil
	}
	if len(params) > maxChunk {
		return append([]*Param(nil), params...)
	}
	out := p.slabs.paramPs.take(len(params))
	copy(out, params)
	return out
}

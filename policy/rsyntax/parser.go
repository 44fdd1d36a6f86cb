package rsyntax

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// Parse parses R source the way R 4.2's parse(text = src) does and returns
// its top-level expressions. The error is a *SyntaxError for input R
// rejects (with R's position and message), or a *LimitError for input
// beyond opts.
func Parse(src []byte, opts Options) (*File, error) {
	var p Parser
	return p.Parse(src, opts)
}

// Parser parses like Parse, but keeps its memory from one call to the
// next: the nodes, argument lists and source copy of the File that Parse
// returns are reused, and so overwritten, by the next call to Parse. It
// is for callers that drop the tree before parsing again, such as the
// policy check of every request; they allocate almost nothing once the
// Parser has grown to their scripts. A Parser is not safe for concurrent
// use; its zero value is ready to use.
type Parser struct {
	p  parser
	lx lexer
	// src is the copy of the input with parse(text=)'s final newline.
	src []byte
}

// maxKeptSource bounds the source buffer a Parser keeps between calls.
const maxKeptSource = 256 << 10

// Parse parses src as the package-level Parse does. The returned File is
// valid until the next call of Parse on p.
func (ps *Parser) Parse(src []byte, opts Options) (*File, error) {
	opts = opts.withDefaults()
	if len(src) > opts.MaxBytes {
		return nil, &LimitError{Pos: Pos{1, 0}, Msg: fmt.Sprintf("input is %d bytes, more than the limit of %d", len(src), opts.MaxBytes)}
	}
	if err := checkEncoding(src); err != nil {
		return nil, err
	}
	// parse(text=) ends every line of text with a newline.
	if cap(ps.src) < len(src)+1 || cap(ps.src) > maxKeptSource && len(src)+1 <= maxKeptSource {
		ps.src = make([]byte, len(src)+1)
	}
	buf := ps.src[:len(src)+1]
	copy(buf, src)
	buf[len(src)] = '\n'
	ps.lx.reset(buf)
	p := &ps.p
	p.reset(&ps.lx, opts.MaxDepth)
	f, err := p.file()
	if err != nil {
		return nil, err
	}
	f.Warnings = ps.lx.warnings
	return f, nil
}

// checkEncoding refuses what an R character string cannot hold (nul) and
// what R's UTF-8 lexer would refuse or misread (invalid UTF-8; R only
// skips it inside comments, which rwarden does not special-case).
func checkEncoding(src []byte) error {
	// The common case, valid and nul-free, is checked by the library's
	// word-at-a-time loops; positions are computed only for an error.
	if utf8.Valid(src) && bytes.IndexByte(src, 0) < 0 {
		return nil
	}
	line, col := 1, 0
	for i := 0; i < len(src); {
		c := src[i]
		if c < 0x80 {
			switch c {
			case 0:
				return &SyntaxError{Pos: Pos{int32(line), int32(col + 1)}, Msg: "nul character not allowed in R code"}
			case '\n':
				line, col = line+1, 0
			case '\t':
				col = (col + 8) &^ 7
			default:
				col++
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n <= 1 {
			return &SyntaxError{Pos: Pos{int32(line), int32(col + 1)}, Msg: fmt.Sprintf("invalid multibyte character in parser at line %d", line)}
		}
		col++
		i += n
	}
	return nil
}

// parser is a recursive-descent parser for gram.y's grammar, with R's
// precedences applied by precedence climbing.
type parser struct {
	slabs    slabs
	args     []Arg    // argument stack of sublist
	exprs    []Node   // expression stack of block and file
	formals  []*Param // formal argument stack of function
	binders  Binders  // see File.Binders
	lx       *lexer
	tok      token
	have     bool
	depth    int
	maxDepth int
	// h is the height of the node the last parse function returned (see
	// checkDepth): each sets it before returning a node, and a caller
	// that builds a node on top reads it right after the call.
	h int
	// onExpr, when set (by tests), sees each top-level expression with
	// its computed height before the depth check.
	onExpr func(e Node, h int)
}

// maxKeptStack bounds the argument, expression and formal stacks a reused
// parser keeps: a call with a hundred thousand arguments must not pin them.
const maxKeptStack = 1 << 12

// reset prepares p for a new parse with lx, keeping its memory.
func (p *parser) reset(lx *lexer, maxDepth int) {
	p.slabs.reset()
	p.args = keepStack(p.args)
	p.exprs = keepStack(p.exprs)
	p.formals = keepStack(p.formals)
	p.binders = Binders{Nodes: keepStack(p.binders.Nodes)}
	p.lx, p.tok, p.have = lx, token{}, false
	p.depth, p.maxDepth = 0, maxDepth
}

// keepStack empties a stack for reuse, or drops it when it grew large.
// Its elements are cleared so that they keep no old nodes alive.
func keepStack[T any](s []T) []T {
	if cap(s) > maxKeptStack {
		return nil
	}
	clear(s[:cap(s)])
	return s[:0]
}

// peek returns the lookahead token, lexing it only now: R's parser reads
// a lookahead exactly when it needs one, and the grammar's actions change
// the lexer's state (eatLines) in between, so the timing matters.
func (p *parser) peek() (*token, error) {
	if p.have {
		return &p.tok, nil
	}
	return p.lex()
}

// lex is peek's slow path, apart so that peek inlines.
func (p *parser) lex() (*token, error) {
	if err := p.lx.yylex(&p.tok); err != nil {
		return nil, err
	}
	p.have = true
	return &p.tok, nil
}

func (p *parser) advance() { p.have = false }

func unexpected(t *token) error { return &SyntaxError{Pos: t.pos, Msg: t.kind.unexpected()} }

// expect consumes a token of kind k or reports the lookahead as unexpected.
// The token it returns is valid until the next peek.
func (p *parser) expect(k tokKind) (*token, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind != k {
		return nil, unexpected(t)
	}
	p.advance()
	return t, nil
}

// file is R_Parse: one "prog" per top-level expression, each terminated by
// a newline or a semicolon.
func (p *parser) file() (*File, error) {
	f := &File{}
	defer func() { p.exprs = p.exprs[:0] }()
	for {
		p.lx.parseInit()
		p.have = false
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tEOF:
			if p.lx.eofInComment {
				return nil, &SyntaxError{Pos: t.pos, Msg: tEOF.unexpected()}
			}
			// The top-level expressions are the whole expression stack
			// (blocks push above them and pop back); the File takes it
			// as it is, valid like the nodes until the next parse.
			if n := len(p.exprs); n > 0 {
				f.Exprs = p.exprs[:n:n]
			}
			f.Binders = &p.binders
			return f, nil
		case tNewline:
			p.advance()
			continue
		}
		e, err := p.exprOrAssign(0)
		if err != nil {
			return nil, err
		}
		if t, err = p.peek(); err != nil {
			return nil, err
		}
		if t.kind != tNewline && t.kind != tSemi {
			return nil, unexpected(t)
		}
		p.advance()
		// Depth first: the checks after it may recurse. p.h is the height
		// of the tree (an upper bound after a pipe), so that checkDepth
		// only walks a tree that may be too deep.
		if p.onExpr != nil {
			p.onExpr(e, p.h)
		}
		if p.h > p.maxDepth {
			if err := checkDepth(e, p.maxDepth); err != nil {
				return nil, err
			}
		}
		if p.lx.placeholder {
			if err := checkPlaceholders(e); err != nil {
				return nil, err
			}
		}
		p.exprs = append(p.exprs, e)
	}
}

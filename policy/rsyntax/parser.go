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
	opts = opts.withDefaults()
	if len(src) > opts.MaxBytes {
		return nil, &LimitError{Pos: Pos{1, 0}, Msg: fmt.Sprintf("input is %d bytes, more than the limit of %d", len(src), opts.MaxBytes)}
	}
	if err := checkEncoding(src); err != nil {
		return nil, err
	}
	// parse(text=) ends every line of text with a newline.
	buf := make([]byte, len(src)+1)
	copy(buf, src)
	buf[len(src)] = '\n'
	p := &parser{lx: newLexer(buf), maxDepth: opts.MaxDepth}
	f, err := p.file()
	if err != nil {
		return nil, err
	}
	f.Warnings = p.lx.warnings
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
				return &SyntaxError{Pos: Pos{line, col + 1}, Msg: "nul character not allowed in R code"}
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
			return &SyntaxError{Pos: Pos{line, col + 1}, Msg: fmt.Sprintf("invalid multibyte character in parser at line %d", line)}
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
	argFree  []Arg // see argSlice
	args     []Arg // argument stack of sublist
	lx       *lexer
	tok      token
	have     bool
	depth    int
	maxDepth int
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
	t, err := p.lx.yylex()
	if err != nil {
		return nil, err
	}
	p.tok, p.have = t, true
	return &p.tok, nil
}

func (p *parser) advance() { p.have = false }

func unexpected(t *token) error { return &SyntaxError{Pos: t.pos, Msg: t.kind.unexpected()} }

// expect consumes a token of kind k or reports the lookahead as unexpected.
func (p *parser) expect(k tokKind) (token, error) {
	t, err := p.peek()
	if err != nil {
		return token{}, err
	}
	if t.kind != k {
		return token{}, unexpected(t)
	}
	p.advance()
	return *t, nil
}

// file is R_Parse: one "prog" per top-level expression, each terminated by
// a newline or a semicolon.
func (p *parser) file() (*File, error) {
	f := &File{}
	for {
		p.lx.parseInit()
		p.lx.ntokens = 0
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
		// Depth first: the checks after it may recurse. Every node has a
		// token of its own, so an expression of at most MaxDepth tokens
		// cannot be too deep.
		if p.lx.ntokens > p.maxDepth {
			if err := checkDepth(e, p.maxDepth); err != nil {
				return nil, err
			}
		}
		if p.lx.placeholder {
			if err := checkPlaceholders(e); err != nil {
				return nil, err
			}
		}
		f.Exprs = append(f.Exprs, e)
	}
}

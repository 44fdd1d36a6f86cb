package rsyntax

import (
	"errors"
	"fmt"
)

// Pos is a position in R source: 1-based line and column with R's rules
// (getParseData's line1/col1). Col is 0 for a position just after a newline,
// which is where R reports "unexpected end of line/input".
//
// The fields are int32 so that tokens, nodes and references are smaller
// (the parse and the analysis write and copy many of them). They cannot
// overflow: Parse refuses input over MaxInputBytes, a column grows by at
// most 8 per byte (a tab), and a line by one per byte after at most
// 2^30 from a #line directive.
type Pos struct{ Line, Col int32 }

// String formats the position as "LINE:COL".
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Options bounds the work Parse may do. Zero fields take the defaults.
type Options struct {
	MaxBytes int // maximum input size in bytes (default 1 MiB, at most MaxInputBytes)
	MaxDepth int // maximum nesting depth of the syntax tree (default 256)
}

// Default limits.
const (
	DefaultMaxBytes = 1 << 20
	DefaultMaxDepth = 256
	// MaxInputBytes is the ceiling on MaxBytes: positions of input up
	// to 128 MiB fit Pos's int32 fields (8 columns per byte at most).
	MaxInputBytes = 1 << 27
)

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	o.MaxBytes = min(o.MaxBytes, MaxInputBytes)
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	return o
}

// SyntaxError is input that R itself rejects (or that the parser cannot be
// sure R accepts). Pos and Msg are those of R's parse() where R reports a
// position; for errors R raises without one (for example "repeated formal
// argument"), Pos is the offending token.
type SyntaxError struct {
	Pos Pos
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg) }

// ErrLimit is wrapped by every LimitError, for errors.Is.
var ErrLimit = errors.New("parser limit exceeded")

// LimitError reports input beyond Options' bounds. R might accept such
// input; rwarden does not analyse it.
type LimitError struct {
	Pos Pos
	Msg string
}

func (e *LimitError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg) }

// Unwrap makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Unwrap() error { return ErrLimit }

// Warning is something R's parser warns about but accepts, such as an
// integer literal with a decimal part ("1.5L").
type Warning struct {
	Pos Pos
	Msg string
}

func (w Warning) String() string { return fmt.Sprintf("%d:%d: %s", w.Pos.Line, w.Pos.Col, w.Msg) }

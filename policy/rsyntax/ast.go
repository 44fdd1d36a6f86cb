package rsyntax

// File is a parsed R script: its top-level expressions in order.
type File struct {
	Exprs []Node
	// Warnings are what R's parser would warn about (and accept).
	Warnings []Warning
	// Binders is what Parse noted while building the tree, for analyses
	// that need every name a script may bind before they walk it (see
	// policy/refs): nil for a File Parse did not make.
	Binders *Binders
}

// Binders lists the nodes of a tree that may bind a name, so that an
// analysis finds them without a walk of the whole tree: every assignment
// (a *Binary with Op "<-", "=" or "<<-"; := too), every *For, every
// *Function and every *Call whose function is not a plain name other than
// assign, delayedAssign and makeActiveBinding. Nodes are in the order the parser
// built them, which is not the order of a walk: a node comes after the
// nodes of its operands, and a function literal before its body. Every
// node listed is in the tree.
type Binders struct {
	Nodes []Node
	// Unbinds is set when the tree has a *Symbol or *String rm or
	// remove (formal names and for variables are not nodes of the tree).
	Unbinds bool
}

// Node is an expression of the syntax tree. Pos is where the expression
// starts in the source (getParseData's line1/col1 for its expr row).
//
// Every node corresponds to the R object R's parser builds, so a walk over
// the tree sees exactly what R would evaluate:
//
//	*Symbol, *String, *Num, *Const, *Placeholder  constants and names
//	*Call      f(x), "f"(x) and the desugared x |> f(y)
//	*Index     x[i] and x[[i]]
//	*Unary     -x, +x, !x, ~x, ?x
//	*Binary    every infix operator, including assignments, $, @, :: and :::
//	*Paren     (x)
//	*Block     { ... }
//	*If, *For, *While, *Repeat, *Break, *Next, *Function
type Node interface{ Pos() Pos }

// Symbol is a name: `x`, `...`, `..1`, or a backtick-quoted name.
type Symbol struct {
	P      Pos
	Name   string // after backtick escapes: `\x73ystem` is "system"
	Quoted bool   // written in backticks
	// FromString is set for the function of "f"(x), which R turns into
	// the symbol f.
	FromString bool
}

// String is a string constant, decoded (escapes applied, raw strings
// verbatim). Value holds bytes, which are UTF-8 unless octal or \x
// escapes produced other bytes, as in R.
type String struct {
	P     Pos
	Value string
	Raw   bool // r"(...)" syntax
}

// NumType is the R type of a numeric constant.
type NumType uint8

// Numeric constant types.
const (
	NumDouble  NumType = iota // 1, 1.5, 1e5, 0x1p3, 1.5L (R warns and uses double)
	NumInteger                // 1L, 0x10L
	NumComplex                // 1i
)

func (t NumType) String() string {
	switch t {
	case NumInteger:
		return "int"
	case NumComplex:
		return "cplx"
	}
	return "dbl"
}

// Num is a numeric constant; Text is its spelling in the source.
type Num struct {
	P    Pos
	Text string
	Type NumType
}

// Const is a keyword constant: NULL, NA, TRUE, FALSE, Inf, NaN,
// NA_integer_, NA_real_, NA_character_ or NA_complex_.
type Const struct {
	P    Pos
	Name string
}

// Placeholder is the pipe placeholder `_`. It only survives parsing as the
// default value of a formal argument, where R 4.2 does not look for it.
type Placeholder struct{ P Pos }

// Arg is one argument of a call or index. Value is nil for an empty
// argument (x[, 1], f(a = )).
type Arg struct {
	Name    string // tag, "" if none
	HasName bool   // tagged: name = value (the name may come from "s" = or NULL =)
	NamePos Pos
	Value   Node
}

// Call is a function call. Fn is the expression in function position;
// for "f"(x) it is the *Symbol f with FromString set. Pipe is set when the
// call was written as lhs |> rhs (R rewrites it before evaluation).
type Call struct {
	P      Pos
	Fn     Node
	Args   []Arg
	LParen Pos
	Pipe   bool
}

// Index is x[...] (Double false) or x[[...]] (Double true).
type Index struct {
	P      Pos
	X      Node
	Args   []Arg
	Double bool
	Open   Pos // position of [ or [[
}

// Unary is a prefix operator: Op is "-", "+", "!", "~" or "?".
type Unary struct {
	P  Pos // the operator
	Op string
	X  Node
}

// Binary is an infix operator call `Op`(X, Y). Op is the R function name:
// "+", "%in%", "<-", "=", "$", "@", "::", ... `a -> b` is Op "<-" with
// X b, Y a and Rightward set; `**` is "^". For $ and @, Y is a *Symbol or
// *String; for :: and :::, both X and Y are.
type Binary struct {
	P         Pos // start of the expression (the first operand as written)
	Op        string
	OpPos     Pos
	X, Y      Node
	Rightward bool // written as -> or ->>
}

// Paren is (X).
type Paren struct {
	P Pos
	X Node
}

// Block is { Exprs }.
type Block struct {
	P     Pos
	Exprs []Node
	Close Pos
}

// If is if (Cond) Then [else Else]; Else is nil without else.
type If struct {
	P          Pos
	Cond, Then Node
	Else       Node
}

// For is for (Var in Seq) Body.
type For struct {
	P         Pos
	Var       *Symbol
	Seq, Body Node
}

// While is while (Cond) Body.
type While struct {
	P          Pos
	Cond, Body Node
}

// Repeat is repeat Body.
type Repeat struct {
	P    Pos
	Body Node
}

// Break is break.
type Break struct{ P Pos }

// Next is next.
type Next struct{ P Pos }

// Param is a formal argument; Default is nil without one.
type Param struct {
	Name    *Symbol
	Default Node
}

// Function is function(Params) Body, or \(Params) Body when Lambda.
type Function struct {
	P      Pos
	Params []*Param
	Body   Node
	Lambda bool
}

// Pos implementations.

func (n *Symbol) Pos() Pos      { return n.P }
func (n *String) Pos() Pos      { return n.P }
func (n *Num) Pos() Pos         { return n.P }
func (n *Const) Pos() Pos       { return n.P }
func (n *Placeholder) Pos() Pos { return n.P }
func (n *Call) Pos() Pos        { return n.P }
func (n *Index) Pos() Pos       { return n.P }
func (n *Unary) Pos() Pos       { return n.P }
func (n *Binary) Pos() Pos      { return n.P }
func (n *Paren) Pos() Pos       { return n.P }
func (n *Block) Pos() Pos       { return n.P }
func (n *If) Pos() Pos          { return n.P }
func (n *For) Pos() Pos         { return n.P }
func (n *While) Pos() Pos       { return n.P }
func (n *Repeat) Pos() Pos      { return n.P }
func (n *Break) Pos() Pos       { return n.P }
func (n *Next) Pos() Pos        { return n.P }
func (n *Function) Pos() Pos    { return n.P }

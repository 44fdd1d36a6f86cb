package rdata

import (
	"fmt"
	"math"
)

// Type is an R SEXPTYPE.
type Type uint8

// The SEXPTYPEs of R (Rinternals.h).
const (
	NILSXP     Type = 0
	SYMSXP     Type = 1
	LISTSXP    Type = 2
	CLOSXP     Type = 3
	ENVSXP     Type = 4
	PROMSXP    Type = 5
	LANGSXP    Type = 6
	SPECIALSXP Type = 7
	BUILTINSXP Type = 8
	CHARSXP    Type = 9
	LGLSXP     Type = 10
	INTSXP     Type = 13
	REALSXP    Type = 14
	CPLXSXP    Type = 15
	STRSXP     Type = 16
	DOTSXP     Type = 17
	ANYSXP     Type = 18
	VECSXP     Type = 19
	EXPRSXP    Type = 20
	BCODESXP   Type = 21
	EXTPTRSXP  Type = 22
	WEAKREFSXP Type = 23
	RAWSXP     Type = 24
	S4SXP      Type = 25
)

var typeNames = map[Type]string{
	NILSXP: "NULL", SYMSXP: "symbol", LISTSXP: "pairlist", CLOSXP: "closure",
	ENVSXP: "environment", PROMSXP: "promise", LANGSXP: "language", SPECIALSXP: "special",
	BUILTINSXP: "builtin", CHARSXP: "char", LGLSXP: "logical", INTSXP: "integer",
	REALSXP: "double", CPLXSXP: "complex", STRSXP: "character", DOTSXP: "...",
	ANYSXP: "any", VECSXP: "list", EXPRSXP: "expression", BCODESXP: "bytecode",
	EXTPTRSXP: "externalptr", WEAKREFSXP: "weakref", RAWSXP: "raw", S4SXP: "S4",
}

// String is R's typeof() name.
func (t Type) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("SEXPTYPE(%d)", int(t))
}

// NA values as R stores them.
const (
	// NAInteger is NA_integer_ and the NA of logical vectors.
	NAInteger int32 = math.MinInt32
)

// NAReal is NA_real_: a NaN with the low word 1954.
var NAReal = math.Float64frombits(0x7FF00000000007A2)

// IsNAReal reports whether x is R's NA_real_ (as opposed to another NaN).
// R tests only the low word, as here.
func IsNAReal(x float64) bool {
	return math.IsNaN(x) && uint32(math.Float64bits(x)) == 1954
}

// Encoding is the declared encoding of an R string (CHARSXP).
type Encoding uint8

// CHARSXP encodings. EncNative is an unmarked string in the writer's native
// encoding; EncASCII is marked as ASCII (which R reads as native).
const (
	EncNative Encoding = iota
	EncUTF8
	EncLatin1
	EncBytes
	EncASCII
)

// String is one element of a character vector.
type String struct {
	S   string // the bytes, in encoding Enc
	NA  bool   // NA_character_ (S is then empty)
	Enc Encoding
}

// Str is a non-NA string, marked ASCII or UTF-8 by its content.
func Str(s string) String {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return String{S: s, Enc: EncUTF8}
		}
	}
	return String{S: s, Enc: EncASCII}
}

// Pair is one cell of a pairlist (LISTSXP, LANGSXP, DOTSXP).
type Pair struct {
	Tag   string // the tag's symbol name; "" with HasTag false when untagged
	Value *Value
	// HasTag distinguishes an untagged cell from one tagged with the
	// empty symbol (which R can hold, e.g. f(`` = 1) is refused by the
	// parser but a pairlist can still carry it).
	HasTag bool
	// Attr are the cell's own attributes; only the first cell's are the
	// object's (kept in Value.Attr), later cells rarely have any.
	Attr []Attr
}

// Attr is one attribute: a name and a value.
type Attr struct {
	Name  string
	Value *Value
}

// Env names the well-known environments and markers that R serializes
// specially; a plain environment is EnvPlain.
type Env uint8

// Environment kinds.
const (
	EnvNone          Env = iota // not an environment marker
	EnvPlain                    // an ordinary environment (contents not kept)
	EnvGlobal                   // R_GlobalEnv
	EnvEmpty                    // R_EmptyEnv
	EnvBase                     // R_BaseEnv
	EnvBaseNamespace            // R_BaseNamespace
	EnvNamespace                // a package namespace (Names holds its spec)
	EnvPackage                  // a package environment (Names holds its name)
)

// Value is a decoded R object. Which fields are used depends on Type:
//
//	NILSXP                        nothing (Attr may be set)
//	LGLSXP, INTSXP                Ints (NA is NAInteger)
//	REALSXP                       Reals
//	CPLXSXP                       Complex
//	STRSXP                        Strings
//	RAWSXP                        Raw
//	VECSXP, EXPRSXP               Elems
//	LISTSXP, LANGSXP, DOTSXP      Pairs
//	SYMSXP                        Name ("" is R_MissingArg, the empty symbol)
//	SPECIALSXP, BUILTINSXP        Name (the primitive's name)
//	ENVSXP                        Env, Names
//	CLOSXP, PROMSXP, BCODESXP,    nothing: kept only so that a caller can
//	EXTPTRSXP, WEAKREFSXP, S4SXP  say what it refused
//
// Values decoded from one stream may share *Value pointers (symbols, R's
// reference objects); treat them as immutable.
type Value struct {
	Type    Type
	Attr    []Attr
	Object  bool // R's OBJECT bit
	Levels  int  // R's gp bits (LEVELS), kept for a faithful round trip
	Ints    []int32
	Reals   []float64
	Complex []complex128
	Strings []String
	Raw     []byte
	Elems   []*Value
	Pairs   []Pair
	Name    string
	Env     Env
	Names   []string
	// Unbound marks R_UnboundValue (a SYMSXP-typed marker in the stream).
	Unbound bool
	// Tail is the CDR of an improper pairlist's last cell (R's dotted
	// pairs, as ALTREP states use them); nil for a proper list.
	Tail *Value
}

// Null is R's NULL.
func Null() *Value { return &Value{Type: NILSXP} }

// Sym is a symbol.
func Sym(name string) *Value { return &Value{Type: SYMSXP, Name: name} }

// Missing is R_MissingArg (the empty symbol of f(x, ) and of formals
// without defaults).
func Missing() *Value { return &Value{Type: SYMSXP} }

// Strings is a character vector.
func Strings(s ...string) *Value {
	v := &Value{Type: STRSXP, Strings: make([]String, len(s))}
	for i, x := range s {
		v.Strings[i] = Str(x)
	}
	return v
}

// Ints is an integer vector.
func Ints(x ...int32) *Value { return &Value{Type: INTSXP, Ints: x} }

// Reals is a double vector.
func Reals(x ...float64) *Value { return &Value{Type: REALSXP, Reals: x} }

// Logicals is a logical vector (0, 1 or NAInteger).
func Logicals(x ...int32) *Value { return &Value{Type: LGLSXP, Ints: x} }

// List is a generic vector.
func List(elems ...*Value) *Value { return &Value{Type: VECSXP, Elems: elems} }

// Call is a language object: fn applied to args (untagged).
func Call(fn *Value, args ...*Value) *Value {
	v := &Value{Type: LANGSXP, Pairs: make([]Pair, 0, 1+len(args))}
	v.Pairs = append(v.Pairs, Pair{Value: fn})
	for _, a := range args {
		v.Pairs = append(v.Pairs, Pair{Value: a})
	}
	return v
}

// Len is R's length() of the value (for the types it is defined on here).
func (v *Value) Len() int {
	switch v.Type {
	case LGLSXP, INTSXP:
		return len(v.Ints)
	case REALSXP:
		return len(v.Reals)
	case CPLXSXP:
		return len(v.Complex)
	case STRSXP:
		return len(v.Strings)
	case RAWSXP:
		return len(v.Raw)
	case VECSXP, EXPRSXP:
		return len(v.Elems)
	case LISTSXP, LANGSXP, DOTSXP:
		return len(v.Pairs)
	case NILSXP:
		return 0
	}
	return 1
}

// GetAttr returns the attribute called name, or nil.
func (v *Value) GetAttr(name string) *Value {
	for _, a := range v.Attr {
		if a.Name == name {
			return a.Value
		}
	}
	return nil
}

// Class returns the class attribute's strings (nil without one).
func (v *Value) Class() []string {
	c := v.GetAttr("class")
	if c == nil || c.Type != STRSXP {
		return nil
	}
	out := make([]string, 0, len(c.Strings))
	for _, s := range c.Strings {
		out = append(out, s.S)
	}
	return out
}

// IsMissingArg reports whether v is R_MissingArg.
func (v *Value) IsMissingArg() bool { return v.Type == SYMSXP && v.Name == "" && !v.Unbound }

package rsyntax

// tokKind is a token of R's grammar (the %token list of gram.y plus the
// single characters the grammar uses).
type tokKind uint8

const (
	tEOF       tokKind = iota // END_OF_INPUT
	tError                    // ERROR: a malformed number or %op%
	tUndefined                // a character the grammar has no token for
	tIncompleteString
	tStr
	tNum
	tNull
	tSymbol
	tPlaceholder
	tFunction
	tLambda // '\\'
	tLeftAssign
	tEqAssign
	tRightAssign
	tLBB
	tFor
	tIn
	tIf
	tElse
	tWhile
	tNext
	tBreak
	tRepeat
	tGT
	tGE
	tLT
	tLE
	tEQ
	tNE
	tAnd
	tOr
	tAnd2
	tOr2
	tNsGet
	tNsGetInt
	tSpecial
	tPipe
	tPipeBind
	tQuestion
	tTilde
	tPlus
	tMinus
	tStar
	tSlash
	tCaret
	tDollar
	tAt
	tBang
	tColon
	tLParen
	tRParen
	tLBracket
	tRBracket
	tLBrace
	tRBrace
	tComma
	tSemi
	tNewline
)

// unexpected is R's message for a syntax error at a token of this kind
// (yyerror's translation table in gram.y).
func (k tokKind) unexpected() string {
	switch k {
	case tEOF:
		return "unexpected end of input"
	case tError, tUndefined, tPlaceholder:
		return "unexpected input"
	case tIncompleteString:
		return "unexpected INCOMPLETE_STRING"
	case tStr:
		return "unexpected string constant"
	case tNum:
		return "unexpected numeric constant"
	case tSymbol:
		return "unexpected symbol"
	case tLeftAssign:
		return "unexpected assignment"
	case tNewline:
		return "unexpected end of line"
	case tSpecial:
		return "unexpected SPECIAL"
	}
	return "unexpected " + quotedName[k]
}

var quotedName = [...]string{
	tNull:        "'NULL'",
	tFunction:    "'function'",
	tLambda:      `'\\'`,
	tEqAssign:    "'='",
	tRightAssign: "'->'",
	tLBB:         "'[['",
	tFor:         "'for'",
	tIn:          "'in'",
	tIf:          "'if'",
	tElse:        "'else'",
	tWhile:       "'while'",
	tNext:        "'next'",
	tBreak:       "'break'",
	tRepeat:      "'repeat'",
	tGT:          "'>'",
	tGE:          "'>='",
	tLT:          "'<'",
	tLE:          "'<='",
	tEQ:          "'=='",
	tNE:          "'!='",
	tAnd:         "'&'",
	tOr:          "'|'",
	tAnd2:        "'&&'",
	tOr2:         "'||'",
	tNsGet:       "'::'",
	tNsGetInt:    "':::'",
	tPipe:        "'|>'",
	tPipeBind:    "'=>'",
	tQuestion:    "'?'",
	tTilde:       "'~'",
	tPlus:        "'+'",
	tMinus:       "'-'",
	tStar:        "'*'",
	tSlash:       "'/'",
	tCaret:       "'^'",
	tDollar:      "'$'",
	tAt:          "'@'",
	tBang:        "'!'",
	tColon:       "':'",
	tLParen:      "'('",
	tRParen:      "')'",
	tLBracket:    "'['",
	tRBracket:    "']'",
	tLBrace:      "'{'",
	tRBrace:      "'}'",
	tComma:       "','",
	tSemi:        "';'",
	tNewline:     "end of line",
}

// token is one lexeme with R's start position.
type token struct {
	kind tokKind
	pos  Pos
	// val is the decoded value: the name of a symbol (after backtick
	// escapes), the value of a string, the R function an operator calls
	// ("<-" for "->"), the text of a number or keyword constant.
	val    string
	num    NumType
	quoted bool // a backtick name, or a raw string
	konst  bool // a keyword constant (TRUE, NA, Inf, ...), kind tNum
}

// set overwrites t field by field: assigning a token literal builds it on
// the stack first and copies it, which stalls on the partial writes.
func (t *token) set(k tokKind, p Pos, val string) {
	t.kind, t.pos, t.val = k, p, val
	t.num, t.quoted, t.konst = NumDouble, false, false
}

// Binary operator precedence levels from gram.y's declarations (higher
// binds tighter). Levels that only unary rules use are listed too.
const (
	precHelp      = 1  // '?'
	precLow       = 2  // function, for, while, repeat bodies
	precIf        = 3  // IF (right)
	precElse      = 4  // ELSE
	precLeftAsgn  = 5  // <- <<- := (right)
	precEqAsgn    = 6  // = (right)
	precRightAsgn = 7  // -> ->>
	precTilde     = 8  // ~
	precOr        = 9  // | ||
	precAnd       = 10 // & &&
	precNot       = 11 // unary !
	precCompare   = 12 // > >= < <= == != (non-associative)
	precSum       = 13 // + -
	precProd      = 14 // * /
	precSpecial   = 15 // %op% |>
	precPipeBind  = 16 // =>
	precColon     = 17 // :
	precUnary     = 18 // unary + -
	precPow       = 19 // ^ (right)
	precDollar    = 20 // $ @
)

// binaryPrec is the precedence of an expr-level binary operator token, 0 if
// the token is not one. Postfix '(' '[' '[[' and '$' '@' are handled apart.
func binaryPrec(k tokKind) int { return int(binaryPrecs[k]) }

// binaryPrecs is binaryPrecOf for every token kind, as a table.
var binaryPrecs = func() (t [tNewline + 1]uint8) {
	for k := range t {
		t[k] = uint8(binaryPrecOf(tokKind(k)))
	}
	return t
}()

func binaryPrecOf(k tokKind) int {
	switch k {
	case tLeftAssign:
		return precLeftAsgn
	case tRightAssign:
		return precRightAsgn
	case tTilde:
		return precTilde
	case tOr, tOr2:
		return precOr
	case tAnd, tAnd2:
		return precAnd
	case tGT, tGE, tLT, tLE, tEQ, tNE:
		return precCompare
	case tPlus, tMinus:
		return precSum
	case tStar, tSlash:
		return precProd
	case tSpecial, tPipe:
		return precSpecial
	case tPipeBind:
		return precPipeBind
	case tColon:
		return precColon
	case tCaret:
		return precPow
	}
	return 0
}

func rightAssoc(k tokKind) bool { return k == tCaret || k == tLeftAssign }

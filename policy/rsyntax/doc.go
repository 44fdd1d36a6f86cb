// Package rsyntax is a lexer and parser for the R language (R 4.2), written
// in pure Go. It is part of the static policy layer of rwarden's threat
// model: every script a client sends is parsed here before anything reaches
// R, and the policy decides on the function references found in the tree.
//
// The parser reproduces R's own parser (src/main/gram.y and ?Syntax) rather
// than an approximation of it, because a disagreement between what rwarden
// analyses and what R evaluates is a bypass:
//
//   - Tokens are produced by the same state machine as R's yylex: the
//     bracket context stack, the "eat newlines" flag that the grammar sets
//     after binary operators, `function(...)`, `if (...)`, `for (...)` and
//     `while (...)`, and the special handling of newlines before `else`
//     inside braces, brackets and parentheses (but not at top level).
//   - Operator precedence and associativity follow gram.y's declarations,
//     including the places where bison's default (shift) makes the bodies
//     of function, if, for, while and repeat extend as far as possible and
//     take a trailing `=` assignment, and comparisons being non-associative.
//   - `->` and `->>` become `<-` and `<<-` calls with swapped operands,
//     `"f"(x)` is a call of the symbol f, `x |> f(y)` becomes `f(x, y)` with
//     R 4.2's checks on the right-hand side and on the `_` placeholder, and
//     `\(x)` is `function(x)`.
//   - Strings, backtick names, raw strings and numbers are decoded exactly
//     like R does, with R's errors (nul characters, bad escapes, bidi
//     controls, Unicode escapes inside backticks, mixing \u with \x, ...)
//     and R's warnings (for example `1.5L`) recorded in File.Warnings.
//   - Identifier and blank characters outside ASCII are classified with
//     the tables glibc uses in C.UTF-8 (charclass_table.go), since that is
//     what R calls on Linux.
//   - Positions are R's: 1-based line and column of the first character,
//     where a tab advances to the next multiple of 8 and a UTF-8 character
//     counts as one column; `#line N` directives renumber the lines. These
//     are the line1/col1 values of getParseData(), and syntax errors carry
//     the line:col and message that parse() reports ("unexpected symbol",
//     "unexpected 'else'", "unexpected end of input", ...).
//
// Input is treated the way parse(text = src) treats it when src is marked
// UTF-8 (as text from a client is): a newline is appended, columns count
// characters (R counts bytes for unmarked text), and the text must be valid
// UTF-8 without nul bytes (R cannot hold a nul in a string).
//
// Where R accepts something only through undefined behaviour in its C code,
// or the parser cannot be sure what R does, Parse returns an error instead
// of guessing. The deliberate differences from R 4.2.2 are all refusals:
// 50 nested brackets (R's 50-entry context stack overflows by one before it
// reports the overflow), surrogate code points in \u escapes (R warns and
// stores bytes that are not UTF-8), invalid UTF-8 inside comments (R skips
// comments without decoding them) and #line numbers above 2^30. Options
// bound the input size and the depth of the tree (LimitError).
//
// The tests compare the parser with R itself (R installed): for every
// closure of R's base packages, deparsed, and a hand-written corpus of
// tricky syntax (testdata/tricky.txt), R's syntax errors, positions and
// messages, its warnings, the getParseData() rows naming functions and
// packages, and the parsed tree (R rebuilds Go's tree and compares it with
// identical()) must all agree.
package rsyntax

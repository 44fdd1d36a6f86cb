package rsyntax

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLimits(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		opts    Options
		wantErr string // "" when it parses
		limit   bool   // a *LimitError rather than a *SyntaxError
	}{
		{"input at the byte limit", "x + 1", Options{MaxBytes: 5}, "", false},
		{"input over the byte limit", "x + 1", Options{MaxBytes: 4}, "1:0: input is 5 bytes, more than the limit of 4", true},
		{"unary chain within depth", strings.Repeat("-", 10) + "x", Options{MaxDepth: 11}, "", false},
		{"unary chain too deep", strings.Repeat("-", 11) + "x", Options{MaxDepth: 11}, "1:12: expression nested deeper than 11", true},
		{"left chain too deep", "x" + strings.Repeat("+x", 300), Options{}, "1:1: expression nested deeper than 256", true},
		{"right chain too deep", "x" + strings.Repeat("^x", 300), Options{}, "1:511: expression nested deeper than 256", true},
		{"long flat call is fine", "c(" + strings.Repeat("1,", 5000) + "1)", Options{}, "", false},
		// R's context stack holds 50 entries; at 50 R writes past its
		// array (undefined behaviour), so rwarden stops one earlier.
		{"49 nested parentheses", strings.Repeat("(", 49) + "x" + strings.Repeat(")", 49), Options{}, "", false},
		{"50 nested parentheses", strings.Repeat("(", 50) + "x" + strings.Repeat(")", 50), Options{}, "1:50: contextstack overflow at line 1", false},
		{"48 brackets and a [[", strings.Repeat("(", 48) + "x[[1]]" + strings.Repeat(")", 48), Options{}, "1:50: contextstack overflow at line 1", false},
		{"if inside 49 braces", strings.Repeat("{", 49) + "if (a) b" + strings.Repeat("}", 49), Options{}, "1:50: contextstack overflow", false},
		{"name of 8190 bytes", strings.Repeat("a", 8190), Options{}, "", false},
		{"name of 8191 bytes", strings.Repeat("a", 8191), Options{}, "1:8191: input buffer overflow at line 1", false},
		{"backtick name of 10000 bytes", "`" + strings.Repeat("a", 10000) + "`", Options{}, "", false},
		{"backtick name of 10001 bytes", "`" + strings.Repeat("a", 10001) + "`", Options{}, "1:1: variable names are limited to 10000 bytes", false},
		{"string call name of 10001 bytes", `"` + strings.Repeat("a", 10001) + `"()`, Options{}, "1:1: variable names are limited to 10000 bytes", false},
		{"long string is fine", `"` + strings.Repeat("a", 100000) + `"`, Options{}, "", false},
		{"unicode string of 9998 characters", `"\u00e9` + strings.Repeat("a", 9997) + `"`, Options{}, "", false},
		{"unicode string of 9999 characters", `"\u00e9` + strings.Repeat("a", 9998) + `"`, Options{}, "1:1: string at line 1 containing Unicode escapes not in this locale\nis too long (max 10000 chars)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src), tt.opts)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantErr, err.Error())
			assert.Equal(t, tt.limit, errors.Is(err, ErrLimit))
			var le *LimitError
			var se *SyntaxError
			assert.True(t, errors.As(err, &le) || errors.As(err, &se), "%T", err)
		})
	}
}

func TestEncoding(t *testing.T) {
	tests := []struct {
		name, src, wantErr string
	}{
		{"nul byte", "x\x00", "1:2: nul character not allowed in R code"},
		{"invalid UTF-8", "x <- 1\ny\xff", "2:2: invalid multibyte character in parser at line 2"},
		{"truncated UTF-8", "\"\xc3\"", "1:2: invalid multibyte character in parser at line 1"},
		{"encoded surrogate", "x\xed\xa0\x80", "1:2: invalid multibyte character in parser at line 1"},
		{"surrogate escape", `"\ud800"`, `1:1: surrogate code point \ud800 in a string is not supported`},
		{"carriage return is not a space", "x\r\ny", "1:2: unexpected input"},
		{"bidi control in a string", "\"\u202e\"", `1:1: bidi formatting not allowed (line 1), use escapes instead (\u202e)`},
		{"bidi control in a raw string", "r\"(\u2066)\"", `1:1: bidi formatting not allowed (line 1), use escapes instead (\u2066)`},
		{"bidi escape is fine", `"\u202e"`, ""},
		{"glibc letter U+0345 continues a name", "a\u0345 <- 1", ""},
		{"glibc letter U+0345 starts a name", "\u0345 <- 1", ""},
		{"no-break space is not blank in glibc", "a\u00a0+1", "1:2: unexpected input"},
		{"ideographic space is blank", "a\u3000+1", ""},
		{"euro sign is not a letter", "€", "1:1: unexpected input"},
		{"Arabic-Indic digit continues a name", "a\u0661 <- 1", ""},
		{"form feed is a space", "x\f+ 1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src), Options{})
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantErr, err.Error())
		})
	}
}

func TestNumbersAndWarnings(t *testing.T) {
	tests := []struct {
		src     string
		typ     NumType
		warning string
	}{
		{"1", NumDouble, ""},
		{"1L", NumInteger, ""},
		{"0x10L", NumInteger, ""},
		{"1e3L", NumInteger, ""},
		{"2147483647L", NumInteger, ""},
		{"2147483648L", NumDouble, "1:1: non-integer value 2147483648L qualified with L; using numeric value"},
		{"1.L", NumInteger, "1:1: integer literal 1.L contains unnecessary decimal point"},
		{"1.5L", NumDouble, "1:1: integer literal 1.5L contains decimal; using numeric value"},
		{"1e-3L", NumDouble, "1:1: non-integer value 1e-3L qualified with L; using numeric value"},
		{"0x1p-2L", NumDouble, "1:1: non-integer value 0x1p-2L qualified with L; using numeric value"},
		{"1i", NumComplex, ""},
		{"0x1p3", NumDouble, ""},
		{".5", NumDouble, ""},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			f, err := Parse([]byte(tt.src), Options{})
			require.NoError(t, err)
			require.Len(t, f.Exprs, 1)
			n, ok := f.Exprs[0].(*Num)
			require.True(t, ok, "%T", f.Exprs[0])
			assert.Equal(t, tt.typ, n.Type)
			assert.Equal(t, tt.src, n.Text)
			if tt.warning == "" {
				assert.Empty(t, f.Warnings)
			} else {
				require.Len(t, f.Warnings, 1)
				assert.Equal(t, tt.warning, f.Warnings[0].String())
			}
		})
	}
}

// TestMaxInputBytes pins the ceiling that keeps Pos's int32 fields from
// overflowing: no MaxBytes lets more than MaxInputBytes through, and the
// largest line a #line directive can set still reads back exactly.
func TestMaxInputBytes(t *testing.T) {
	for _, tt := range []struct {
		name string
		max  int
		want int
	}{
		{"default", 0, DefaultMaxBytes},
		{"below the ceiling", 1 << 26, 1 << 26},
		{"at the ceiling", MaxInputBytes, MaxInputBytes},
		{"above the ceiling", 1 << 40, MaxInputBytes},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Options{MaxBytes: tt.max}.withDefaults().MaxBytes)
		})
	}
	f, err := Parse([]byte("#line 1073741824\nx\n\ty <- 1"), Options{})
	require.NoError(t, err)
	require.Len(t, f.Exprs, 2)
	assert.Equal(t, Pos{Line: 1 << 30, Col: 1}, f.Exprs[0].Pos())
	assert.Equal(t, Pos{Line: 1<<30 + 1, Col: 9}, f.Exprs[1].Pos())
}

package framed_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rwarden/rwarden/proxy/framed"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLookupEncodingNames(t *testing.T) {
	tests := []struct {
		declared string
		want     string
	}{
		{"UTF-8", "UTF-8"}, {"utf-8", "UTF-8"}, {"UTF8", "UTF-8"},
		{"ASCII", "US-ASCII"}, {"us-ascii", "US-ASCII"}, {"ANSI_X3.4-1968", "US-ASCII"},
		{"latin1", "ISO-8859-1"}, {"LATIN1", "ISO-8859-1"}, {"ISO-8859-1", "ISO-8859-1"}, {"iso8859-1", "ISO-8859-1"},
		{"windows-1252", "windows-1252"}, {"cp1252", "windows-1252"},
		{"ISO-8859-15", "ISO-8859-15"},
		{"Shift_JIS", "Shift_JIS"}, {"EUC-JP", "EUC-JP"}, {"GB18030", "GB18030"}, {"KOI8-R", "KOI8-R"},
	}
	for _, tc := range tests {
		t.Run(tc.declared, func(t *testing.T) {
			e, err := framed.LookupEncoding(tc.declared)
			require.NoError(t, err)
			assert.Equal(t, tc.want, e.Name())
			assert.Equal(t, tc.declared, e.Declared())
		})
	}
	for _, bad := range []string{"", "UTF-16", "UTF-16LE", "UTF-32", "IBM037", "nope", "UTF-8 ", strings.Repeat("a", 65)} {
		t.Run("refuse "+bad, func(t *testing.T) {
			_, err := framed.LookupEncoding(bad)
			var pe *framed.ProtocolError
			assert.ErrorAs(t, err, &pe)
		})
	}
}

func TestEncodeUnrepresentable(t *testing.T) {
	const text = "café – 中 😀\n"
	tests := []struct {
		enc  string
		want string
	}{
		{"UTF-8", text},
		{"ASCII", "caf<U+00E9> <U+2013> <U+4E2D> <U+0001F600>\n"},
		{"latin1", "caf\xe9 <U+2013> <U+4E2D> <U+0001F600>\n"},
		{"windows-1252", "caf\xe9 \x96 <U+4E2D> <U+0001F600>\n"},
		{"Shift_JIS", "caf<U+00E9> <U+2013> \x92\x86 <U+0001F600>\n"},
		{"KOI8-R", "caf<U+00E9> <U+2013> <U+4E2D> <U+0001F600>\n"},
	}
	for _, tc := range tests {
		t.Run(tc.enc, func(t *testing.T) {
			e, err := framed.LookupEncoding(tc.enc)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(e.Encode(text)))
		})
	}
}

func TestEncodeInvalidUTF8(t *testing.T) {
	for _, name := range []string{"UTF-8", "ASCII", "latin1", "windows-1252"} {
		e, err := framed.LookupEncoding(name)
		require.NoError(t, err)
		got := e.Encode("a\xffb")
		back, err := e.Decode(got)
		require.NoError(t, err, "%s: Encode must produce valid %s", name, name)
		assert.True(t, strings.HasPrefix(string(back), "a") && strings.HasSuffix(string(back), "b"))
	}
}

func TestEncodeStrict(t *testing.T) {
	tests := []struct {
		enc, text string
		ok        bool
	}{
		{"UTF-8", "中", true}, {"latin1", "é", true}, {"latin1", "中", false},
		{"ASCII", "abc", true}, {"ASCII", "é", false}, {"Shift_JIS", "日本", true}, {"Shift_JIS", "é", false},
		{"UTF-8", "\xff", false},
	}
	for _, tc := range tests {
		t.Run(tc.enc+" "+tc.text, func(t *testing.T) {
			e, err := framed.LookupEncoding(tc.enc)
			require.NoError(t, err)
			b, err := e.EncodeStrict(tc.text)
			if !tc.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			back, err := e.Decode(b)
			require.NoError(t, err)
			assert.Equal(t, tc.text, string(back))
		})
	}
}

// The <U+XXXX> rendering must be R's own: compare with what real R prints
// for the same characters in the C locale.
func TestEncodeMatchesR(t *testing.T) {
	rscript, err := exec.LookPath("Rscript")
	if err != nil {
		t.Skip("Rscript not installed")
	}
	text := "caf\u00e9 \u4e2d \U0001F600 \u00ff\u0100"
	cmd := exec.Command(rscript, "--vanilla", "-e", `cat("caf\u00e9 \u4e2d \U0001F600 \u00ff\u0100")`)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	out, err := cmd.Output()
	require.NoError(t, err)
	ascii, err := framed.LookupEncoding("ASCII")
	require.NoError(t, err)
	assert.Equal(t, string(out), string(ascii.Encode(text)))
}

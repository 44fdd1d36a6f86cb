package rdata_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/internal/testutil"
	"github.com/rwarden/rwarden/proxy/rdata"
)

// streamCheck runs an AssignStream over b and returns the name, what it
// passed on and its error.
func streamCheck(b []byte) (string, []byte, error) {
	s := rdata.NewAssignStream(bytes.NewReader(b), int64(len(b)))
	name, err := s.Name()
	if err != nil {
		return "", nil, err
	}
	var out bytes.Buffer
	err = s.Rest(&out)
	return name, out.Bytes(), err
}

// TestAssignStreamRealR: serializations of list(name, value) written by
// real R (xdr and native binary, versions 2 and 3, as RSclient's RS.assign
// writes them) are passed on byte for byte when the value is data, and
// refused with ErrNotData when it is not; the decoder agrees on each.
func TestAssignStreamRealR(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, expr string
		data       bool
	}{
		{"double", `rnorm(1000)`, true},
		{"data_frame", `data.frame(a = rnorm(50), b = letters[rep(1:25, 2)], c = seq_len(50), f = factor(rep(c("x", "y"), 25)), stringsAsFactors = FALSE)`, true},
		{"compact_seq", `1:100000`, true},
		{"compact_real", `as.double(1:10)`, true},
		{"deferred_string", `as.character(1:20)`, true},
		{"wrapper", `sort(c(3, 1, 2))`, true},
		{"nested_list", `list(a = list(b = list(c = 1L)), m = matrix(1:6, 2), NULL, TRUE, 1i, as.raw(1:3), NA_character_)`, true},
		{"pairlist", `pairlist(a = 1, b = "x")`, true},
		{"utf8_names", `structure(1:2, names = c("\u00e9t\u00e9", "b"))`, true},
		{"function", `function(x) x`, false},
		{"environment", `new.env()`, false},
		{"call", `quote(f(x))`, false},
		{"formula", `y ~ x`, false},
		{"symbol", `as.name("x")`, false},
		{"in_attribute", `structure(1, f = function() 1)`, false},
		{"s4", `methods::new("numeric")`, true},
		{"s4_class", `methods::getClass("numeric")`, false},
		{"expression", `expression(1 + 1)`, false},
	}
	var script strings.Builder
	for _, c := range cases {
		for _, form := range []struct {
			suffix string
			args   string
		}{{"x2", "version = 2L"}, {"x3", "version = 3L"}, {"b3", "version = 3L, xdr = FALSE"}} {
			script.WriteString("writeBin(serialize(list(\"v_" + c.name + "\", " + c.expr + "), NULL, " + form.args + "), \"" + c.name + "_" + form.suffix + ".bin\")\n")
		}
	}
	// A symbol as the name, as list(as.name("x"), value) writes it.
	script.WriteString(`writeBin(serialize(list(as.name("sym"), 1:3), NULL), "symname_x3.bin")` + "\n")
	testutil.RunR(t, dir, script.String())

	for _, c := range cases {
		for _, suffix := range []string{"x2", "x3", "b3"} {
			t.Run(c.name+"_"+suffix, func(t *testing.T) {
				b, err := os.ReadFile(filepath.Join(dir, c.name+"_"+suffix+".bin"))
				require.NoError(t, err)
				v, derr := rdata.Unserialize(b, rdata.Limits{})
				require.NoError(t, derr)
				decoded := rdata.CheckData(v.Elems[1])
				name, out, err := streamCheck(b)
				if !c.data {
					require.Error(t, err)
					assert.ErrorIs(t, err, rdata.ErrNotData)
					assert.Error(t, decoded, "the decoder refuses it too")
					return
				}
				require.NoError(t, err)
				assert.NoError(t, decoded)
				assert.Equal(t, "v_"+c.name, name)
				assert.Equal(t, b, out, "passed on byte for byte")
			})
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "symname_x3.bin"))
	require.NoError(t, err)
	name, out, err := streamCheck(b)
	require.NoError(t, err)
	assert.Equal(t, "sym", name)
	assert.Equal(t, b, out)
}

// TestAssignStreamRefuses: malformed and hostile streams are refused
// without allocating what they announce, and nothing after the point of
// refusal is passed on.
func TestAssignStreamRefuses(t *testing.T) {
	// The items below are words; a string is its length and its bytes
	// (R's XDR has no padding), so the names used are 4 bytes long.
	w4 := func(s string) uint32 { return uint32(s[0])<<24 | uint32(s[1])<<16 | uint32(s[2])<<8 | uint32(s[3]) }
	xdr := func(words ...uint32) []byte {
		b := []byte("X\n")
		for _, w := range words {
			b = append(b, byte(w>>24), byte(w>>16), byte(w>>8), byte(w))
		}
		return b
	}
	head := []uint32{2, 0x040202, 0x020300}
	name := []uint32{16, 1, 0x40009, 4, w4("xxxx")} // "xxxx" as STRSXP of one CHARSXP
	list := func(n uint32, rest ...uint32) []byte {
		w := append(append([]uint32{}, head...), 19, n)
		w = append(w, name...)
		return xdr(append(w, rest...)...)
	}
	sym := func(s string) []uint32 { return []uint32{1, 0x40009, 4, w4(s)} }
	altrep := func(class, pkg string, state ...uint32) []uint32 {
		w := []uint32{238, 2}
		w = append(w, sym(class)...)
		w = append(w, 2)
		w = append(w, sym(pkg)...)
		w = append(w, 2, 13, 1, 13, 254)
		w = append(w, state...)
		return append(w, 254) // attributes
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, rdata.ErrFormat},
		{"ascii format", []byte("A\n2\n"), rdata.ErrFormat},
		{"not a list", xdr(append(head, 14, 1, 0, 0)...), rdata.ErrFormat},
		{"list of one", list(1), rdata.ErrFormat},
		{"huge vector", list(2, 14, 0x7fffffff), rdata.ErrFormat},
		{"long vector", list(2, 14, 0xffffffff, 0x10000, 0), rdata.ErrFormat},
		{"truncated", list(2, 14, 2, 0), rdata.ErrFormat},
		{"trailing bytes", list(2, 254, 0), rdata.ErrFormat},
		{"reference to nothing", list(2, 19|1<<9, 0, 0x402, 0xff|7<<8, 254, 254), rdata.ErrFormat},
		{"closure", list(2, 3, 254, 254, 254), rdata.ErrNotData},
		{"environment", list(2, 4, 0), rdata.ErrNotData},
		{"global env", list(2, 253), rdata.ErrNotData},
		{"s4 bit", list(2, 14|16<<12, 0), rdata.ErrNotData},
		{"improper pairlist", list(2, 2, 254, 14, 0), rdata.ErrNotData},
		{"altrep of a package", list(2, altrep("cls1", "pkg1", 254)...), rdata.ErrNotData},
		{"altrep class not of base", list(2, altrep("cls1", "base", 254)...), rdata.ErrNotData},
		{"reference in data", list(2, 19, 2, 254, 0xff|1<<8), rdata.ErrNotData},
		{"deep nesting", list(2, nested(300)...), rdata.ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := streamCheck(tt.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

// nested is a list in a list ... n deep.
func nested(n int) []uint32 {
	var w []uint32
	for range n {
		w = append(w, 19, 1)
	}
	return append(w, 254)
}

// TestAssignStreamStopsAtRefusal: what follows a refused item is neither
// read nor passed on, and a failing writer stops the check.
func TestAssignStreamStopsAtRefusal(t *testing.T) {
	in := []byte("X\n")
	for _, w := range []uint32{2, 0x040202, 0x020300, 19, 2, 16, 1, 0x40009, 4, 0x78787878, 3, 254, 254, 254} {
		in = append(in, byte(w>>24), byte(w>>16), byte(w>>8), byte(w))
	}
	in = append(in, make([]byte, 1000)...)
	s := rdata.NewAssignStream(bytes.NewReader(in), int64(len(in)))
	_, err := s.Name()
	require.NoError(t, err)
	var out bytes.Buffer
	err = s.Rest(&out)
	assert.ErrorIs(t, err, rdata.ErrNotData)
	assert.LessOrEqual(t, out.Len(), len(in)-1000, "nothing past the closure's header")

	b, _ := os.ReadFile(filepath.Join("testdata", "seed_dbl_v3.bin"))
	require.NotEmpty(t, b)
	s = rdata.NewAssignStream(bytes.NewReader(in), int64(len(in)))
	_, err = s.Name()
	require.NoError(t, err)
	err = s.Rest(failingWriter{})
	require.Error(t, err)
	assert.False(t, errors.Is(err, rdata.ErrFormat) || errors.Is(err, rdata.ErrNotData), "a write error is not the stream's fault: %v", err)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

// FuzzAssignStream: any bytes are refused with ErrFormat or ErrNotData or
// passed on unchanged, and what is passed on decodes to a list whose value
// is data.
func FuzzAssignStream(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, out, err := streamCheck(b)
		if err != nil {
			if !errors.Is(err, rdata.ErrFormat) && !errors.Is(err, rdata.ErrNotData) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if !bytes.Equal(out, b) {
			t.Fatal("passed on bytes differ")
		}
		v, err := rdata.Unserialize(b, rdata.Limits{MaxExpand: 1 << 30})
		if err != nil {
			return // the decoder's own limits (ALTREP expansion) may refuse more
		}
		for _, e := range v.Elems[1:] {
			if err := rdata.CheckData(e); err != nil {
				t.Fatalf("accepted a value the decoder calls not data: %v", err)
			}
		}
	})
}

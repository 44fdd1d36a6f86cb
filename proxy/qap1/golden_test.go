package qap1_test

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/rwarden/rwarden/proxy/rdata"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// The QAP encoding of representative values, byte for byte (RSclient's
// decoder is the judge in TestEncodeSEXPDecodedByRSclient; this file pins
// the bytes so that a change shows in review).
func TestEncodeGolden(t *testing.T) {
	named := func(v *rdata.Value, names ...string) *rdata.Value {
		v.Attr = append(v.Attr, rdata.Attr{Name: "names", Value: rdata.Strings(names...)})
		return v
	}
	factor := rdata.Ints(1, 2, 1)
	factor.Attr = []rdata.Attr{{Name: "levels", Value: rdata.Strings("a", "b")}, {Name: "class", Value: rdata.Strings("factor")}}
	cases := []struct {
		name string
		v    *rdata.Value
	}{
		{"NULL", rdata.Null()},
		{"integer with NA and names", named(rdata.Ints(1, rdata.NAInteger), "x", "y")},
		{"double with NA", rdata.Reals(1.5, rdata.NAReal)},
		{"logical with NA (count, 0xff padding)", rdata.Logicals(1, 0, rdata.NAInteger)},
		{"strings with NA, empty and a leading 0xff", &rdata.Value{Type: rdata.STRSXP, Strings: []rdata.String{rdata.Str("a"), {NA: true}, rdata.Str(""), {S: "\xffz", Enc: rdata.EncBytes}}}},
		{"raw (count, zero padding)", &rdata.Value{Type: rdata.RAWSXP, Raw: []byte{1, 2, 3, 4, 5}}},
		{"complex", &rdata.Value{Type: rdata.CPLXSXP, Complex: []complex128{complex(1, -2)}}},
		{"factor", factor},
		{"named list", named(rdata.List(rdata.Reals(1), rdata.Strings("s")), "a", "b")},
		{"tagged pairlist", &rdata.Value{Type: rdata.LISTSXP, Pairs: []rdata.Pair{{Tag: "a", HasTag: true, Value: rdata.Ints(1)}, {Value: rdata.Ints(2)}}}},
		{"call", rdata.Call(rdata.Sym("f"), rdata.Sym("x"))},
		{"closure (XT_UNKNOWN)", &rdata.Value{Type: rdata.CLOSXP}},
	}
	var b strings.Builder
	for _, c := range cases {
		p, err := qap1.SEXPParam(c.v)
		require.NoError(t, err, c.name)
		fmt.Fprintf(&b, "%s\n%s\n", c.name, hex.EncodeToString(p))
	}
	path := filepath.Join("testdata", "encode.golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing; run go test -update")
	require.Equal(t, string(want), b.String(), "encoding differs from %s (run with -update if intended)", path)
}

package rdata_test

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/rwarden/rwarden/proxy/rdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// xdr builds a version 2 XDR stream from 32-bit words (and raw byte runs).
func xdr(words ...any) []byte {
	b := []byte("X\n")
	for _, w := range []int32{2, 0x040202, 0x020300} {
		b = binary.BigEndian.AppendUint32(b, uint32(w))
	}
	for _, w := range words {
		switch w := w.(type) {
		case int:
			b = binary.BigEndian.AppendUint32(b, uint32(int32(w)))
		case uint32:
			b = binary.BigEndian.AppendUint32(b, w)
		case string:
			b = append(b, w...)
		}
	}
	return b
}

func seed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestUnserializeValues(t *testing.T) {
	v, err := rdata.Unserialize(seed(t, "seed_str_v3.bin"), rdata.Limits{})
	require.NoError(t, err)
	require.Equal(t, rdata.STRSXP, v.Type)
	require.Len(t, v.Strings, 3)
	assert.Equal(t, rdata.String{S: "a", Enc: rdata.EncASCII}, v.Strings[0])
	assert.True(t, v.Strings[1].NA)
	assert.Equal(t, rdata.String{S: "\u00e9", Enc: rdata.EncUTF8}, v.Strings[2])

	v, err = rdata.Unserialize(seed(t, "seed_altrep_v3.bin"), rdata.Limits{})
	require.NoError(t, err)
	require.Equal(t, rdata.INTSXP, v.Type)
	require.Len(t, v.Ints, 100)
	assert.Equal(t, int32(1), v.Ints[0])
	assert.Equal(t, int32(100), v.Ints[99])

	v, err = rdata.Unserialize(seed(t, "seed_df_v2.bin"), rdata.Limits{})
	require.NoError(t, err)
	assert.Equal(t, []string{"data.frame"}, v.Class())
	assert.True(t, v.Object)

	v, h, err := rdata.UnserializeHeader(seed(t, "seed_call_b3.bin"), rdata.Limits{})
	require.NoError(t, err)
	assert.Equal(t, byte('B'), h.Format)
	assert.Equal(t, 3, h.Version)
	assert.Equal(t, "UTF-8", h.NativeEncoding)
	assert.Equal(t, rdata.LANGSXP, v.Type)
}

// Hostile streams: every one must be an ErrFormat error, quickly, with no
// large allocation.
func TestUnserializeHostile(t *testing.T) {
	deep := xdr()
	for range 10000 {
		deep = binary.BigEndian.AppendUint32(deep, 19) // VECSXP
		deep = binary.BigEndian.AppendUint32(deep, 1)
	}
	deep = binary.BigEndian.AppendUint32(deep, 254)
	compact := func(n float64) []byte {
		// ALTREP compact_intseq (n, 1, 1) written by hand.
		b := xdr(238, 2, 1, 0x00040009, 14, "compact_intseq", 2, 1, 0x00040009, 4, "base", 2, 13, 1, 13, 254, 14, 3)
		for _, x := range []float64{n, 1, 1} {
			b = binary.BigEndian.AppendUint64(b, mathFloat64bits(x))
		}
		return append(b, 0, 0, 0, 254)
	}
	v, err := rdata.Unserialize(compact(5), rdata.Limits{})
	require.NoError(t, err, "the hand-written compact sequence must be valid")
	require.Equal(t, []int32{1, 2, 3, 4, 5}, v.Ints)
	cases := map[string][]byte{
		"empty":                nil,
		"no format":            []byte("Z\n"),
		"ascii format":         []byte("A\n2\n"),
		"version 4":            append([]byte("X\n"), 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0),
		"truncated header":     []byte("X\n\x00\x00\x00\x02\x00"),
		"int vector too long":  xdr(13, 0x7fffffff, 1),
		"negative length":      xdr(13, -5),
		"long vector upper":    xdr(14, -1, 70000, 0),
		"long vector too long": xdr(14, -1, 1, 0),
		"string too long":      xdr(16, 1, 9, 1000000, "abc"),
		"string elem not char": xdr(16, 1, 13, 1, 5),
		"ref before def":       xdr(255 | 5<<8),
		"ref zero":             xdr(255, 0),
		"nesting bomb":         deep,
		"unknown type":         xdr(99),
		"persistent":           xdr(247, 0, 1, 9, 1, "x"),
		"class ref":            xdr(246),
		"trailing garbage":     append(xdr(254), 1, 2, 3, 4),
		"pairlist truncated":   xdr(2, 13, 1, 5),
		"attr not pairlist":    xdr(13|1<<9, 0, 13, 0),
		"tag not symbol":       xdr(2|1<<10, 13, 0, 254, 254),
		"compact 1e15":         compact(1e15),
		"compact fraction":     compact(2.5),
		"compact negative":     compact(-1),
		"huge raw":             xdr(24, 0x7ffffff0),
		"env truncated":        xdr(4, 0),
		"primitive name long":  xdr(8, 100000),
		"bytecode reps bomb":   xdr(21, 0x7fffffff),
		"namespace bad":        xdr(249, 1),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			v, err := rdata.Unserialize(data, rdata.Limits{})
			assert.ErrorIs(t, err, rdata.ErrFormat, "decoded to %+v", v)
		})
	}
}

// Every prefix of a valid stream is an error, never a panic.
func TestUnserializeTruncated(t *testing.T) {
	for _, name := range []string{"seed_df_v3.bin", "seed_closure_v3.bin", "seed_bytecode_v3.bin", "seed_deferred_v3.bin", "seed_env_v2.bin"} {
		data := seed(t, name)
		_, err := rdata.Unserialize(data, rdata.Limits{})
		require.NoError(t, err, name)
		for n := range len(data) {
			_, err := rdata.Unserialize(data[:n], rdata.Limits{})
			require.ErrorIs(t, err, rdata.ErrFormat, "%s cut at %d", name, n)
		}
	}
}

func TestUnserializeLimits(t *testing.T) {
	_, err := rdata.Unserialize(seed(t, "seed_altrep_v3.bin"), rdata.Limits{MaxExpand: 99})
	assert.ErrorIs(t, err, rdata.ErrFormat)
	_, err = rdata.Unserialize(seed(t, "seed_altrep_v3.bin"), rdata.Limits{MaxExpand: 100})
	assert.NoError(t, err)
	_, err = rdata.Unserialize(seed(t, "seed_df_v3.bin"), rdata.Limits{MaxDepth: 2})
	assert.ErrorIs(t, err, rdata.ErrFormat)
}

func mathFloat64bits(x float64) uint64 { return math.Float64bits(x) }

// Serialize writes what R's serialize(version = 2) wrote for the seeds
// (made by R; see testdata): byte for byte, without needing R.
func TestSerializeMatchesRSeeds(t *testing.T) {
	for _, name := range []string{"int", "altrep", "dbl", "str", "df", "factor", "call", "fun", "deferred",
		"wrap", "cplx", "raw", "expr", "pairlist", "sym"} {
		want := seed(t, "seed_"+name+"_v2.bin")
		v, err := rdata.Unserialize(want, rdata.Limits{})
		require.NoError(t, err, name)
		got, err := rdata.Serialize(v)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
		v3, err := rdata.Unserialize(seed(t, "seed_"+name+"_v3.bin"), rdata.Limits{})
		require.NoError(t, err, name)
		assert.True(t, rdata.EqualLang(v, v3), "%s: version 3 decodes to another value than version 2", name)
	}
}

package qap1_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/rwarden/rwarden/proxy/qap1"
	"github.com/rwarden/rwarden/proxy/rdata"
)

func sexpSeeds() [][]byte {
	vals := []*rdata.Value{
		rdata.Null(), rdata.Ints(1, 2, rdata.NAInteger), rdata.Reals(1.5, rdata.NAReal),
		rdata.Logicals(1, 0, rdata.NAInteger), rdata.Strings("a", "", "\xffb"),
		{Type: rdata.RAWSXP, Raw: []byte{1, 2, 3}},
		rdata.List(rdata.Ints(1), rdata.Strings("x")),
		rdata.Call(rdata.Sym("f"), rdata.Sym("x"), rdata.Reals(2)),
		{Type: rdata.LISTSXP, Pairs: []rdata.Pair{{Tag: "a", HasTag: true, Value: rdata.Ints(1)}}},
		{Type: rdata.INTSXP, Ints: []int32{1, 2}, Attr: []rdata.Attr{{Name: "names", Value: rdata.Strings("a", "b")}}},
	}
	var out [][]byte
	for _, v := range vals {
		b, err := qap1.EncodeSEXP(v)
		if err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzDecodeSEXP: any bytes decode to a value or an ErrProtocol error;
// what decodes re-encodes and decodes again to an equal value.
func FuzzDecodeSEXP(f *testing.F) {
	for _, s := range sexpSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := qap1.DecodeSEXP(data, qap1.DecodeOptions{})
		if err != nil {
			if !errors.Is(err, qap1.ErrProtocol) {
				t.Fatalf("error outside ErrProtocol: %v", err)
			}
			return
		}
		_ = rdata.CheckData(v)
		_, _ = rdata.Deparse(v)
		enc, err := qap1.EncodeSEXP(v)
		if err != nil {
			t.Fatalf("a decoded value does not encode: %v", err)
		}
		back, err := qap1.DecodeSEXP(enc, qap1.DecodeOptions{})
		if err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
		if !rdata.EqualLang(v, back) {
			t.Fatalf("value changed in an encode/decode round trip")
		}
	})
}

// FuzzParseParams: parameters always lie within the payload.
func FuzzParseParams(f *testing.F) {
	f.Add(qap1.StringParam("1+1"))
	f.Add(append(qap1.StringParam("x"), qap1.IntParam(3)...))
	f.Add(qap1.BytesParam([]byte{1, 2, 3, 4, 5}))
	for _, s := range sexpSeeds() {
		f.Add(append(qap1.AppendParamHead(nil, qap1.DtSexp, len(s)), s...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := qap1.ParseParams(data)
		if err != nil {
			if !errors.Is(err, qap1.ErrProtocol) {
				t.Fatalf("error outside ErrProtocol: %v", err)
			}
			return
		}
		total := 0
		for _, p := range ps {
			total += len(p.Data)
			if p.Type&qap1.DtLarge != 0 {
				t.Fatalf("DT_LARGE left in a parameter type")
			}
			_ = p.String()
		}
		if total > len(data) {
			t.Fatalf("parameters hold %d bytes of a %d-byte payload", total, len(data))
		}
	})
}

// FuzzReadMessage: a header and payload reader never allocates beyond the
// limit nor accepts a truncated message.
func FuzzReadMessage(f *testing.F) {
	f.Add(qap1.Message(qap1.CmdEval, 0, qap1.StringParam("1+1")))
	f.Add(qap1.Message(qap1.CmdSerEval, 5, []byte("X\n")))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		h, err := qap1.ReadHeader(r)
		if err != nil {
			return
		}
		p, err := qap1.ReadPayload(r, h, 1<<16)
		if err != nil {
			if !errors.Is(err, qap1.ErrProtocol) && !errors.Is(err, qap1.ErrTooLarge) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if int64(len(p)) != h.Len || len(p) > len(data)-qap1.HeaderSize {
			t.Fatalf("payload of %d bytes for a header saying %d", len(p), h.Len)
		}
	})
}

package qap1

import (
	"bytes"
	"encoding/binary"
	"math"
	"unicode/utf8"

	"github.com/rwarden/rwarden/proxy/rdata"
)

// StringEncoding is how a client's strings are to be read (CMD_setEncoding).
type StringEncoding uint8

// String encodings a session can be set to.
const (
	EncodingUTF8   StringEncoding = iota // "utf8" and "native" (rwarden's R runs in UTF-8)
	EncodingLatin1                       // "latin1"
)

// DecodeOptions bound SEXP decoding.
type DecodeOptions struct {
	MaxDepth int // nesting of items (default 128)
	Encoding StringEncoding
}

type sexpDecoder struct {
	opt   DecodeOptions
	depth int
}

// DecodeSEXP decodes the SEXP at the start of data (a DT_SEXP parameter's
// data) into an rdata value, as Rserve's QAP_decode would build it in R.
// Types that carry no data a client may send (closures, XT_UNKNOWN, the
// retired XT_ARRAY_BOOL_UA) are errors.
func DecodeSEXP(data []byte, opt DecodeOptions) (*rdata.Value, error) {
	if opt.MaxDepth <= 0 {
		opt.MaxDepth = 128
	}
	d := &sexpDecoder{opt: opt}
	v, _, err := d.item(data)
	return v, err
}

// item decodes one item from the start of b and returns it with the
// number of bytes it took.
func (d *sexpDecoder) item(b []byte) (*rdata.Value, int, error) {
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > d.opt.MaxDepth {
		return nil, 0, protoErr("SEXP nested deeper than %d levels", d.opt.MaxDepth)
	}
	if len(b) < 4 {
		return nil, 0, protoErr("truncated SEXP header")
	}
	head := binary.LittleEndian.Uint32(b)
	ty := int(head & 0xff)
	n := uint64(head >> 8)
	hs := 4
	if ty&XtLarge != 0 {
		if len(b) < 8 {
			return nil, 0, protoErr("truncated large SEXP header")
		}
		n |= uint64(binary.LittleEndian.Uint32(b[4:])) << 24
		ty &^= XtLarge
		hs = 8
	}
	if n > uint64(len(b)-hs) {
		return nil, 0, protoErr("SEXP of %d bytes, but %d remain", n, len(b)-hs)
	}
	body := b[hs : hs+int(n)]
	total := hs + int(n)

	var attrs []rdata.Attr
	if ty&XtHasAttr != 0 {
		ty &^= XtHasAttr
		a, used, err := d.item(body)
		if err != nil {
			return nil, 0, err
		}
		if attrs, err = attributes(a); err != nil {
			return nil, 0, err
		}
		body = body[used:]
	}
	v, err := d.body(ty, body)
	if err != nil {
		return nil, 0, err
	}
	if len(attrs) > 0 {
		if v.Type == rdata.NILSXP {
			return nil, 0, protoErr("NULL with attributes")
		}
		v.Attr = attrs
		v.Object = v.GetAttr("class") != nil
	}
	return v, total, nil
}

func attributes(a *rdata.Value) ([]rdata.Attr, error) {
	switch a.Type {
	case rdata.NILSXP:
		return nil, nil
	case rdata.LISTSXP:
	default:
		return nil, protoErr("attributes are a %s, not a tagged list", a.Type)
	}
	out := make([]rdata.Attr, len(a.Pairs))
	for i, p := range a.Pairs {
		if !p.HasTag || p.Tag == "" {
			return nil, protoErr("attribute %d has no name", i+1)
		}
		out[i] = rdata.Attr{Name: p.Tag, Value: p.Value}
	}
	return out, nil
}

func (d *sexpDecoder) body(ty int, b []byte) (*rdata.Value, error) {
	switch ty {
	case XtNull:
		return rdata.Null(), nil
	case XtInt, XtArrayInt:
		if len(b)%4 != 0 {
			return nil, protoErr("integer array of %d bytes", len(b))
		}
		v := &rdata.Value{Type: rdata.INTSXP, Ints: make([]int32, len(b)/4)}
		for i := range v.Ints {
			v.Ints[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return v, nil
	case XtDouble, XtArrayDouble:
		if len(b)%8 != 0 {
			return nil, protoErr("double array of %d bytes", len(b))
		}
		v := &rdata.Value{Type: rdata.REALSXP, Reals: make([]float64, len(b)/8)}
		for i := range v.Reals {
			v.Reals[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return v, nil
	case XtArrayCplx:
		if len(b)%16 != 0 {
			return nil, protoErr("complex array of %d bytes", len(b))
		}
		v := &rdata.Value{Type: rdata.CPLXSXP, Complex: make([]complex128, len(b)/16)}
		for i := range v.Complex {
			re := math.Float64frombits(binary.LittleEndian.Uint64(b[16*i:]))
			im := math.Float64frombits(binary.LittleEndian.Uint64(b[16*i+8:]))
			v.Complex[i] = complex(re, im)
		}
		return v, nil
	case XtArrayBool, XtRaw:
		if len(b) < 4 {
			return nil, protoErr("array without its count")
		}
		n := uint64(binary.LittleEndian.Uint32(b))
		if n > uint64(len(b)-4) {
			return nil, protoErr("count %d exceeds the %d bytes of its item", n, len(b)-4)
		}
		data := b[4 : 4+n]
		if ty == XtRaw {
			return &rdata.Value{Type: rdata.RAWSXP, Raw: bytes.Clone(data)}, nil
		}
		v := &rdata.Value{Type: rdata.LGLSXP, Ints: make([]int32, n)}
		for i, c := range data {
			switch c {
			case boolTrue:
				v.Ints[i] = 1
			case boolFalse:
				v.Ints[i] = 0
			default:
				v.Ints[i] = rdata.NAInteger
			}
		}
		return v, nil
	case XtBool:
		if len(b) < 1 {
			return nil, protoErr("empty boolean")
		}
		x := rdata.NAInteger
		if b[0] <= boolTrue {
			x = int32(b[0])
		}
		return rdata.Logicals(x), nil
	case XtArrayStr:
		return d.strings(b), nil
	case XtStr:
		s := d.text(cstring(b))
		return &rdata.Value{Type: rdata.STRSXP, Strings: []rdata.String{s}}, nil
	case XtSymName, XtSym:
		name := cstring(b)
		if name == "" {
			return rdata.Missing(), nil
		}
		if d.opt.Encoding == EncodingLatin1 {
			name, _ = d.text(name).UTF8()
		}
		return rdata.Sym(name), nil
	case XtVector, XtVectorExp, XtVectorStr:
		t := rdata.VECSXP
		if ty == XtVectorExp {
			t = rdata.EXPRSXP
		}
		v := &rdata.Value{Type: t}
		for len(b) > 0 {
			e, used, err := d.item(b)
			if err != nil {
				return nil, err
			}
			v.Elems = append(v.Elems, e)
			b = b[used:]
		}
		if ty == XtVectorStr {
			return stringsOf(v)
		}
		return v, nil
	case XtListNoTag, XtListTag, XtLangNoTag, XtLangTag:
		return d.pairlist(ty, b)
	case XtS4:
		return &rdata.Value{Type: rdata.S4SXP}, nil
	}
	return nil, protoErr("SEXP type %d cannot be sent to rwarden", ty)
}

// strings decodes XT_ARRAY_STR: NUL-terminated strings, NA as "\xff",
// a leading 0xff doubled, and 0x01 padding after the last NUL.
func (d *sexpDecoder) strings(b []byte) *rdata.Value {
	v := &rdata.Value{Type: rdata.STRSXP}
	for {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return v
		}
		s := b[:i]
		b = b[i+1:]
		switch {
		case len(s) == 1 && s[0] == 0xff:
			v.Strings = append(v.Strings, rdata.String{NA: true})
		case len(s) > 0 && s[0] == 0xff:
			v.Strings = append(v.Strings, d.text(string(s[1:])))
		default:
			v.Strings = append(v.Strings, d.text(string(s)))
		}
	}
}

func (d *sexpDecoder) text(s string) rdata.String {
	switch {
	case d.opt.Encoding == EncodingLatin1 && !isASCII(s):
		return rdata.String{S: s, Enc: rdata.EncLatin1}
	case utf8.ValidString(s):
		return rdata.Str(s)
	}
	return rdata.String{S: s, Enc: rdata.EncNative}
}

func stringsOf(v *rdata.Value) (*rdata.Value, error) {
	out := &rdata.Value{Type: rdata.STRSXP}
	for _, e := range v.Elems {
		if e.Type != rdata.STRSXP || len(e.Strings) != 1 {
			return nil, protoErr("XT_VECTOR_STR holds a %s", e.Type)
		}
		out.Strings = append(out.Strings, e.Strings[0])
	}
	return out, nil
}

func (d *sexpDecoder) pairlist(ty int, b []byte) (*rdata.Value, error) {
	t := rdata.LISTSXP
	if ty == XtLangNoTag || ty == XtLangTag {
		t = rdata.LANGSXP
	}
	tagged := ty == XtListTag || ty == XtLangTag
	v := &rdata.Value{Type: t}
	for len(b) > 0 {
		e, used, err := d.item(b)
		if err != nil {
			return nil, err
		}
		b = b[used:]
		p := rdata.Pair{Value: e}
		if tagged {
			tag, used, err := d.item(b)
			if err != nil {
				return nil, err
			}
			b = b[used:]
			switch {
			case tag.Type == rdata.NILSXP:
			case tag.Type == rdata.SYMSXP && tag.Name != "":
				p.Tag, p.HasTag = tag.Name, true
			case tag.Type == rdata.STRSXP && len(tag.Strings) == 1 && !tag.Strings[0].NA && tag.Strings[0].S != "":
				p.Tag, p.HasTag = tag.Strings[0].S, true
			case tag.IsMissingArg():
			default:
				return nil, protoErr("list tag is a %s", tag.Type)
			}
		}
		v.Pairs = append(v.Pairs, p)
	}
	if len(v.Pairs) == 0 {
		return rdata.Null(), nil
	}
	return v, nil
}

// cstring is b up to its first NUL.
func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

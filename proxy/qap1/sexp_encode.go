package qap1

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/rwarden/rwarden/proxy/rdata"
)

// largeThreshold: items whose content exceeds this use the 8-byte
// XT_LARGE header (the 24-bit length field holds at most 0xffffff).
const largeThreshold = 0xfffff0

// EncodeSEXP encodes v the way Rserve's QAP_storeSEXP does (what every
// QAP1 client decodes): arrays for vectors, XT_ARRAY_BOOL and XT_RAW with
// their count, XT_ARRAY_STR with NA as "\xff", tagged and untagged lists,
// XT_HAS_ATTR for attributes, and XT_LARGE for items over 16 MiB.
// Objects with no QAP form (closures, environments, pointers) become
// XT_UNKNOWN carrying their SEXPTYPE, as Rserve sends them.
func EncodeSEXP(v *rdata.Value) ([]byte, error) {
	e := &sexpEncoder{}
	total, err := e.measure(v, 0)
	if err != nil {
		return nil, err
	}
	e.b = make([]byte, 0, total)
	e.pos = 0
	e.write(v)
	if len(e.b) != total {
		return nil, fmt.Errorf("qap1: encoded %d bytes, measured %d", len(e.b), total)
	}
	return e.b, nil
}

// SEXPParam encodes v as a complete DT_SEXP parameter (DT_LARGE when
// needed), the payload of an eval answer.
func SEXPParam(v *rdata.Value) ([]byte, error) {
	s, err := EncodeSEXP(v)
	if err != nil {
		return nil, err
	}
	b := AppendParamHead(make([]byte, 0, 8+len(s)), DtSexp, len(s))
	return append(b, s...), nil
}

// sexpEncoder writes in two passes: measure records each item's content
// size in pre-order, write consumes them in the same order, so headers
// (and the choice of XT_LARGE) are known before contents are written.
type sexpEncoder struct {
	sizes []int
	pos   int
	b     []byte
}

func headSize(content int) int {
	if content > largeThreshold {
		return 8
	}
	return 4
}

func align4(n int) int { return (n + 3) &^ 3 }

// measure returns the full size (header included) of v's item.
func (e *sexpEncoder) measure(v *rdata.Value, depth int) (int, error) {
	if depth > 4*rdata.DefaultMaxDepth {
		return 0, fmt.Errorf("qap1: value nested too deeply to encode")
	}
	idx := len(e.sizes)
	e.sizes = append(e.sizes, 0)
	content := 0
	if len(v.Attr) > 0 && v.Type != rdata.CHARSXP {
		n, err := e.measureAttrs(v.Attr, depth)
		if err != nil {
			return 0, err
		}
		content += n
	}
	switch v.Type {
	case rdata.NILSXP, rdata.S4SXP:
	case rdata.LGLSXP:
		content += 4 + align4(len(v.Ints))
	case rdata.RAWSXP:
		content += 4 + align4(len(v.Raw))
	case rdata.INTSXP:
		content += 4 * len(v.Ints)
	case rdata.REALSXP:
		content += 8 * len(v.Reals)
	case rdata.CPLXSXP:
		content += 16 * len(v.Complex)
	case rdata.STRSXP:
		n := 0
		for _, s := range v.Strings {
			n += len(qapString(s)) + 1
		}
		content += align4(n)
	case rdata.SYMSXP:
		content += align4(len(v.Name) + 1)
	case rdata.VECSXP, rdata.EXPRSXP:
		for _, x := range v.Elems {
			n, err := e.measure(x, depth+1)
			if err != nil {
				return 0, err
			}
			content += n
		}
	case rdata.LISTSXP, rdata.LANGSXP, rdata.DOTSXP:
		tagged := hasTags(v)
		for _, p := range v.Pairs {
			n, err := e.measure(p.Value, depth+1)
			if err != nil {
				return 0, err
			}
			content += n
			if tagged {
				content += tagSize(p)
			}
		}
	default:
		content += 4 // XT_UNKNOWN: the SEXPTYPE
	}
	e.sizes[idx] = content
	return headSize(content) + content, nil
}

func (e *sexpEncoder) measureAttrs(attrs []rdata.Attr, depth int) (int, error) {
	idx := len(e.sizes)
	e.sizes = append(e.sizes, 0)
	content := 0
	for _, a := range attrs {
		n, err := e.measure(a.Value, depth+1)
		if err != nil {
			return 0, err
		}
		content += n + 4 + align4(len(a.Name)+1)
	}
	e.sizes[idx] = content
	return headSize(content) + content, nil
}

func tagSize(p rdata.Pair) int {
	if !p.HasTag {
		return 4 // XT_NULL
	}
	return 4 + align4(len(p.Tag)+1)
}

func hasTags(v *rdata.Value) bool {
	for _, p := range v.Pairs {
		if p.HasTag {
			return true
		}
	}
	return false
}

func (e *sexpEncoder) head(xt int, hasAttr bool) int {
	content := e.sizes[e.pos]
	e.pos++
	if hasAttr {
		xt |= XtHasAttr
	}
	if content > largeThreshold {
		e.b = binary.LittleEndian.AppendUint32(e.b, uint32(xt|XtLarge)|uint32(content&0xffffff)<<8)
		e.b = binary.LittleEndian.AppendUint32(e.b, uint32(uint64(content)>>24))
	} else {
		e.b = binary.LittleEndian.AppendUint32(e.b, uint32(xt)|uint32(content)<<8)
	}
	return content
}

func (e *sexpEncoder) u32(x uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, x) }

func (e *sexpEncoder) pad(n int, c byte) {
	for ; n&3 != 0; n++ {
		e.b = append(e.b, c)
	}
}

func (e *sexpEncoder) write(v *rdata.Value) {
	hasAttr := len(v.Attr) > 0
	xt := xtOf(v)
	e.head(xt, hasAttr)
	if hasAttr {
		e.writeAttrs(v.Attr)
	}
	switch v.Type {
	case rdata.NILSXP, rdata.S4SXP:
	case rdata.LGLSXP:
		e.u32(uint32(len(v.Ints)))
		for _, x := range v.Ints {
			switch x {
			case 0:
				e.b = append(e.b, boolFalse)
			case 1:
				e.b = append(e.b, boolTrue)
			default:
				e.b = append(e.b, boolNA)
			}
		}
		e.pad(len(v.Ints), 0xff)
	case rdata.RAWSXP:
		e.u32(uint32(len(v.Raw)))
		e.b = append(e.b, v.Raw...)
		e.pad(len(v.Raw), 0)
	case rdata.INTSXP:
		for _, x := range v.Ints {
			e.u32(uint32(x))
		}
	case rdata.REALSXP:
		for _, x := range v.Reals {
			e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(x))
		}
	case rdata.CPLXSXP:
		for _, x := range v.Complex {
			e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(real(x)))
			e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(imag(x)))
		}
	case rdata.STRSXP:
		n := 0
		for _, s := range v.Strings {
			q := qapString(s)
			e.b = append(e.b, q...)
			e.b = append(e.b, 0)
			n += len(q) + 1
		}
		e.pad(n, 1)
	case rdata.SYMSXP:
		e.b = append(e.b, v.Name...)
		e.b = append(e.b, 0)
		e.pad(len(v.Name)+1, 0)
	case rdata.VECSXP, rdata.EXPRSXP:
		for _, x := range v.Elems {
			e.write(x)
		}
	case rdata.LISTSXP, rdata.LANGSXP, rdata.DOTSXP:
		tagged := hasTags(v)
		for _, p := range v.Pairs {
			e.write(p.Value)
			if tagged {
				e.writeTag(p)
			}
		}
	default:
		e.u32(uint32(v.Type))
	}
}

func (e *sexpEncoder) writeAttrs(attrs []rdata.Attr) {
	e.head(XtListTag, false)
	for _, a := range attrs {
		e.write(a.Value)
		e.writeTag(rdata.Pair{Tag: a.Name, HasTag: true})
	}
}

// writeTag writes a tag as XT_SYMNAME (XT_NULL for none). Tags are not
// measured items: their size is fixed by their name.
func (e *sexpEncoder) writeTag(p rdata.Pair) {
	if !p.HasTag {
		e.u32(XtNull)
		return
	}
	n := align4(len(p.Tag) + 1)
	e.u32(uint32(XtSymName) | uint32(n)<<8)
	e.b = append(e.b, p.Tag...)
	e.b = append(e.b, 0)
	e.pad(len(p.Tag)+1, 0)
}

func xtOf(v *rdata.Value) int {
	switch v.Type {
	case rdata.NILSXP:
		return XtNull
	case rdata.LGLSXP:
		return XtArrayBool
	case rdata.RAWSXP:
		return XtRaw
	case rdata.INTSXP:
		return XtArrayInt
	case rdata.REALSXP:
		return XtArrayDouble
	case rdata.CPLXSXP:
		return XtArrayCplx
	case rdata.STRSXP:
		return XtArrayStr
	case rdata.SYMSXP:
		return XtSymName
	case rdata.VECSXP:
		return XtVector
	case rdata.EXPRSXP:
		return XtVectorExp
	case rdata.S4SXP:
		return XtS4
	case rdata.LISTSXP, rdata.DOTSXP:
		if hasTags(v) {
			return XtListTag
		}
		return XtListNoTag
	case rdata.LANGSXP:
		if hasTags(v) {
			return XtLangTag
		}
		return XtLangNoTag
	}
	return XtUnknown
}

// qapString is a string's bytes on the wire: UTF-8 (Latin-1 converted),
// "\xff" for NA, and a leading 0xff doubled so that it cannot be read as NA.
func qapString(s rdata.String) string {
	if s.NA {
		return "\xff"
	}
	t := s.S
	if s.Enc == rdata.EncLatin1 {
		t, _ = s.UTF8()
	}
	if len(t) > 0 && t[0] == 0xff {
		return "\xff" + t
	}
	return t
}

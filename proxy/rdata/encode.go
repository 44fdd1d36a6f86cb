package rdata

import (
	"encoding/binary"
	"fmt"
	"math"
)

// rVersion is the R version written into stream headers: the one the
// workers run (4.2.2), and the oldest reader of version 2 streams (2.3.0).
const (
	rVersion      = 4<<16 | 2<<8 | 2
	minReaderVer2 = 2<<16 | 3<<8 // R 2.3.0
)

// Serialize writes v as serialize(v, NULL, version = 2) would: XDR, version
// 2. It writes data (vectors, lists, pairlists, attributes, NULL), symbols,
// language objects, primitives and the global, base and empty environment
// markers; anything else (closures, other environments, promises, byte
// code, pointers, S4 objects) is an error, because rwarden never hands on
// an object it could not check.
func Serialize(v *Value) ([]byte, error) { return SerializeSized(v, 0) }

// SerializeSized is Serialize into a buffer of about sizeHint bytes (the
// size of the serialization v was decoded from, say): a large value is
// then written without growing, and copying, its buffer again and again.
func SerializeSized(v *Value, sizeHint int) ([]byte, error) {
	e := &encoder{syms: map[string]int{}}
	if sizeHint > 0 {
		e.b = make([]byte, 0, sizeHint+64)
	}
	e.b = append(e.b, 'X', '\n')
	e.int(2)
	e.int(rVersion)
	e.int(minReaderVer2)
	if err := e.item(v, 0); err != nil {
		return nil, err
	}
	return e.b, nil
}

type encoder struct {
	b    []byte
	syms map[string]int // symbol -> reference index (1-based)
	refs int
}

func (e *encoder) int(i int32) { e.b = binary.BigEndian.AppendUint32(e.b, uint32(i)) }

func (e *encoder) length(n int) {
	if n > math.MaxInt32 {
		e.int(-1)
		e.int(int32(uint64(n) >> 32))
		e.int(int32(uint32(n)))
		return
	}
	e.int(int32(n))
}

func flagsOf(t int, levels int, object, attr, tag bool) int32 {
	f := t | levels<<12
	if object {
		f |= flagObject
	}
	if attr {
		f |= flagAttr
	}
	if tag {
		f |= flagTag
	}
	return int32(f)
}

func (e *encoder) item(v *Value, depth int) error {
	if v == nil {
		return fmt.Errorf("serializing: nil value")
	}
	if depth > DefaultMaxDepth*4 {
		return fmt.Errorf("serializing: nested deeper than %d levels", DefaultMaxDepth*4)
	}
	object := v.Object || v.GetAttr("class") != nil
	hasAttr := len(v.Attr) > 0
	switch v.Type {
	case NILSXP:
		if hasAttr {
			return fmt.Errorf("serializing: NULL cannot have attributes")
		}
		e.int(sxNILVALUE)
		return nil
	case SYMSXP:
		switch {
		case v.Unbound:
			e.int(sxUNBOUNDVALUE)
		case v.Name == "":
			e.int(sxMISSINGARG)
		default:
			e.symbol(v.Name)
		}
		return nil
	case ENVSXP:
		switch v.Env {
		case EnvGlobal:
			e.int(sxGLOBALENV)
		case EnvEmpty:
			e.int(sxEMPTYENV)
		case EnvBase:
			e.int(sxBASEENV)
		case EnvBaseNamespace:
			e.int(sxBASENAMESPC)
		default:
			return fmt.Errorf("serializing: an environment cannot be handed on")
		}
		return nil
	case LISTSXP, LANGSXP, DOTSXP:
		return e.pairlist(v, object, depth)
	case SPECIALSXP, BUILTINSXP:
		e.int(flagsOf(int(v.Type), 0, false, false, false))
		e.int(int32(len(v.Name)))
		e.b = append(e.b, v.Name...)
		return nil
	}

	e.int(flagsOf(int(v.Type), v.Levels, object, hasAttr, false))
	switch v.Type {
	case LGLSXP, INTSXP:
		e.length(len(v.Ints))
		for _, x := range v.Ints {
			e.int(x)
		}
	case REALSXP:
		e.length(len(v.Reals))
		for _, x := range v.Reals {
			e.b = binary.BigEndian.AppendUint64(e.b, math.Float64bits(x))
		}
	case CPLXSXP:
		e.length(len(v.Complex))
		for _, x := range v.Complex {
			e.b = binary.BigEndian.AppendUint64(e.b, math.Float64bits(real(x)))
			e.b = binary.BigEndian.AppendUint64(e.b, math.Float64bits(imag(x)))
		}
	case STRSXP:
		e.length(len(v.Strings))
		for _, s := range v.Strings {
			e.charsxp(s)
		}
	case VECSXP, EXPRSXP:
		e.length(len(v.Elems))
		for _, x := range v.Elems {
			if err := e.item(x, depth+1); err != nil {
				return err
			}
		}
	case RAWSXP:
		e.length(len(v.Raw))
		e.b = append(e.b, v.Raw...)
	default:
		return fmt.Errorf("serializing: a %s cannot be handed on", v.Type)
	}
	if hasAttr {
		return e.attributes(v.Attr, depth)
	}
	return nil
}

func (e *encoder) symbol(name string) {
	if i, ok := e.syms[name]; ok {
		if i <= math.MaxInt32>>8 {
			e.int(int32(i<<8 | sxREF))
		} else {
			e.int(sxREF)
			e.int(int32(i))
		}
		return
	}
	e.refs++
	e.syms[name] = e.refs
	e.int(int32(SYMSXP))
	e.charsxp(Str(name))
}

func (e *encoder) charsxp(s String) {
	if s.NA {
		e.int(int32(CHARSXP))
		e.int(-1)
		return
	}
	lev := 0
	switch s.Enc {
	case EncUTF8:
		lev = levUTF8
	case EncLatin1:
		lev = levLatin1
	case EncBytes:
		lev = levBytes
	}
	if isASCII(s.S) && s.Enc != EncBytes {
		lev = levASCII
	}
	e.int(flagsOf(int(CHARSXP), lev, false, false, false))
	e.int(int32(len(s.S)))
	e.b = append(e.b, s.S...)
}

func (e *encoder) attributes(attrs []Attr, depth int) error {
	for _, a := range attrs {
		if a.Name == "" {
			return fmt.Errorf("serializing: an attribute cannot have the empty name")
		}
		e.int(flagsOf(int(LISTSXP), 0, false, false, true))
		e.symbol(a.Name)
		if err := e.item(a.Value, depth+1); err != nil {
			return err
		}
	}
	e.int(sxNILVALUE)
	return nil
}

func (e *encoder) pairlist(v *Value, object bool, depth int) error {
	if len(v.Pairs) == 0 {
		return fmt.Errorf("serializing: empty %s", v.Type)
	}
	for i, p := range v.Pairs {
		t, levels, attrs := int(LISTSXP), 0, p.Attr
		if i == 0 {
			t, levels, attrs = int(v.Type), v.Levels, v.Attr
		} else {
			object = false
		}
		e.int(flagsOf(t, levels, object, len(attrs) > 0, p.HasTag))
		if len(attrs) > 0 {
			if err := e.attributes(attrs, depth); err != nil {
				return err
			}
		}
		if p.HasTag {
			if p.Tag == "" {
				return fmt.Errorf("serializing: a pairlist tag cannot be the empty name")
			}
			e.symbol(p.Tag)
		}
		if err := e.item(p.Value, depth+1); err != nil {
			return err
		}
	}
	if v.Tail != nil {
		return e.item(v.Tail, depth+1)
	}
	e.int(sxNILVALUE)
	return nil
}

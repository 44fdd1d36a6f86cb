package rdata

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf8"
)

// Limits bound the work of decoding one stream. Zero fields take defaults.
type Limits struct {
	// MaxDepth bounds the nesting of objects (lists in lists, calls in
	// calls). The cells of a pairlist are read iteratively and do not count.
	MaxDepth int
	// MaxExpand bounds the total number of elements that ALTREP objects
	// (compact sequences, deferred strings) may expand to: 24 bytes of
	// input can describe 1:1e15.
	MaxExpand int
}

// Defaults of Limits.
const (
	DefaultMaxDepth  = 256
	DefaultMaxExpand = 1 << 24
)

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxExpand <= 0 {
		l.MaxExpand = DefaultMaxExpand
	}
	return l
}

// Header is the header of a serialization stream.
type Header struct {
	Format         byte // 'X' (XDR) or 'B' (native little-endian binary)
	Version        int  // 2 or 3
	WriterVersion  int  // R version that wrote it, packed as R_Version
	MinReader      int
	NativeEncoding string // version 3 only
}

// Special item codes of the stream (serialize.c).
const (
	sxREF          = 255
	sxNILVALUE     = 254
	sxGLOBALENV    = 253
	sxUNBOUNDVALUE = 252
	sxMISSINGARG   = 251
	sxBASENAMESPC  = 250
	sxNAMESPACE    = 249
	sxPACKAGE      = 248
	sxPERSIST      = 247
	sxCLASSREF     = 246
	sxGENERICREF   = 245
	sxBCREPDEF     = 244
	sxBCREPREF     = 243
	sxEMPTYENV     = 242
	sxBASEENV      = 241
	sxATTRLANG     = 240
	sxATTRLIST     = 239
	sxALTREP       = 238
)

// Flag bits of an item's header word.
const (
	flagObject = 1 << 8
	flagAttr   = 1 << 9
	flagTag    = 1 << 10
)

// CHARSXP encoding bits in the levels field.
const (
	levBytes  = 1 << 1
	levLatin1 = 1 << 2
	levUTF8   = 1 << 3
	levASCII  = 1 << 6
)

type decoder struct {
	r      reader
	lim    Limits
	refs   []*Value
	depth  int
	expand int
	latin1 bool  // the writer's native encoding was Latin-1
	bcReps []int // sizes of the bytecode reps tables being read
}

// Unserialize decodes one R serialization stream (all of data) into a
// value, as unserialize() would, without evaluating anything. ALTREP objects
// are expanded to ordinary vectors. Errors wrap ErrFormat.
func Unserialize(data []byte, lim Limits) (*Value, error) {
	v, _, err := UnserializeHeader(data, lim)
	return v, err
}

// UnserializeHeader is Unserialize that also returns the stream's header.
func UnserializeHeader(data []byte, lim Limits) (*Value, *Header, error) {
	d := &decoder{lim: lim.withDefaults()}
	d.expand = d.lim.MaxExpand
	d.r.b = data
	h, err := d.header()
	if err != nil {
		return nil, nil, err
	}
	v, err := d.item()
	if err != nil {
		return nil, nil, err
	}
	if d.r.remaining() != 0 {
		return nil, nil, d.r.fail("%d bytes after the end of the object", d.r.remaining())
	}
	return v, h, nil
}

func (d *decoder) header() (*Header, error) {
	if len(d.r.b) < 2 || d.r.b[1] != '\n' {
		return nil, d.r.fail("not a serialization stream (no format mark)")
	}
	h := &Header{Format: d.r.b[0]}
	switch h.Format {
	case 'X':
		d.r.order = binary.BigEndian
	case 'B':
		// Native binary: rwarden's platforms and R's clients on them are
		// little-endian.
		d.r.order = binary.LittleEndian
	case 'A':
		return nil, d.r.fail("the ASCII serialization format is not supported; use xdr")
	default:
		return nil, d.r.fail("unknown serialization format %q", h.Format)
	}
	d.r.off = 2
	var vals [3]int32
	for i := range vals {
		v, err := d.r.int32()
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	h.Version, h.WriterVersion, h.MinReader = int(vals[0]), int(vals[1]), int(vals[2])
	switch h.Version {
	case 2:
	case 3:
		n, err := d.r.int32()
		if err != nil {
			return nil, err
		}
		if n < 0 || n > 63 {
			return nil, d.r.fail("native encoding name of %d bytes", n)
		}
		b, err := d.r.bytes(int(n))
		if err != nil {
			return nil, err
		}
		h.NativeEncoding = string(b)
		switch strings.ToUpper(h.NativeEncoding) {
		case "ISO-8859-1", "LATIN1", "CP1252", "ISO8859-1":
			d.latin1 = true
		}
	default:
		return nil, d.r.fail("serialization version %d (rwarden reads 2 and 3)", h.Version)
	}
	return h, nil
}

func (d *decoder) item() (*Value, error) {
	flags, err := d.r.int32()
	if err != nil {
		return nil, err
	}
	return d.itemWithFlags(flags)
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > d.lim.MaxDepth {
		return d.r.fail("nested deeper than %d levels", d.lim.MaxDepth)
	}
	return nil
}

func (d *decoder) leave() { d.depth-- }

func (d *decoder) itemWithFlags(flags int32) (*Value, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	typ := int(flags & 0xff)
	levs := int(uint32(flags) >> 12)
	objf := flags&flagObject != 0
	hasAttr := flags&flagAttr != 0
	hasTag := flags&flagTag != 0

	switch typ {
	case sxNILVALUE:
		return &Value{Type: NILSXP}, nil
	case sxEMPTYENV:
		return &Value{Type: ENVSXP, Env: EnvEmpty}, nil
	case sxBASEENV:
		return &Value{Type: ENVSXP, Env: EnvBase}, nil
	case sxGLOBALENV:
		return &Value{Type: ENVSXP, Env: EnvGlobal}, nil
	case sxBASENAMESPC:
		return &Value{Type: ENVSXP, Env: EnvBaseNamespace}, nil
	case sxUNBOUNDVALUE:
		return &Value{Type: SYMSXP, Unbound: true}, nil
	case sxMISSINGARG:
		return Missing(), nil
	case sxREF:
		idx := int(uint32(flags) >> 8)
		if idx == 0 {
			i, err := d.r.int32()
			if err != nil {
				return nil, err
			}
			idx = int(i)
		}
		if idx < 1 || idx > len(d.refs) {
			return nil, d.r.fail("reference %d to an object not yet read (%d known)", idx, len(d.refs))
		}
		return d.refs[idx-1], nil
	case sxPERSIST:
		return nil, d.r.fail("persistent references (refhook objects) are not supported")
	case sxCLASSREF, sxGENERICREF:
		return nil, d.r.fail("class and generic references cannot be read (R cannot either)")
	case sxALTREP:
		return d.altrepItem(objf, levs)
	case int(SYMSXP):
		name, err := d.item()
		if err != nil {
			return nil, err
		}
		if name.Type != CHARSXP {
			return nil, d.r.fail("symbol name is a %s, not a string", name.Type)
		}
		s := name.Strings[0]
		sym := &Value{Type: SYMSXP, Name: d.symbolName(s)}
		d.refs = append(d.refs, sym)
		return sym, nil
	case sxPACKAGE, sxNAMESPACE:
		names, err := d.stringVec()
		if err != nil {
			return nil, err
		}
		v := &Value{Type: ENVSXP, Env: EnvNamespace, Names: names}
		if typ == sxPACKAGE {
			v.Env = EnvPackage
		}
		d.refs = append(d.refs, v)
		return v, nil
	case int(ENVSXP):
		if _, err := d.r.int32(); err != nil { // locked
			return nil, err
		}
		// Environments are kept opaque: rwarden never hands one on, and
		// keeping their contents would let a stream build cycles.
		v := &Value{Type: ENVSXP, Env: EnvPlain}
		d.refs = append(d.refs, v)
		for range 4 { // enclosure, frame, hash table, attributes
			if _, err := d.item(); err != nil {
				return nil, err
			}
		}
		return v, nil
	case int(LISTSXP), int(LANGSXP), int(DOTSXP):
		return d.pairlist(Type(typ), flags)
	case int(CLOSXP), int(PROMSXP):
		if hasAttr {
			if _, err := d.item(); err != nil {
				return nil, err
			}
		}
		if hasTag {
			if _, err := d.item(); err != nil {
				return nil, err
			}
		}
		for range 2 {
			if _, err := d.item(); err != nil {
				return nil, err
			}
		}
		return &Value{Type: Type(typ), Object: objf, Levels: levs}, nil
	}

	// The remaining types read their attributes after their contents.
	v := &Value{Type: Type(typ), Object: objf, Levels: levs}
	switch Type(typ) {
	case EXTPTRSXP:
		d.refs = append(d.refs, v)
		for range 2 { // protected value, tag
			if _, err := d.item(); err != nil {
				return nil, err
			}
		}
	case WEAKREFSXP:
		d.refs = append(d.refs, v)
	case SPECIALSXP, BUILTINSXP:
		n, err := d.r.int32()
		if err != nil {
			return nil, err
		}
		if n < 0 || n > 256 {
			return nil, d.r.fail("primitive name of %d bytes", n)
		}
		b, err := d.r.bytes(int(n))
		if err != nil {
			return nil, err
		}
		v.Name = string(b)
	case CHARSXP:
		s, err := d.charsxp(levs)
		if err != nil {
			return nil, err
		}
		v.Strings = []String{s}
		v.Levels = 0
		if hasAttr { // written by old R versions; read and ignored, as R does
			if _, err := d.item(); err != nil {
				return nil, err
			}
		}
		return v, nil
	case LGLSXP, INTSXP:
		n, err := d.r.length(4)
		if err != nil {
			return nil, err
		}
		if v.Ints, err = d.r.ints(n); err != nil {
			return nil, err
		}
	case REALSXP:
		n, err := d.r.length(8)
		if err != nil {
			return nil, err
		}
		if v.Reals, err = d.r.reals(n); err != nil {
			return nil, err
		}
	case CPLXSXP:
		n, err := d.r.length(16)
		if err != nil {
			return nil, err
		}
		parts, err := d.r.reals(2 * n)
		if err != nil {
			return nil, err
		}
		v.Complex = make([]complex128, n)
		for i := range v.Complex {
			v.Complex[i] = complex(parts[2*i], parts[2*i+1])
		}
	case STRSXP:
		n, err := d.r.length(8) // each element: flags and a length
		if err != nil {
			return nil, err
		}
		v.Strings = make([]String, n)
		for i := range v.Strings {
			f, err := d.r.int32()
			if err != nil {
				return nil, err
			}
			if f&0xff != int32(CHARSXP) {
				return nil, d.r.fail("element %d of a character vector is of type %d", i+1, f&0xff)
			}
			if v.Strings[i], err = d.charsxp(int(uint32(f) >> 12)); err != nil {
				return nil, err
			}
			if f&flagAttr != 0 {
				if _, err := d.item(); err != nil {
					return nil, err
				}
			}
		}
	case VECSXP, EXPRSXP:
		n, err := d.r.length(4)
		if err != nil {
			return nil, err
		}
		v.Elems = make([]*Value, n)
		for i := range v.Elems {
			if v.Elems[i], err = d.item(); err != nil {
				return nil, err
			}
		}
	case RAWSXP:
		n, err := d.r.length(1)
		if err != nil {
			return nil, err
		}
		b, err := d.r.bytes(n)
		if err != nil {
			return nil, err
		}
		v.Raw = bytes.Clone(b)
	case S4SXP:
	case BCODESXP:
		if err := d.bytecode(); err != nil {
			return nil, err
		}
	default:
		return nil, d.r.fail("unknown item type %d", typ)
	}
	if hasAttr {
		a, err := d.attributes()
		if err != nil {
			return nil, err
		}
		v.Attr = a
	}
	return v, nil
}

// charsxp reads the body of a CHARSXP (after its flags).
func (d *decoder) charsxp(levs int) (String, error) {
	n, err := d.r.int32()
	if err != nil {
		return String{}, err
	}
	if n == -1 {
		return String{NA: true}, nil
	}
	if n < 0 {
		return String{}, d.r.fail("string of negative length %d", n)
	}
	b, err := d.r.bytes(int(n))
	if err != nil {
		return String{}, err
	}
	s := String{S: string(b)}
	switch {
	case levs&levUTF8 != 0:
		s.Enc = EncUTF8
	case levs&levLatin1 != 0:
		s.Enc = EncLatin1
	case levs&levBytes != 0:
		s.Enc = EncBytes
	case levs&levASCII != 0:
		s.Enc = EncASCII
	case d.latin1 && !isASCII(s.S):
		// R translates unmarked strings of a Latin-1 writer; say so.
		s.Enc = EncLatin1
	}
	return s, nil
}

// symbolName is the name R would install for a symbol's print name.
func (d *decoder) symbolName(s String) string {
	if s.NA {
		return "NA"
	}
	if s.Enc == EncLatin1 {
		return latin1ToUTF8(s.S)
	}
	return s.S
}

// stringVec reads InStringVec's format: 0, a length, then CHARSXP items.
func (d *decoder) stringVec() ([]string, error) {
	z, err := d.r.int32()
	if err != nil {
		return nil, err
	}
	if z != 0 {
		return nil, d.r.fail("names of an environment reference are malformed")
	}
	n, err := d.r.length(8)
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		it, err := d.item()
		if err != nil {
			return nil, err
		}
		if it.Type != CHARSXP {
			return nil, d.r.fail("environment name is a %s", it.Type)
		}
		out[i] = it.Strings[0].S
	}
	return out, nil
}

// attributes reads an attribute pairlist: every cell tagged with a symbol.
func (d *decoder) attributes() ([]Attr, error) {
	a, err := d.item()
	if err != nil {
		return nil, err
	}
	switch a.Type {
	case NILSXP:
		return nil, nil
	case LISTSXP:
	default:
		return nil, d.r.fail("attributes are a %s, not a pairlist", a.Type)
	}
	if a.Tail != nil {
		return nil, d.r.fail("attributes are an improper pairlist")
	}
	out := make([]Attr, len(a.Pairs))
	for i, p := range a.Pairs {
		if !p.HasTag {
			return nil, d.r.fail("attribute %d has no name", i+1)
		}
		out[i] = Attr{Name: p.Tag, Value: p.Value}
	}
	return out, nil
}

// pairlist reads a LISTSXP, LANGSXP or DOTSXP, following CDRs iteratively
// so that a long pairlist does not nest.
func (d *decoder) pairlist(typ Type, flags int32) (*Value, error) {
	v := &Value{Type: typ, Object: flags&flagObject != 0, Levels: int(uint32(flags) >> 12)}
	first := true
	for {
		var p Pair
		if flags&flagAttr != 0 {
			a, err := d.attributes()
			if err != nil {
				return nil, err
			}
			if first {
				v.Attr = a
			} else {
				p.Attr = a
			}
		}
		if flags&flagTag != 0 {
			t, err := d.item()
			if err != nil {
				return nil, err
			}
			switch {
			case t.Type == SYMSXP && !t.Unbound:
				p.Tag, p.HasTag = t.Name, true
			case t.Type == NILSXP:
			default:
				return nil, d.r.fail("pairlist tag is a %s, not a symbol", t.Type)
			}
		}
		val, err := d.item()
		if err != nil {
			return nil, err
		}
		p.Value = val
		v.Pairs = append(v.Pairs, p)
		first = false

		if flags, err = d.r.int32(); err != nil {
			return nil, err
		}
		next := Type(flags & 0xff)
		switch {
		case flags&0xff == sxNILVALUE:
			return v, nil
		case next == LISTSXP || (next == LANGSXP && typ == LANGSXP) || (next == DOTSXP && typ == DOTSXP):
			// Another cell: every cell consumes input, so this ends.
		default:
			// A dotted pair: the CDR is not a list cell.
			tail, err := d.itemWithFlags(flags)
			if err != nil {
				return nil, err
			}
			v.Tail = tail
			return v, nil
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func latin1ToUTF8(s string) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) * 2)
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

// UTF8 returns the string's text in UTF-8 (Latin-1 converted), and false
// when that is not possible (bytes-encoded, or invalid UTF-8).
func (s String) UTF8() (string, bool) {
	switch s.Enc {
	case EncLatin1:
		return latin1ToUTF8(s.S), true
	case EncBytes:
		return s.S, isASCII(s.S)
	}
	return s.S, utf8.ValidString(s.S)
}

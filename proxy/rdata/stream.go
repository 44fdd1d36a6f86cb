package rdata

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// Streaming check of an assignment (RSclient's RS.assign: the
// serialization of list(name, value)). A data frame of 50 MB decoded into
// Values and serialized again takes several times its size in rwarden's
// memory; this check instead reads the stream in bounded pieces, checks
// its structure and that the value is plain data (what CheckData accepts,
// with the base R ALTREP classes R writes for data), and copies each byte
// on as soon as it is checked. Its state is bounded whatever the input:
// a read buffer, a copy buffer, the nesting depth and the names of the
// symbols read (at most maxStreamSymbols of at most maxSymbolBytes).
//
// The bytes copied on are the client's own, checked: R's unserialize in
// the worker reads them, and the worker checks the value again. Decoding
// into Values (Unserialize) stays for everything that is rendered or
// re-encoded.

// Bounds of a streamed assignment's state.
const (
	maxSymbolBytes    = 10000 // R's MAXIDSIZE
	maxStreamSymbols  = 4096  // distinct attribute names and tags
	maxNameBytes      = 10000 // the variable name
	streamBufferBytes = 64 << 10
)

// AssignStream checks an assignment's serialization as it is read.
// Name reads up to the variable name; Rest copies what was read and the
// rest of the stream to a writer, checking it.
type AssignStream struct {
	src    *bufio.Reader
	left   int64 // bytes of the stream not read yet
	dst    io.Writer
	prefix []byte // what Name read, before Rest has a writer
	buf    []byte
	order  binary.ByteOrder
	syms   []string
	depth  int
	elems  int64 // elements of the top-level list after the name
	err    error
}

// NewAssignStream reads a serialization of n bytes from src (which must
// not hold more than n for this stream: wrap it in io.LimitReader).
func NewAssignStream(src io.Reader, n int64) *AssignStream {
	return &AssignStream{src: bufio.NewReaderSize(src, streamBufferBytes), left: n}
}

func (s *AssignStream) fail(format string, args ...any) error {
	if s.err == nil {
		s.err = fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
	}
	return s.err
}

func (s *AssignStream) notData(format string, args ...any) error {
	if s.err == nil {
		s.err = fmt.Errorf("%w: %s", ErrNotData, fmt.Sprintf(format, args...))
	}
	return s.err
}

// emit passes checked bytes on (kept until Rest gives a writer).
func (s *AssignStream) emit(b []byte) error {
	if s.dst == nil {
		s.prefix = append(s.prefix, b...)
		return nil
	}
	if _, err := s.dst.Write(b); err != nil {
		s.err = fmt.Errorf("passing the assignment on: %w", err)
		return s.err
	}
	return nil
}

// read reads exactly len(b) bytes of the stream and passes them on.
func (s *AssignStream) read(b []byte) error {
	if s.err != nil {
		return s.err
	}
	if int64(len(b)) > s.left {
		return s.fail("truncated (%d bytes announced, %d left)", len(b), s.left)
	}
	if _, err := io.ReadFull(s.src, b); err != nil {
		s.err = fmt.Errorf("reading the assignment: %w", err)
		return s.err
	}
	s.left -= int64(len(b))
	return s.emit(b)
}

// skip passes n bytes on unread by the check (vector contents).
func (s *AssignStream) skip(n int64) error {
	if n < 0 || n > s.left {
		return s.fail("truncated (%d bytes announced, %d left)", n, s.left)
	}
	if s.buf == nil {
		s.buf = make([]byte, streamBufferBytes)
	}
	for n > 0 {
		k := min(n, int64(len(s.buf)))
		if err := s.read(s.buf[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func (s *AssignStream) int32() (int32, error) {
	var b [4]byte
	if err := s.read(b[:]); err != nil {
		return 0, err
	}
	return int32(s.order.Uint32(b[:])), nil
}

// length reads a vector length (with the long-vector form) whose elements
// take at least minSize bytes each of what is left.
func (s *AssignStream) length(minSize int64) (int64, error) {
	n, err := s.int32()
	if err != nil {
		return 0, err
	}
	l := int64(n)
	if n == -1 {
		hi, err := s.int32()
		if err != nil {
			return 0, err
		}
		lo, err := s.int32()
		if err != nil {
			return 0, err
		}
		if hi < 0 || hi > 65536 {
			return 0, s.fail("invalid upper part of a long vector length")
		}
		l = int64(hi)<<32 | int64(uint32(lo))
	} else if n < 0 {
		return 0, s.fail("negative vector length %d", n)
	}
	if minSize > 0 && l > s.left/minSize {
		return 0, s.fail("vector of %d elements cannot fit in the %d bytes left", l, s.left)
	}
	return l, nil
}

// Name reads the stream's header, the list's header and its first
// element, the variable name (a string or a symbol), and returns it in
// UTF-8. Errors wrap ErrFormat (malformed) or ErrNotData.
func (s *AssignStream) Name() (string, error) {
	if err := s.header(); err != nil {
		return "", err
	}
	flags, err := s.int32()
	if err != nil {
		return "", err
	}
	if flags&0xff != int32(VECSXP) || (flags>>12)&s4Bit != 0 {
		return "", s.fail("an assignment is a list(name, value), not a %s", Type(flags&0xff))
	}
	n, err := s.length(4)
	if err != nil {
		return "", err
	}
	if n < 2 {
		return "", s.fail("an assignment is a list(name, value), not a list of %d", n)
	}
	s.elems = n - 1
	s.depth = 1
	if flags&flagAttr != 0 {
		// Attributes come after the elements: remember to read them.
		s.elems = -s.elems
	}
	return s.name()
}

func (s *AssignStream) header() error {
	var mark [2]byte
	if err := s.read(mark[:]); err != nil {
		return err
	}
	switch {
	case mark[1] != '\n':
		return s.fail("not a serialization stream (no format mark)")
	case mark[0] == 'X':
		s.order = binary.BigEndian
	case mark[0] == 'B':
		s.order = binary.LittleEndian
	default:
		return s.fail("serialization format %q (rwarden reads xdr and native binary)", mark[0])
	}
	version, err := s.int32()
	if err != nil {
		return err
	}
	for range 2 { // writer version, minimal reader version
		if _, err := s.int32(); err != nil {
			return err
		}
	}
	switch version {
	case 2:
	case 3:
		n, err := s.int32()
		if err != nil {
			return err
		}
		if n < 0 || n > 63 {
			return s.fail("native encoding name of %d bytes", n)
		}
		return s.skip(int64(n))
	default:
		return s.fail("serialization version %d (rwarden reads 2 and 3)", version)
	}
	return nil
}

// name reads the list's first element: a character string of one
// element, or a symbol.
func (s *AssignStream) name() (string, error) {
	flags, err := s.int32()
	if err != nil {
		return "", err
	}
	switch {
	case flags&0xff == int32(SYMSXP):
		return s.symbol()
	case flags&0xff == int32(STRSXP) && flags&flagAttr == 0:
		n, err := s.length(8)
		if err != nil {
			return "", err
		}
		if n != 1 {
			return "", s.fail("the variable name is %d strings", n)
		}
		str, err := s.charsxp(maxNameBytes)
		if err != nil {
			return "", err
		}
		if str.NA {
			return "", s.fail("the variable name is NA")
		}
		name, ok := str.UTF8()
		if !ok || name == "" || strings.IndexByte(name, 0) >= 0 {
			return "", s.fail("the variable name is not valid text")
		}
		return name, nil
	}
	return "", s.fail("the variable name is not a string or a symbol")
}

// charsxp reads a CHARSXP (flags included) whose text it keeps, of at
// most limit bytes.
func (s *AssignStream) charsxp(limit int) (String, error) {
	flags, err := s.int32()
	if err != nil {
		return String{}, err
	}
	if flags&0xff != int32(CHARSXP) || flags&flagAttr != 0 {
		return String{}, s.fail("malformed string")
	}
	n, err := s.int32()
	if err != nil {
		return String{}, err
	}
	if n == -1 {
		return String{NA: true}, nil
	}
	if n < 0 || int(n) > limit {
		return String{}, s.fail("a name of %d bytes (at most %d)", n, limit)
	}
	b := make([]byte, n)
	if err := s.read(b); err != nil {
		return String{}, err
	}
	str := String{S: string(b)}
	levs := int(uint32(flags) >> 12)
	switch {
	case levs&levUTF8 != 0:
		str.Enc = EncUTF8
	case levs&levLatin1 != 0:
		str.Enc = EncLatin1
	case levs&levBytes != 0:
		str.Enc = EncBytes
	}
	return str, nil
}

// symbol reads a symbol's print name (after its flags) and enters it in
// the reference table.
func (s *AssignStream) symbol() (string, error) {
	str, err := s.charsxp(maxSymbolBytes)
	if err != nil {
		return "", err
	}
	if str.NA {
		str.S = "NA"
	}
	if len(s.syms) >= maxStreamSymbols {
		return "", s.fail("more than %d symbols", maxStreamSymbols)
	}
	name, _ := str.UTF8()
	s.syms = append(s.syms, name)
	return name, nil
}

// tag reads a pairlist cell's tag: a symbol, or a reference to one.
func (s *AssignStream) tag() (string, error) {
	flags, err := s.int32()
	if err != nil {
		return "", err
	}
	switch typ := flags & 0xff; typ {
	case int32(SYMSXP):
		return s.symbol()
	case sxREF:
		idx := int(uint32(flags) >> 8)
		if idx == 0 {
			i, err := s.int32()
			if err != nil {
				return "", err
			}
			idx = int(i)
		}
		// Only symbols enter the table of a data stream.
		if idx < 1 || idx > len(s.syms) {
			return "", s.fail("reference %d to an object not yet read (%d known)", idx, len(s.syms))
		}
		return s.syms[idx-1], nil
	default:
		return "", s.notData("a tag of type %d, not a symbol", typ)
	}
}

// Rest passes what Name read to dst, then checks the rest of the stream
// (the value, and anything after it in the list) and passes it on as it
// goes. The stream must end with the list. Errors wrap ErrFormat
// (malformed), ErrNotData (not plain data), or say that reading the
// client or writing to dst failed.
func (s *AssignStream) Rest(dst io.Writer) error {
	if s.err != nil {
		return s.err
	}
	s.dst = dst
	if err := s.emit(s.prefix); err != nil {
		return err
	}
	s.prefix = nil
	n := s.elems
	if n < 0 {
		n = -n
	}
	for range n {
		if _, err := s.item(); err != nil {
			return err
		}
	}
	if s.elems < 0 {
		if err := s.attributes(); err != nil {
			return err
		}
	}
	if s.left != 0 {
		return s.fail("%d bytes after the end of the object", s.left)
	}
	return nil
}

// shape is what a caller needs to know of a data item it read.
type shape struct {
	typ     Type
	length  int64
	hasAttr bool
}

func (s *AssignStream) item() (shape, error) {
	flags, err := s.int32()
	if err != nil {
		return shape{}, err
	}
	return s.itemWithFlags(flags)
}

// itemWithFlags checks one data item: NULL, an atomic vector, a list or
// a pairlist, with data attributes.
func (s *AssignStream) itemWithFlags(flags int32) (shape, error) {
	s.depth++
	defer func() { s.depth-- }()
	if s.depth > DefaultMaxDepth {
		return shape{}, s.fail("nested deeper than %d levels", DefaultMaxDepth)
	}
	typ := int(flags & 0xff)
	levs := int(uint32(flags) >> 12)
	hasAttr := flags&flagAttr != 0
	if levs&s4Bit != 0 {
		return shape{}, s.notData("an S4 object")
	}
	sh := shape{typ: Type(typ), hasAttr: hasAttr}
	switch typ {
	case sxNILVALUE:
		return shape{typ: NILSXP}, nil
	case sxALTREP:
		return s.altrep()
	case int(LISTSXP):
		return sh, s.pairlist(flags, false)
	case int(LGLSXP), int(INTSXP):
		n, err := s.length(4)
		if err != nil {
			return sh, err
		}
		sh.length = n
		err = s.skip(4 * n)
		if err != nil {
			return sh, err
		}
	case int(REALSXP):
		n, err := s.length(8)
		if err != nil {
			return sh, err
		}
		sh.length = n
		if err := s.skip(8 * n); err != nil {
			return sh, err
		}
	case int(CPLXSXP):
		n, err := s.length(16)
		if err != nil {
			return sh, err
		}
		sh.length = n
		if err := s.skip(16 * n); err != nil {
			return sh, err
		}
	case int(RAWSXP):
		n, err := s.length(1)
		if err != nil {
			return sh, err
		}
		sh.length = n
		if err := s.skip(n); err != nil {
			return sh, err
		}
	case int(STRSXP):
		n, err := s.length(8)
		if err != nil {
			return sh, err
		}
		sh.length = n
		for i := range n {
			if err := s.element(i); err != nil {
				return sh, err
			}
		}
	case int(VECSXP):
		n, err := s.length(4)
		if err != nil {
			return sh, err
		}
		sh.length = n
		for range n {
			if _, err := s.item(); err != nil {
				return sh, err
			}
		}
	case int(SYMSXP), sxREF, sxMISSINGARG, sxUNBOUNDVALUE:
		return sh, s.notData("a symbol")
	case int(LANGSXP), int(EXPRSXP), sxATTRLANG, sxATTRLIST:
		return sh, s.notData("a language object")
	case int(CLOSXP), int(SPECIALSXP), int(BUILTINSXP):
		return sh, s.notData("a function")
	case int(ENVSXP), sxGLOBALENV, sxEMPTYENV, sxBASEENV, sxBASENAMESPC, sxPACKAGE, sxNAMESPACE:
		return sh, s.notData("an environment")
	case int(PROMSXP):
		return sh, s.notData("a promise")
	case int(EXTPTRSXP), int(WEAKREFSXP):
		return sh, s.notData("an external pointer")
	case int(BCODESXP), sxBCREPDEF, sxBCREPREF:
		return sh, s.notData("byte code")
	case int(S4SXP):
		return sh, s.notData("an S4 object")
	default:
		return sh, s.fail("item type %d in a data value", typ)
	}
	if hasAttr {
		return sh, s.attributes()
	}
	return sh, nil
}

// element reads one element of a character vector: a CHARSXP whose text
// is passed on unread.
func (s *AssignStream) element(i int64) error {
	flags, err := s.int32()
	if err != nil {
		return err
	}
	if flags&0xff != int32(CHARSXP) {
		return s.fail("element %d of a character vector is of type %d", i+1, flags&0xff)
	}
	n, err := s.int32()
	if err != nil {
		return err
	}
	if n < -1 {
		return s.fail("string of negative length %d", n)
	}
	if n > 0 {
		if err := s.skip(int64(n)); err != nil {
			return err
		}
	}
	if flags&flagAttr != 0 { // old R wrote attributes of strings; R ignores them
		return s.attributes()
	}
	return nil
}

// attributes reads an attribute pairlist: every cell tagged, every value
// data.
func (s *AssignStream) attributes() error {
	flags, err := s.int32()
	if err != nil {
		return err
	}
	switch flags & 0xff {
	case sxNILVALUE:
		return nil
	case int32(LISTSXP):
	default:
		return s.fail("attributes are of type %d, not a pairlist", flags&0xff)
	}
	s.depth++
	defer func() { s.depth-- }()
	return s.pairlist(flags, true)
}

// pairlist reads a proper pairlist of data (its first cell's flags
// read), cell after cell without nesting. Every cell of attributes has a
// tag (the attribute's name).
func (s *AssignStream) pairlist(flags int32, attributes bool) error {
	for {
		if attributes && flags&flagTag == 0 {
			return s.fail("an attribute without a name")
		}
		if (uint32(flags)>>12)&s4Bit != 0 {
			return s.notData("an S4 object")
		}
		if flags&flagAttr != 0 {
			if err := s.attributes(); err != nil {
				return err
			}
		}
		if flags&flagTag != 0 {
			if _, err := s.tag(); err != nil {
				return err
			}
		}
		if _, err := s.item(); err != nil {
			return err
		}
		var err error
		if flags, err = s.int32(); err != nil {
			return err
		}
		switch flags & 0xff {
		case sxNILVALUE:
			return nil
		case int32(LISTSXP):
		default:
			return s.notData("an improper pairlist")
		}
	}
}

// altrep reads an ALTREP object (after its flags): only the classes of
// base R that stand for data, with the state R writes for them, so that
// R's unserialize in the worker neither loads a package nor reads a
// malformed state.
func (s *AssignStream) altrep() (shape, error) {
	// Class information: pairlist(class, package, type).
	var info [3]string
	flags, err := s.int32()
	if err != nil {
		return shape{}, err
	}
	for i := range 3 {
		if flags&0xff != int32(LISTSXP) || flags&(flagAttr|flagTag) != 0 {
			return shape{}, s.fail("malformed ALTREP class information")
		}
		if i < 2 {
			if info[i], err = s.tag(); err != nil {
				return shape{}, err
			}
		} else {
			sh, err := s.item()
			if err != nil {
				return shape{}, err
			}
			if sh.typ != INTSXP || sh.length != 1 || sh.hasAttr {
				return shape{}, s.fail("malformed ALTREP class information")
			}
		}
		if flags, err = s.int32(); err != nil {
			return shape{}, err
		}
	}
	if flags&0xff != sxNILVALUE {
		return shape{}, s.fail("malformed ALTREP class information")
	}
	if info[1] != "base" {
		return shape{}, s.notData("ALTREP class %s of package %s", info[0], info[1])
	}
	var ok bool
	// What the object stands for; its length is not known here (-1).
	result := shape{length: -1}
	switch class := info[0]; class {
	case "compact_intseq", "compact_realseq":
		result.typ = map[bool]Type{true: INTSXP, false: REALSXP}[class == "compact_intseq"]
		sh, err := s.item()
		if err != nil {
			return shape{}, err
		}
		ok = (sh.typ == REALSXP || sh.typ == INTSXP) && sh.length == 3 && !sh.hasAttr
	case "deferred_string":
		result.typ = STRSXP
		ok, err = s.altrepState(func(car int, sh shape) bool {
			if car == 0 {
				return (sh.typ == INTSXP || sh.typ == REALSXP) && !sh.hasAttr
			}
			return sh.typ == INTSXP && sh.length == 1 && !sh.hasAttr
		})
	case "wrap_integer", "wrap_logical", "wrap_real", "wrap_complex", "wrap_raw", "wrap_string", "wrap_list":
		want := map[string]Type{"wrap_integer": INTSXP, "wrap_logical": LGLSXP, "wrap_real": REALSXP,
			"wrap_complex": CPLXSXP, "wrap_raw": RAWSXP, "wrap_string": STRSXP, "wrap_list": VECSXP}[class]
		result.typ = want
		ok, err = s.altrepState(func(car int, sh shape) bool {
			if car == 0 {
				return sh.typ == want
			}
			return sh.typ == INTSXP && sh.length == 2 && !sh.hasAttr
		})
	default:
		return shape{}, s.notData("ALTREP class %s is not supported", class)
	}
	if err != nil {
		return shape{}, err
	}
	if !ok {
		return shape{}, s.fail("malformed state of an ALTREP %s", info[0])
	}
	// Attributes: NULL or an attribute pairlist.
	flags, err = s.int32()
	if err != nil {
		return shape{}, err
	}
	if flags&0xff != sxNILVALUE {
		result.hasAttr = true
		if flags&0xff != int32(LISTSXP) {
			return shape{}, s.fail("ALTREP attributes of type %d, not a pairlist", flags&0xff)
		}
		s.depth++
		defer func() { s.depth-- }()
		if err := s.pairlist(flags, true); err != nil {
			return shape{}, err
		}
	}
	return result, nil
}

// altrepState reads a state that is the dotted pair (car, cdr) R writes
// for deferred strings and wrappers, checking each value with ok.
func (s *AssignStream) altrepState(ok func(part int, sh shape) bool) (bool, error) {
	flags, err := s.int32()
	if err != nil {
		return false, err
	}
	if flags&0xff != int32(LISTSXP) || flags&(flagAttr|flagTag) != 0 {
		return false, nil
	}
	car, err := s.item()
	if err != nil {
		return false, err
	}
	cdr, err := s.item()
	if err != nil {
		return false, err
	}
	return ok(0, car) && ok(1, cdr), nil
}

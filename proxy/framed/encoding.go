package framed

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/transform"
)

// kind selects the code path of an Encoding. The three encodings the
// protocol promises (UTF-8, ASCII, Latin-1) are implemented directly so that
// their error messages are exact and their answers fast; everything else goes
// through golang.org/x/text.
type kind uint8

const (
	kindUTF8 kind = iota // the zero Encoding is UTF-8
	kindASCII
	kindLatin1
	kindText
)

// Encoding is a client-declared text encoding. The zero value is UTF-8.
type Encoding struct {
	kind     kind
	name     string // canonical (MIME/IANA) name
	declared string // what the client sent
	text     encoding.Encoding
}

// UTF8 is the UTF-8 encoding (also the zero Encoding).
var UTF8 = Encoding{kind: kindUTF8, name: "UTF-8", declared: "UTF-8"}

// Name is the canonical name of the encoding, for example "UTF-8",
// "US-ASCII", "ISO-8859-1" or "Shift_JIS".
func (e Encoding) Name() string {
	if e.name == "" {
		return "UTF-8"
	}
	return e.name
}

// Declared is the name exactly as the client sent it.
func (e Encoding) Declared() string {
	if e.declared == "" {
		return e.Name()
	}
	return e.declared
}

// MaxEncodingName is the longest encoding name the protocol accepts.
const MaxEncodingName = 64

// native maps lower-cased aliases of the encodings implemented directly.
// Latin-1 is taken here, before any index lookup, because the WHATWG index
// (htmlindex) maps "latin1" and "iso-8859-1" to windows-1252, which is not
// what R or the original server mean by them.
var native = map[string]Encoding{
	"utf-8":           {kind: kindUTF8, name: "UTF-8"},
	"utf8":            {kind: kindUTF8, name: "UTF-8"},
	"ascii":           {kind: kindASCII, name: "US-ASCII"},
	"us-ascii":        {kind: kindASCII, name: "US-ASCII"},
	"ansi_x3.4-1968":  {kind: kindASCII, name: "US-ASCII"},
	"iso646-us":       {kind: kindASCII, name: "US-ASCII"},
	"646":             {kind: kindASCII, name: "US-ASCII"},
	"latin1":          {kind: kindLatin1, name: "ISO-8859-1"},
	"latin-1":         {kind: kindLatin1, name: "ISO-8859-1"},
	"l1":              {kind: kindLatin1, name: "ISO-8859-1"},
	"iso-8859-1":      {kind: kindLatin1, name: "ISO-8859-1"},
	"iso8859-1":       {kind: kindLatin1, name: "ISO-8859-1"},
	"iso_8859-1":      {kind: kindLatin1, name: "ISO-8859-1"},
	"iso_8859-1:1987": {kind: kindLatin1, name: "ISO-8859-1"},
	"cp819":           {kind: kindLatin1, name: "ISO-8859-1"},
	"ibm819":          {kind: kindLatin1, name: "ISO-8859-1"},
}

// asciiProbe is used to refuse encodings that are not ASCII-compatible
// (UTF-16, UTF-32, EBCDIC ...): R's parser and the protocol's own lines need
// ASCII to mean ASCII.
const asciiProbe = "AUTH \n\t 0123456789 azAZ ()[]{}<-~!$%^&*_+=|\\;:'\",./?#@`"

// LookupEncoding finds the encoding a client declared. Names are matched
// case-insensitively: UTF-8, ASCII and Latin-1 (with their usual aliases)
// directly, then IANA names and aliases, then WHATWG labels. The name must be
// printable ASCII of at most MaxEncodingName bytes. Encodings that are not
// ASCII-compatible are refused. Errors are *ProtocolError.
func LookupEncoding(name string) (Encoding, error) {
	if name == "" {
		return Encoding{}, protoErr(nil, "empty encoding name")
	}
	if len(name) > MaxEncodingName {
		return Encoding{}, protoErr(nil, "encoding name longer than %d bytes", MaxEncodingName)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f {
			return Encoding{}, protoErr(nil, "encoding name contains byte 0x%02x at offset %d; only printable ASCII is allowed", c, i)
		}
	}
	if e, ok := native[strings.ToLower(name)]; ok {
		e.declared = name
		return e, nil
	}
	te, err := ianaindex.IANA.Encoding(name)
	if err != nil || te == nil {
		te, err = htmlindex.Get(name)
	}
	if err != nil || te == nil {
		return Encoding{}, protoErr(nil, "unknown encoding %q", name)
	}
	canon, err := ianaindex.MIME.Name(te)
	if err != nil || canon == "" {
		if canon, err = ianaindex.IANA.Name(te); err != nil || canon == "" {
			canon = name
		}
	}
	if got, err := te.NewEncoder().String(asciiProbe); err != nil || got != asciiProbe {
		return Encoding{}, protoErr(nil, "encoding %q is not ASCII-compatible", name)
	}
	if got, err := te.NewDecoder().String(asciiProbe); err != nil || got != asciiProbe {
		return Encoding{}, protoErr(nil, "encoding %q is not ASCII-compatible", name)
	}
	return Encoding{kind: kindText, name: canon, declared: name, text: te}, nil
}

// Decode converts b from this encoding to UTF-8. Bytes that are invalid in
// the encoding are an error naming the first bad offset (a *ProtocolError):
// UTF-8 must be valid UTF-8, ASCII must be 7-bit, Latin-1 always decodes.
// The result never aliases b.
func (e Encoding) Decode(b []byte) ([]byte, error) {
	switch e.kind {
	case kindUTF8:
		if off := invalidUTF8(b); off >= 0 {
			return nil, protoErr(nil, "code is not valid UTF-8: invalid byte 0x%02x at offset %d", b[off], off)
		}
		return bytes.Clone(b), nil
	case kindASCII:
		for i, c := range b {
			if c >= 0x80 {
				return nil, protoErr(nil, "code is not valid ASCII: byte 0x%02x at offset %d", c, i)
			}
		}
		return bytes.Clone(b), nil
	case kindLatin1:
		out := make([]byte, 0, len(b)+len(b)/8)
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return out, nil
	}
	out, err := e.text.NewDecoder().Bytes(b)
	if err != nil {
		return nil, protoErr(err, "code is not valid %s", e.Name())
	}
	// x/text decoders substitute U+FFFD for invalid input instead of failing.
	// A U+FFFD the encoding cannot itself represent must be such a
	// substitution; otherwise a round trip tells whether the input was clean.
	if i := bytes.IndexRune(out, utf8.RuneError); i >= 0 {
		if _, ferr := e.text.NewEncoder().String("\uFFFD"); ferr != nil {
			return nil, protoErr(nil, "code is not valid %s: undecodable bytes at character %d", e.Name(), utf8.RuneCount(out[:i]))
		}
		back, berr := e.text.NewEncoder().Bytes(out)
		if berr != nil || !bytes.Equal(back, b) {
			return nil, protoErr(nil, "code is not valid %s", e.Name())
		}
	}
	return out, nil
}

// invalidUTF8 returns the offset of the first byte that is not part of valid
// UTF-8, or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// Encode converts UTF-8 text (an answer) to this encoding. Characters the
// encoding cannot represent are written as <U+XXXX> (<U+XXXXXXXX> above the
// BMP), exactly as R prints them in a non-UTF-8 locale, so the client always
// gets the whole answer. Invalid UTF-8 in text is treated as U+FFFD.
func (e Encoding) Encode(text string) []byte {
	switch e.kind {
	case kindUTF8:
		if utf8.ValidString(text) {
			return []byte(text)
		}
		return []byte(strings.ToValidUTF8(text, "\uFFFD"))
	case kindASCII:
		return encodeBelow(text, 0x80)
	case kindLatin1:
		return encodeBelow(text, 0x100)
	}
	return e.encodeText(text)
}

// EncodeStrict converts UTF-8 text (code a client is about to send) to this
// encoding and fails on the first character the encoding cannot represent,
// because silently rewriting code would change what gets evaluated.
func (e Encoding) EncodeStrict(text string) ([]byte, error) {
	if off := invalidUTF8([]byte(text)); off >= 0 {
		return nil, fmt.Errorf("text is not valid UTF-8 at offset %d", off)
	}
	var limit rune
	switch e.kind {
	case kindUTF8:
		return []byte(text), nil
	case kindASCII:
		limit = 0x80
	case kindLatin1:
		limit = 0x100
	default:
		out, err := e.text.NewEncoder().String(text)
		if err != nil {
			return nil, fmt.Errorf("text cannot be represented in %s: %w", e.Name(), err)
		}
		return []byte(out), nil
	}
	out := make([]byte, 0, len(text))
	for i, r := range text {
		if r >= limit {
			return nil, fmt.Errorf("character %s at offset %d cannot be represented in %s", rCodePoint(r), i, e.Name())
		}
		out = append(out, byte(r))
	}
	return out, nil
}

// encodeBelow encodes to a single-byte encoding whose code points are exactly
// the runes below limit (ASCII, Latin-1).
func encodeBelow(text string, limit rune) []byte {
	out := make([]byte, 0, len(text))
	for _, r := range text {
		if r < limit {
			out = append(out, byte(r))
			continue
		}
		out = append(out, rCodePoint(r)...)
	}
	return out
}

// rCodePoint renders r the way R does for characters the locale cannot show.
func rCodePoint(r rune) string {
	if r > 0xFFFF {
		return fmt.Sprintf("<U+%08X>", r)
	}
	return fmt.Sprintf("<U+%04X>", r)
}

// encodeText encodes through x/text, replacing each unrepresentable rune by
// its <U+XXXX> form and carrying on.
func (e Encoding) encodeText(text string) []byte {
	text = strings.ToValidUTF8(text, "\uFFFD")
	enc := e.text.NewEncoder()
	out := make([]byte, 0, len(text))
	buf := make([]byte, 32<<10)
	src := []byte(text)
	for len(src) > 0 {
		nDst, nSrc, err := enc.Transform(buf, src, true)
		out = append(out, buf[:nDst]...)
		src = src[nSrc:]
		switch {
		case err == nil:
			if nSrc == 0 && nDst == 0 && len(src) > 0 {
				// No progress without an error: never spin.
				r, size := utf8.DecodeRune(src)
				out = append(out, rCodePoint(r)...)
				src = src[size:]
			}
		case errors.Is(err, transform.ErrShortDst):
			if nDst == 0 && nSrc == 0 {
				buf = make([]byte, 2*len(buf))
			}
		default:
			// The rune at src[0] is not in the repertoire.
			r, size := utf8.DecodeRune(src)
			out = append(out, rCodePoint(r)...)
			src = src[size:]
			enc.Reset()
		}
	}
	return out
}

package httpapi

import (
	"errors"
	"io"
	"unicode/utf8"
)

// errNotUTF8 is a CSV body that is not UTF-8.
var errNotUTF8 = errors.New("CSV must be UTF-8")

// utf8Reader passes a body on and fails as soon as it is not UTF-8, with
// a character split across reads checked whole. Its state is the up to
// three bytes of a character not complete yet.
type utf8Reader struct {
	r     io.Reader
	carry [utf8.UTFMax]byte
	nc    int
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	b := p[:n]
	if u.nc > 0 && len(b) > 0 {
		// Complete the carried character with the first bytes read.
		var tmp [2 * utf8.UTFMax]byte
		k := copy(tmp[:], u.carry[:u.nc])
		k += copy(tmp[k:], b[:min(len(b), utf8.UTFMax)])
		if utf8.FullRune(tmp[:k]) {
			r, size := utf8.DecodeRune(tmp[:k])
			if r == utf8.RuneError && size <= 1 {
				return 0, errNotUTF8
			}
			b = b[size-u.nc:]
			u.nc = 0
		} else {
			u.nc = copy(u.carry[:], tmp[:k])
			b = nil
		}
	}
	// An incomplete character at the end waits for the next read.
	cut := len(b)
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				cut = i
			}
			break
		}
	}
	if !utf8.Valid(b[:cut]) {
		return 0, errNotUTF8
	}
	u.nc += copy(u.carry[u.nc:], b[cut:])
	if errors.Is(err, io.EOF) && u.nc > 0 {
		return 0, errNotUTF8
	}
	return n, err
}

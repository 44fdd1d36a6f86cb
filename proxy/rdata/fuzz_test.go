package rdata_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rwarden/rwarden/policy/rsyntax"
	"github.com/rwarden/rwarden/proxy/rdata"
)

func addSeeds(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "seed_*.bin"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no seeds in testdata: %v", err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzUnserialize: any bytes decode to a value or an ErrFormat error; a
// decoded value survives the validators, the encoder and the deparser, and
// what the encoder writes decodes back to an equal value.
func FuzzUnserialize(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := rdata.Unserialize(data, rdata.Limits{MaxExpand: 1 << 16})
		if err != nil {
			if !errors.Is(err, rdata.ErrFormat) {
				t.Fatalf("error outside ErrFormat: %v", err)
			}
			return
		}
		dataErr := rdata.CheckData(v)
		transErr := rdata.CheckTransferable(v)
		if dataErr == nil && transErr != nil {
			t.Fatalf("data but not transferable: %v", transErr)
		}
		if src, err := rdata.Deparse(v); err == nil {
			if _, err := rsyntax.Parse([]byte(src), rsyntax.Options{}); err != nil {
				t.Fatalf("Deparse output %q does not parse: %v", src, err)
			}
		} else if !errors.Is(err, rdata.ErrNotExact) {
			t.Fatalf("Deparse error outside ErrNotExact: %v", err)
		}
		if transErr != nil {
			return
		}
		out, err := rdata.Serialize(v)
		if err != nil {
			return // e.g. an empty tag: valid to read, refused to write
		}
		back, err := rdata.Unserialize(out, rdata.Limits{MaxExpand: 1 << 16})
		if err != nil {
			t.Fatalf("Serialize wrote an unreadable stream: %v", err)
		}
		if !rdata.EqualLang(v, back) {
			t.Fatalf("value changed in a Serialize round trip")
		}
	})
}

// FuzzDeparse: every expression the R grammar accepts (and whose numbers
// convert exactly) deparses, and the text parses back to the same object.
func FuzzDeparse(f *testing.F) {
	for _, c := range deparseCases {
		f.Add(c)
	}
	f.Add("function(x, ...) UseMethod('f')\nx[[1]] <- y$z@w")
	f.Fuzz(func(t *testing.T, src string) {
		file, err := rsyntax.Parse([]byte(src), rsyntax.Options{MaxBytes: 1 << 14})
		if err != nil {
			return
		}
		for _, e := range file.Exprs {
			v, err := rdata.FromSyntax(e)
			if err != nil {
				continue // a number spelled in a way only R's strtod converts
			}
			out, err := rdata.Deparse(v)
			if err != nil {
				if hasBytesString(v) || strings.Contains(err.Error(), "contextstack overflow") {
					// "\xff" has no UTF-8 source form; and more than 50
					// nested brackets are too many for R's parser too.
					continue
				}
				t.Fatalf("cannot deparse %q: %v", rsyntax.Canonical(e), err)
			}
			back, err := rsyntax.Parse([]byte(out), rsyntax.Options{})
			if err != nil || len(back.Exprs) != 1 {
				t.Fatalf("deparse of %q is %q, which does not parse to one expression: %v", rsyntax.Canonical(e), out, err)
			}
		}
	})
}

func hasBytesString(v *rdata.Value) bool {
	switch v.Type {
	case rdata.STRSXP:
		for _, s := range v.Strings {
			if _, ok := s.UTF8(); !ok {
				return true
			}
		}
	case rdata.LANGSXP, rdata.LISTSXP:
		for _, p := range v.Pairs {
			if hasBytesString(p.Value) {
				return true
			}
		}
	}
	return false
}

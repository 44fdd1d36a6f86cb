package refs

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rwarden/rwarden/policy/rsyntax"
)

// reused is a Finder shared by the fuzz iterations of a process, to check
// that reusing a Finder's memory never changes a result.
var reused struct {
	sync.Mutex
	fd Finder
}

// FuzzRefs checks that Find never panics on anything the parser accepts,
// that its result is sorted, free of duplicates and deterministic, that a
// reused Finder agrees with it, and that every reference lies inside the
// input and has a name unless it is dynamic, and that the bindings facts
// taken from the parser's list of binders are those of a walk.
func FuzzRefs(f *testing.F) {
	for _, path := range []string{"testdata/escapes.txt", "../rsyntax/testdata/tricky.txt"} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, s := range strings.Split(string(b), "\n----\n") {
			f.Add([]byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := rsyntax.Parse(src, rsyntax.Options{MaxBytes: 1 << 16, MaxDepth: 64})
		if err != nil {
			return
		}
		checkSameFacts(t, file, string(src))
		refs := Find(file)
		again := Find(file)
		if len(refs) != len(again) {
			t.Fatalf("Find is not deterministic: %d then %d references", len(refs), len(again))
		}
		reused.Lock()
		same := slices.Equal(refs, reused.fd.Find(file))
		reused.Unlock()
		if !same {
			t.Fatal("a reused Finder disagrees with Find")
		}
		lines := bytes.Count(src, []byte("\n")) + 1
		directive := bytes.Contains(src, []byte("#line"))
		for i, r := range refs {
			if r != again[i] {
				t.Fatalf("Find is not deterministic at %d: %+v then %+v", i, r, again[i])
			}
			if r.Pos.Col < 1 || r.Pos.Line < 0 || !directive && (r.Pos.Line < 1 || int(r.Pos.Line) > lines) {
				t.Fatalf("reference outside the input: %+v", r)
			}
			if (r.Name == "") != (r.Kind == KindDynamic) {
				t.Fatalf("name and kind disagree: %+v", r)
			}
			if i > 0 {
				p := refs[i-1]
				if compareRefs(p, r) > 0 {
					t.Fatalf("not sorted: %+v before %+v", p, r)
				}
				if p.Pos == r.Pos && p.Kind == r.Kind && p.Pkg == r.Pkg && p.Name == r.Name {
					t.Fatalf("duplicate: %+v", r)
				}
			}
		}
	})
}

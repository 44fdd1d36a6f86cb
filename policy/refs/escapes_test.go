package refs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// dangerous are names whose reference an escape attempt needs: running
// programs, evaluating code, reaching environments or frames, native
// code, hooks, files and connections, and package loading.
var dangerous = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`system system2 eval evalq parse str2lang str2expression get get0 mget
		match.fun do.call environment globalenv baseenv asNamespace sys.function sys.call parent.frame
		.Internal .Call .External .C .Fortran dyn.load .Primitive options setHook trace reg.finalizer
		makeActiveBinding delayedAssign readLines file writeLines pipe Sys.setenv Sys.getenv mcparallel
		on.exit body<- environment<- assign unlockBinding Recall [[<- local with Vectorize q quit
		setTimeLimit socketConnection url download.file source sys.source call as.call`) {
		dangerous[n] = true
	}
}

// TestEscapesAreVisible checks that every escape attempt of the corpus
// produces a reference the policy can deny: a dangerous name, a computed
// function, a package load or an unexported object.
func TestEscapesAreVisible(t *testing.T) {
	for _, src := range readCorpus(t, "testdata/escapes.txt") {
		t.Run(src, func(t *testing.T) {
			visible := false
			for _, r := range find(t, src) {
				switch r.Kind {
				case KindDynamic, KindLoad, KindNamespaceInternal:
					visible = true
				default:
					visible = visible || dangerous[r.Name]
				}
			}
			assert.True(t, visible, "no deniable reference in %v", find(t, src))
		})
	}
}

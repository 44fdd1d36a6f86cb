package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReusedCheckerAgreesWithFresh runs every corpus script for every
// shipped user through one checker, interleaved and across a reload, and
// compares each decision with a fresh checker's: the memory and caches a
// checker keeps between checks must never change a result, nor the
// memo's tags running out.
func TestReusedCheckerAgreesWithFresh(t *testing.T) {
	e := shippedEngine(t)
	var scripts [][]byte
	for _, dir := range []string{"benign", "escapes"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.R"))
		require.NoError(t, err)
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			scripts = append(scripts, b)
		}
	}
	require.Greater(t, len(scripts), 20)
	users := e.Users()
	require.NotEmpty(t, users)
	type step struct {
		user string
		code []byte
	}
	var steps []step
	for i, code := range scripts {
		steps = append(steps, step{users[i%len(users)], code})
	}
	// Attaching a package changes what later names resolve to, within the
	// script only: the same user's next script starts from the default
	// search path again.
	for _, u := range users {
		steps = append(steps,
			step{u, []byte("library(MASS)\nmvrnorm(1, 0, 1)\nfilter(1:3, 1)\n")},
			step{u, []byte("mvrnorm(1, 0, 1)\nfilter(1:3, 1)\n")},
			step{u, []byte("library(tools)\nfile_ext('a.R')\n")},
			step{u, []byte("file_ext('a.R')\nsystem('ls')\n")},
			// The caches of an attached list are kept: the same list
			// again finds them warm, another list or none does not
			// see them.
			step{u, []byte("library(MASS)\nfilter(1:3, 1)\nmvrnorm(1, 0, 1)\n")},
			step{u, []byte("library(tools)\nlibrary(MASS)\nfilter(1:3, 1)\nfile_ext('a.R')\n")},
			step{u, []byte("filter(1:3, 1)\nmvrnorm(1, 0, 1)\nfile_ext('a.R')\n")},
		)
	}

	reused := new(checker)
	checked := 0
	for round := 0; round < 3; round++ {
		s := e.snap()
		if round == 2 {
			// The memo's tags run out two lists of attached packages
			// into the round: it starts again, and no stale entry of
			// it may be taken for a new list's.
			reused.nextTag = maxMemoTag - 2
		}
		for i, st := range steps {
			user, code := st.user, st.code
			if round > 0 {
				user = users[(i+round)%len(users)]
			}
			got, gotErr := reused.check(e.index, s, user, code)
			want, wantErr := new(checker).check(e.index, s, user, code)
			if wantErr != nil {
				assert.EqualError(t, gotErr, wantErr.Error(), "script %d for %s", i, user)
				continue
			}
			require.NoError(t, gotErr, "script %d for %s", i, user)
			assert.Equal(t, want, got, "script %d for %s", i, user)
			checked++
		}
		// A reload is a new snapshot: nothing cached may survive it.
		require.NoError(t, e.Reload())
	}
	require.Greater(t, checked, 40)
}

// TestCheckConcurrent runs checks of several users from several
// goroutines (the pooled checkers are shared between them) and compares
// each decision with the one made alone. Run with -race.
func TestCheckConcurrent(t *testing.T) {
	e := shippedEngine(t)
	files, err := filepath.Glob(filepath.Join("testdata", "escapes", "*.R"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	users := e.Users()
	type job struct {
		user string
		code []byte
		want *Decision
	}
	var jobs []job
	for i, f := range files {
		code, err := os.ReadFile(f)
		require.NoError(t, err)
		user := users[i%len(users)]
		want, err := new(checker).check(e.index, e.snap(), user, code)
		if err != nil {
			continue
		}
		jobs = append(jobs, job{user, code, want})
	}
	require.NotEmpty(t, jobs)
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			for i := 0; i < 20; i++ {
				j := jobs[(g+i)%len(jobs)]
				got, err := e.Check(j.user, j.code)
				if err == nil && !assert.ObjectsAreEqual(j.want, got) {
					err = fmt.Errorf("%s: got %v, want %v", j.user, got, j.want)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		assert.NoError(t, <-errs)
	}
}

// TestMemoTagsStartAgain checks what the memo's tags running out does: the
// memo is emptied, and so are the name caches whose tags would come back,
// so that no stale entry can be taken for a new list's.
func TestMemoTagsStartAgain(t *testing.T) {
	c := new(checker)
	c.clearNames()
	c.useNames(nil)
	first := c.tag
	require.Equal(t, uint32(1), first)
	c.names = append(c.names, nameDecision{obj: "base::f", dec: -1})
	c.memo[2] = nameMemo{name: "f", i: 0, tag: first << 1}
	c.useNames([]string{"MASS"})
	require.Equal(t, uint32(2), c.tag)
	require.Len(t, c.nameSets, 2)

	c.nextTag = maxMemoTag
	c.useNames([]string{"tools"})
	assert.Equal(t, uint32(1), c.tag, "tags start again")
	assert.Equal(t, nameMemos{}, *c.memo, "no entry is left")
	assert.Empty(t, c.names)
	assert.Len(t, c.nameSets, 1, "only the new list's caches are left")
}

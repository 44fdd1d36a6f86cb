package sandbox

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// handGuards reads testdata/guards.txt: the guarded parameters of R's
// functions, written by hand from their formals until the generated
// parameter model (policy side) replaces it.
func handGuards(t testing.TB) []Guard {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "guards.txt"))
	require.NoError(t, err)
	defer f.Close()
	var out []Guard
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		require.Len(t, fs, 3, line)
		out = append(out, Guard{Function: fs[0], Param: fs[1], Kind: fs[2]})
	}
	require.NoError(t, sc.Err())
	return out
}

// guestDenied is what the shipped restricted roles hard-deny (and what an
// attacker is after): processes, the process environment, evaluation of
// computed code, environments and frames, lookups by computed name, hooks,
// native code, connections that leave the session.
var guestDenied = strings.Fields(`system system2 pipe Sys.getenv Sys.setenv Sys.unsetenv Sys.setlocale
Sys.setLanguage eval evalq eval.parent parse str2lang str2expression source sys.source dget body<-
formals<- as.function as.call call Recall environment environment<- environmentName parent.frame
parent.env parent.env<- sys.function sys.call sys.calls sys.frame sys.frames sys.parent sys.parents
sys.nframe sys.on.exit match.call globalenv baseenv emptyenv topenv as.environment asNamespace
getNamespace .getNamespace loadingNamespaceInfo list2env as.name as.symbol .BaseNamespaceEnv
.GlobalEnv .AutoloadEnv .userHooksEnv .ArgsEnv .GenericArgsEnv .Last.value .Options
.__S3MethodsTable__. get get0 mget exists assign delayedAssign getExportedValue options setHook
getHook reg.finalizer makeActiveBinding addTaskCallback taskCallbackManager globalCallingHandlers
trace untrace browser debug debugonce lockBinding unlockBinding lockEnvironment registerS3method
registerS3methods setTimeLimit setSessionTimeLimit .Internal .Primitive .Call .External .External2
.C .Fortran .Call.graphics .External.graphics dyn.load dyn.unload getNativeSymbolInfo library.dynam
library.dynam.unload getLoadedDLLs getDLLRegisteredRoutines is.loaded url socketConnection
socketAccept serverSocket socketSelect getConnection getAllConnections closeAllConnections sink
stdin q quit setwd R.home Sys.info Sys.getpid readLines file scan readline
getFunction existsFunction findFunction evalSource insertSource getFromNamespace assignInNamespace
getAnywhere getS3method`)

// guestLikeAllowlist allows everything in base, stats, methods, utils,
// datasets, graphics and grDevices except guestDenied: a broad allowlist,
// which is the hard case for the runtime guards (more functions reachable,
// more of them taking functions, code, formulas and environments). readRDS,
// unserialize, load, writeBin and tempfile stay allowed so that data
// carrying code can be tried.
func guestLikeAllowlist(t testing.TB, guards []Guard) *Allowlist {
	t.Helper()
	code := `for (p in c("stats", "graphics", "grDevices", "utils", "datasets", "methods")) ` +
		`cat(paste0(p, "::", if (p == "datasets") ls("package:datasets") else getNamespaceExports(p)), sep = "\n"); ` +
		`cat(paste0("base::", ls(baseenv(), all.names = TRUE)), sep = "\n")`
	out, err := exec.Command(filepath.Join(DefaultRHome, "bin", "Rscript"), "--vanilla", "-e", code).Output()
	require.NoError(t, err)
	deny := map[string]bool{}
	for _, d := range guestDenied {
		deny[d] = true
	}
	var fns []string
	for _, key := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		_, name, _ := strings.Cut(key, "::")
		if name == "" || deny[name] || strings.HasPrefix(name, ".__") {
			continue
		}
		fns = append(fns, key)
	}
	return &Allowlist{Functions: fns,
		Packages: []string{"stats", "graphics", "grDevices", "utils", "datasets", "methods"},
		Guards:   guards}
}

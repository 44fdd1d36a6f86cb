// Package refs finds every reference to an R function in a parsed script,
// with its position: the input of rwarden's static policy layer, which
// turns each reference into a Casbin request. It does not decide anything;
// it reports what R would look up, as precisely as the syntax allows, and
// reports a computed reference it cannot name as Kind "dynamic".
//
// Every node of the tree is visited: function bodies, default values,
// arguments of quote() and bquote(), formulas (model functions evaluate
// them later), and the right-hand side of every assignment. Find reports:
//
//   - call: a call of a name, f(x) or `f`(x) or x |> f(), Name "f". Calls
//     of the script's own functions are reported too: the policy resolves
//     names, and a name the script defines never makes a package function
//     of the same name allowed.
//   - symbol: a bare name used as a value (f <- system, lapply(x, system),
//     y ~ x), unless the name is provably bound at that point, resolved
//     as R's lexical scoping would (see scope.go): a formal of an
//     enclosing function, or an earlier <- or = on the straight-line path
//     of the same function or of the top level. A name bound only in one
//     branch, in a loop body, in a call argument (a promise), with <<-,
//     assign() or delayedAssign(), or after the use, is reported; so is
//     the variable a complex assignment reads (names(x) <- v reads x);
//     function bodies do not see the top level's bindings; a script that
//     names rm or remove proves no binding. `...` and ..1 are never
//     reported. A name passed where R takes a function (see "string") is
//     always reported, because match.fun() skips bindings that are not
//     functions and finds the package function of that name.
//   - operator: operators and language constructs, which R calls as
//     functions of base: + - * / ^ %% %/% %in% and user %op%, comparisons,
//     & && | || !, unary - + ! ~ ?, binary ~ ? : $ @ :: ::: := [ [[ ( {,
//     <- <<- = (-> and ->> are reported as <- and <<-), if, for, while,
//     repeat, break, next and function (also for \(x)). The pipe |> is
//     not: R rewrites x |> f() to f(x), which is reported as a call of f.
//   - replacement: the replacement functions of a complex assignment, at
//     the position of the function they replace. names(x) <- v gives
//     `names<-`; x[i] <- v `[<-`; x[[i]] <- v `[[<-`; x$a <- v `$<-`;
//     x@a <- v `@<-`; names(x)[2] <- v gives `[<-`, `names<-` and the
//     call of the getter names (R evaluates names(x) first); pkg::f(x) <- v
//     gives `f<-` with Pkg pkg. The outermost getter is not called by R
//     and not reported (x[i] <- v reports `[<-`, not `[`).
//   - namespace, namespace_internal: pkg::f and pkg:::f (also with string
//     operands, "pkg"::"f"), Name f and Pkg pkg, at f's position; each
//     also gives a load reference for pkg at pkg's position and the
//     operator :: or :::.
//   - load: a package loaded by library(pkg), require(pkg) (a bare name
//     or a string, unless character.only = TRUE makes the name a
//     variable), requireNamespace("pkg"), loadNamespace("pkg"),
//     attachNamespace("pkg"), asNamespace("pkg"), getNamespace("pkg"),
//     and pkg::f. Name and Pkg are the package; Detail names the function
//     ("library(stats)", "stats::sd"). getExportedValue("pkg", "f") and
//     utils::getFromNamespace("f", "pkg") give namespace and
//     namespace_internal references like pkg::f and pkg:::f.
//   - string: a string literal where R takes a function: "f"(x), and the
//     function argument of lapply, sapply, vapply, mapply, Map, Filter,
//     Reduce, Position, Find, Negate, do.call, match.fun, outer, kronecker,
//     Vectorize, apply, tapply, sweep, aggregate, by, ave, rapply, eapply,
//     integrate, optimize, optim, uniroot, nlm, nlminb, call, body, formals,
//     args, .Primitive, and the parallel apply functions; and the name
//     argument of get, get0, mget, getFunction and exists(mode =
//     "function"). Arguments are matched like R matches them (exact tag,
//     then partial tag before ..., then position), so lapply(F = "f", x)
//     is found. lapply(x, "[", 1) reports "[".
//   - dynamic (Name ""): a function R computes at run time: a call whose
//     function is not a name or a function literal (f()(), x$f(1),
//     (g)(1), x[[1]](2)); a function argument of the functions above that
//     is neither a literal, a name nor a function literal (lapply(x,
//     fs[[1]]), do.call(paste0("sys", "tem"), l)); a name in such a
//     position that the script binds to something other than a function
//     literal, since its value may be a string (fn <- "system";
//     lapply(x, fn)); a non-literal name for get and friends (get(x));
//     a function argument that may come from ... (lapply(...)); a
//     computed package (library(p, character.only = TRUE)), also when a
//     loading function is itself passed as a function (do.call("library",
//     l), lapply(pkgs, require)); a complex assignment through a computed
//     function (x$f(y) <- v).
//
// Arguments of the parameters the generated parameter model
// (policy/model) classifies as taking a function, code, a formula, an
// environment or serialized data must be literals the analysis sees
// through, or a dynamic reference is reported with a hint (see
// modelargs.go); a formula or code string is parsed and its references
// are reported at the string. Also dynamic: a call of a name bound to a
// value from an option, slot, attribute, restart or file (see
// leakySources), and the names .Environment and .rwarden*.
//
// eval, evalq, parse, str2lang and str2expression are reported as plain
// calls, for the policy to deny. Find is deterministic: references are
// sorted by position, then kind, package and name, without duplicates.
package refs

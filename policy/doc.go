// Package policy is rwarden's static policy layer (threat-model layer 3,
// "static policy"): it loads the per-user Casbin policy files, turns every
// function reference found in a piece of R code into a Casbin request and
// explains each denial with its position and the deciding rule. It also
// resolves, per user, the concrete runtime allowlist that the worker harness
// (layer 4, runtime restriction) uses to build the user's evaluation
// environment.
//
// The policy is least privilege and early, precise errors; it is never the
// security boundary. Every R-level filter ever published has been escaped,
// so the OS sandbox (layer 5) must hold even when this package says "allow".
//
// # Objects
//
// A Casbin request is (sub, obj, act). sub is the user. obj is one of
//
//	PKG::NAME      a function or other object NAME of package PKG
//	               (base::mean, base::[<-, base::%in%, datasets::iris)
//	pkg:PKG        the package PKG itself (act "load")
//	dynamic:call   a computed function reference (get(x), match.fun(f), x(1))
//	internal:PKG   the right to reach PKG's unexported objects with PKG:::NAME
//
// and act is "call" (any reference to a function or object) or "load"
// (library, require, requireNamespace, loadNamespace, PKG::NAME).
//
// # Patterns: exact unless marked glob:
//
// R names contain what other systems treat as glob metacharacters: the
// functions `*`, `[`, `[[<-`, `?` and `::` all exist in base. A policy object
// is therefore always matched exactly, character for character, unless it
// starts with the marker "glob:". In a glob: pattern exactly one character
// is special: '*' matches any run of characters (including none and
// including ':'). A literal '*' is written '\*' and a literal backslash '\\';
// '?', '[' and every other character stand for themselves. So
//
//	base::*            the multiplication function, nothing else
//	base::[<-          the replacement function `[<-`
//	glob:stats::*      every object of stats
//	glob:base::is.*    is.na, is.numeric, ...
//	glob:*             everything (the admin role)
//
// The marker cannot collide with a request object: function objects have
// "::" right after a package name (a package named glob gives "glob::f"),
// and "glob:" followed by anything but ':' is never produced by the analysis.
//
// # Why PKG:::NAME needs more than PKG::NAME
//
// PKG:::NAME reaches code the package author did not export, so it is
// requested as three things: (PKG::NAME, call), (pkg:PKG, load) and
// (internal:PKG, call). Granting stats::* therefore never grants
// stats:::anything; the capability internal:stats must be granted as well.
// PKG::NAME is requested as (PKG::NAME, call) and (pkg:PKG, load).
package policy
